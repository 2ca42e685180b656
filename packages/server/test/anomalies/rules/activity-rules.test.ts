import type { CaptureEvent } from '@seatwatch/shared';
import { describe, expect, it } from 'vitest';
import { type CaptureStreaks, stepCaptureBlocked } from '../../../src/domain/rules/capture-blocked.rule.js';
import { detectConcurrentLogin } from '../../../src/domain/rules/concurrent-login.rule.js';
import { detectProhibitedApp } from '../../../src/domain/rules/prohibited-app.rule.js';
import { observed } from './observed.js';

describe('prohibited_app', () => {
  const denyList = [
    { pattern: 'steam', field: 'app' as const, match: 'exact' as const },
    { pattern: 'Poker', field: 'title' as const, match: 'contains' as const, label: 'Gambling' },
  ];
  const span = (app: string, title: string) => observed({ type: 'activity', time: 10, end: 20, app, title });

  it('raises for a match on app or title, keyed by the entry', () => {
    expect(detectProhibitedApp(span('Steam', 'Library'), { denyList })).toMatchObject({
      rule: 'prohibited_app',
      key: 'app:exact:steam',
    });
    expect(detectProhibitedApp(span('chrome', 'Online POKER room'), { denyList })).toMatchObject({
      key: 'title:contains:poker',
      evidence: [{ app: 'chrome', title: 'Online POKER room', label: 'Gambling' }],
    });
  });

  it('does not raise for a near miss', () => {
    expect(detectProhibitedApp(span('steamwebhelper', 'Library'), { denyList })).toBeNull();
    expect(detectProhibitedApp(span('poker.exe', 'Solitaire'), { denyList })).toBeNull();
  });
});

describe('concurrent_login', () => {
  const config = { windowMs: 5 * 60_000, ignoreUsers: ['Kiosk'] };
  const trigger = { kind: 'login' as const, id: 1, at: 1_000_000 };
  const other = { agentId: 'a2', seatId: 'seat-2', osUser: 'ACME\\jdoe', lastActiveAt: 1_000_000 - 60_000 };

  it('raises when the same user was active on another seat within the window', () => {
    expect(
      detectConcurrentLogin({ at: 1_000_000, osUser: 'acme\\JDoe', others: [other], trigger }, config),
    ).toMatchObject({
      rule: 'concurrent_login',
      key: 'acme\\jdoe',
      evidence: [
        { kind: 'login', id: 1 },
        { otherAgentId: 'a2', otherSeatId: 'seat-2' },
      ],
    });
  });

  it('does not raise for another user, an old session, or an ignored account', () => {
    expect(
      detectConcurrentLogin({ at: 1_000_000, osUser: 'acme\\jane', others: [other], trigger }, config),
    ).toBeNull();
    const stale = { ...other, lastActiveAt: 1_000_000 - 6 * 60_000 };
    expect(
      detectConcurrentLogin({ at: 1_000_000, osUser: 'acme\\jdoe', others: [stale], trigger }, config),
    ).toBeNull();
    const kiosk = { ...other, osUser: 'kiosk' };
    expect(
      detectConcurrentLogin({ at: 1_000_000, osUser: 'KIOSK', others: [kiosk], trigger }, config),
    ).toBeNull();
  });
});

describe('capture_blocked', () => {
  const config = { threshold: 3, outcomes: ['failed', 'unavailable'], includeBlank: true };
  const capture = (outcome: CaptureEvent['outcome'], monitor = 0, time = 1) =>
    observed({
      type: 'capture',
      time,
      outcome,
      trigger: 'schedule',
      monitor,
      width: 0,
      height: 0,
      reason: outcome === 'failed' ? 'X error' : '',
      commandId: null,
    });
  const run = (attempts: { outcome: CaptureEvent['outcome']; monitor?: number; blank?: boolean }[]) => {
    let streaks: CaptureStreaks = {};
    const raised = [];
    for (const a of attempts) {
      const step = stepCaptureBlocked(
        streaks,
        { observed: capture(a.outcome, a.monitor), blank: a.blank ?? null },
        config,
      );
      streaks = step.streaks;
      if (step.candidate) raised.push(step.candidate);
    }
    return raised;
  };

  it('raises on the third blocked attempt in a row with all three as evidence, then for each further one', () => {
    const raised = run([
      { outcome: 'failed' },
      { outcome: 'paused' },
      { outcome: 'captured', blank: true },
      { outcome: 'unavailable' },
      { outcome: 'failed' },
    ]);
    expect(raised).toHaveLength(2);
    expect(raised[0]).toMatchObject({ rule: 'capture_blocked', key: 'monitor:0' });
    expect(raised[0]?.evidence.map((e) => e.outcome)).toEqual(['failed', 'captured', 'unavailable']);
    expect(raised[1]?.evidence).toHaveLength(1);
  });

  it('does not raise when a good capture breaks the streak, or for another monitor', () => {
    expect(
      run([{ outcome: 'failed' }, { outcome: 'failed' }, { outcome: 'unchanged' }, { outcome: 'failed' }]),
    ).toEqual([]);
    expect(run([{ outcome: 'failed' }, { outcome: 'failed', monitor: 1 }, { outcome: 'failed' }])).toEqual(
      [],
    );
    expect(
      run([{ outcome: 'captured', blank: false }, { outcome: 'captured' }, { outcome: 'captured' }]),
    ).toEqual([]);
  });
});
