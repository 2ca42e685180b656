/**
 * concurrent_login keyed on the account of each seat's session (issue #14):
 * where else the account is, from single-user seats and from desktop
 * sessions open on shared seats, and what the rule makes of it. Pure.
 */
import { describe, expect, it } from 'vitest';
import { detectConcurrentLogin, otherSeatsOf } from '../../../src/domain/rules/concurrent-login.rule.js';

const MINUTE = 60_000;
const NOW = 1_800_000_000_000;
const config = { windowMs: 5 * MINUTE, ignoreUsers: ['kiosk'] };
const trigger = { kind: 'event' as const, id: 9, seq: 3, at: NOW };

describe('otherSeatsOf', () => {
  it('counts a single-user seat as of its state, and an open desktop session as there now', () => {
    expect(
      otherSeatsOf(
        [
          {
            agentId: 'a',
            seatId: 's-a',
            osUser: 'ada',
            state: 'active',
            stateAt: NOW - 60 * MINUTE,
            lastSeenAt: NOW - 1000,
          },
          {
            agentId: 'b',
            seatId: 's-b',
            osUser: 'ada',
            state: 'locked',
            stateAt: NOW - 30 * MINUTE,
            lastSeenAt: NOW,
          },
        ],
        [
          {
            agentId: 'c',
            seatId: 's-c',
            osUser: 'ADA',
            startedAt: NOW - 120 * MINUTE,
            lastSeenAt: NOW - 2000,
          },
        ],
      ),
    ).toEqual([
      { agentId: 'a', seatId: 's-a', osUser: 'ada', lastActiveAt: NOW - 1000 },
      { agentId: 'b', seatId: 's-b', osUser: 'ada', lastActiveAt: NOW - 30 * MINUTE },
      { agentId: 'c', seatId: 's-c', osUser: 'ADA', lastActiveAt: NOW - 2000 },
    ]);
  });
});

describe('detectConcurrentLogin with desktop sessions', () => {
  it("raises for the session's account when it has a session open on another shared seat", () => {
    const others = otherSeatsOf(
      [],
      [{ agentId: 'c', seatId: 's-c', osUser: 'Ada', startedAt: NOW - MINUTE, lastSeenAt: NOW }],
    );
    expect(detectConcurrentLogin({ at: NOW, osUser: 'ada', others, trigger }, config)).toMatchObject({
      rule: 'concurrent_login',
      key: 'ada',
      evidence: [
        { kind: 'event', osUser: 'ada' },
        { kind: 'login', otherAgentId: 'c', otherSeatId: 's-c' },
      ],
    });
  });

  it('raises nothing for another account, for an account the project ignores, or for a hello that names no one', () => {
    const others = otherSeatsOf(
      [],
      [{ agentId: 'c', seatId: 's-c', osUser: 'bob', startedAt: NOW, lastSeenAt: NOW }],
    );
    expect(detectConcurrentLogin({ at: NOW, osUser: 'ada', others, trigger }, config)).toBeNull();
    const kiosk = otherSeatsOf(
      [],
      [{ agentId: 'c', seatId: 's-c', osUser: 'Kiosk', startedAt: NOW, lastSeenAt: NOW }],
    );
    expect(detectConcurrentLogin({ at: NOW, osUser: 'kiosk', others: kiosk, trigger }, config)).toBeNull();
    // A machine service's hello: no operator of its own, nothing to compare.
    const root = otherSeatsOf(
      [],
      [{ agentId: 'c', seatId: 's-c', osUser: '', startedAt: NOW, lastSeenAt: NOW }],
    );
    expect(detectConcurrentLogin({ at: NOW, osUser: '', others: root, trigger }, config)).toBeNull();
  });

  it('raises nothing when the seat the account left was last active before the window', () => {
    const others = otherSeatsOf(
      [
        {
          agentId: 'a',
          seatId: 's-a',
          osUser: 'ada',
          state: 'locked',
          stateAt: NOW - 10 * MINUTE,
          lastSeenAt: NOW,
        },
      ],
      [],
    );
    expect(detectConcurrentLogin({ at: NOW, osUser: 'ada', others, trigger }, config)).toBeNull();
  });
});
