import { DEFAULT_POLICY, type Notice, type Policy } from '@seatwatch/shared';
import { describe, expect, it } from 'vitest';
import { changedTerms, collectionTerms, noticeNeeded } from '../../src/core/notice-terms.js';

const NOTICE: Notice = { version: 3, text: 'We monitor this seat.' };
const base: Policy = { ...DEFAULT_POLICY, privacyList: ['Payment', 'bank'] };
const shownWith = (policy: Policy, version = NOTICE.version) => ({ version, terms: collectionTerms(policy) });

describe('noticeNeeded: does a policy change need the notice shown again', () => {
  it('yes when nothing was shown, for another notice version, or for a record without terms', () => {
    expect(noticeNeeded(null, NOTICE, base)).toBe(true);
    expect(noticeNeeded(shownWith(base, 2), NOTICE, base)).toBe(true);
    expect(noticeNeeded({ version: NOTICE.version }, NOTICE, base)).toBe(true);
    expect(noticeNeeded(shownWith(base), NOTICE, base)).toBe(false);
  });

  // Every field that changes what is collected, one at a time.
  const collecting: Array<[string, Partial<Policy>]> = [
    ['screenshotsEnabled', { screenshotsEnabled: false }],
    ['screenshotIntervalMs', { screenshotIntervalMs: 60_000 }],
    ['screenshotJitter', { screenshotJitter: 0 }],
    ['screenshotMaxWidth', { screenshotMaxWidth: 1920 }],
    ['privacyList', { privacyList: ['Payment'] }],
    ['privacyList', { privacyList: ['Payment', 'bank', 'Patient record'] }],
    ['deviceScanMs', { deviceScanMs: 10_000 }],
    ['idleThresholdMs', { idleThresholdMs: 60_000 }],
    ['activitySampleMs', { activitySampleMs: 5000 }],
    ['retentionDays', { retentionDays: 365 }],
  ];
  for (const [field, change] of collecting) {
    it(`yes when ${field} changes (${JSON.stringify(change)})`, () => {
      const next = { ...base, ...change };
      expect(noticeNeeded(shownWith(base), NOTICE, next)).toBe(true);
      expect(changedTerms(collectionTerms(base), collectionTerms(next))).toEqual([field]);
    });
  }

  const notCollecting: Array<[string, Partial<Policy>]> = [
    ['heartbeatMs', { heartbeatMs: 60_000 }],
    ['outboxMaxBytes', { outboxMaxBytes: 8 * 1024 * 1024 }],
    ['screenshotFormat', { screenshotFormat: 'webp' }],
    ['screenshotQuality', { screenshotQuality: 90 }],
    ['privacyList order and case', { privacyList: ['BANK', 'payment'] }],
  ];
  for (const [field, change] of notCollecting) {
    it(`no when only ${field} changes`, () => {
      expect(noticeNeeded(shownWith(base), NOTICE, { ...base, ...change })).toBe(false);
    });
  }

  it('turning screenshots on is a change; their interval or privacy list while they are off is not', () => {
    const off = { ...base, screenshotsEnabled: false };
    expect(changedTerms(collectionTerms(off), collectionTerms(base))).toEqual(['screenshotsEnabled']);
    expect(
      noticeNeeded(shownWith(off), NOTICE, { ...off, screenshotIntervalMs: 10_000, privacyList: [] }),
    ).toBe(false);
  });
});
