import { describe, expect, it } from 'vitest';
import { normalizeIp } from '../../../src/domain/rules/client-ip.js';
import { detectClockSkew } from '../../../src/domain/rules/clock-skew.rule.js';
import { detectIpChanged } from '../../../src/domain/rules/ip-changed.rule.js';
import { detectIpNotAllowed } from '../../../src/domain/rules/ip-not-allowed.rule.js';

const at = (iso: string) => Date.parse(iso);

describe('ip_not_allowed', () => {
  it('keys the anomaly by the refused address, one spelling per address', () => {
    const candidate = detectIpNotAllowed({ source: 'hello', ip: '::ffff:127.0.0.2', at: 5, loginId: 9 });
    expect(candidate).toMatchObject({ rule: 'ip_not_allowed', key: '127.0.0.2', at: 5 });
    expect(candidate.evidence).toEqual([{ kind: 'login', id: 9, at: 5, source: 'hello', ip: '127.0.0.2' }]);
    expect(normalizeIp(' FE80::1 ')).toBe('fe80::1');
  });
});

describe('ip_changed', () => {
  const previous = { ip: '10.0.0.1', at: at('2026-03-02T08:00:00Z'), loginId: 1 };

  it('raises when the IP differs from the previous login on the same local day', () => {
    const candidate = detectIpChanged({
      current: { ip: '10.0.0.2', at: at('2026-03-02T12:00:00Z'), loginId: 2 },
      previous,
      timeZone: 'Europe/Berlin',
    });
    expect(candidate).toMatchObject({ rule: 'ip_changed', key: '10.0.0.2' });
    expect(candidate?.evidence[1]).toMatchObject({ id: 2, previousIp: '10.0.0.1' });
  });

  it('does not raise for the same IP, a first login, or a login on another local day', () => {
    const current = { ip: '::ffff:10.0.0.1', at: at('2026-03-02T12:00:00Z'), loginId: 2 };
    expect(detectIpChanged({ current, previous, timeZone: 'UTC' })).toBeNull();
    expect(
      detectIpChanged({ current: { ...current, ip: '10.0.0.2' }, previous: null, timeZone: 'UTC' }),
    ).toBeNull();
    // 23:30Z is already the next day in Berlin.
    const lateNight = { ip: '10.0.0.2', at: at('2026-03-02T23:30:00Z'), loginId: 3 };
    expect(detectIpChanged({ current: lateNight, previous, timeZone: 'Europe/Berlin' })).toBeNull();
    expect(detectIpChanged({ current: lateNight, previous, timeZone: 'UTC' })).not.toBeNull();
  });
});

describe('clock_skew', () => {
  it('raises beyond the threshold in either direction, not at or below it', () => {
    const config = { maxSkewMs: 120_000 };
    expect(detectClockSkew({ at: 1, skewMs: 120_001, loginId: 4 }, config)).toMatchObject({
      rule: 'clock_skew',
      key: '',
    });
    expect(detectClockSkew({ at: 1, skewMs: -180_000, loginId: 4 }, config)?.evidence[0]).toMatchObject({
      skewMs: -180_000,
    });
    expect(detectClockSkew({ at: 1, skewMs: 120_000, loginId: 4 }, config)).toBeNull();
    expect(detectClockSkew({ at: 1, skewMs: -90_000, loginId: 4 }, config)).toBeNull();
  });
});
