/**
 * Sign-in throttles (issue #13): the check before a password or code is
 * looked at, the failure that follows a wrong one, and what administrators
 * see and clear. The arithmetic is in sign-in-throttle.ts; this is where it
 * meets the database and the audit log. Every start of a throttle and every
 * clearing is an audit entry.
 */
import { SeatwatchError } from '@seatwatch/shared';
import { recordAudit } from '../audit/audit-log.js';
import type { Db } from '../db/connect.js';
import * as repo from './accounts.repository.js';
import {
  delayAfter,
  FORGET_MS,
  FREE_FAILURES,
  nextAttemptAfter,
  throttleSource,
  waitBefore,
} from './sign-in-throttle.js';

/** At most this many throttles are listed (the newest); more would mean an attack the log shows better. */
const LIST_LIMIT = 500;

export interface ThrottleView {
  id: string;
  username: string;
  ip: string;
  failures: number;
  firstFailureAt: number;
  lastFailureAt: number;
  nextAttemptAt: number;
}

/** Who did something, as the audit log names them. */
export interface AuditActor {
  actor: string;
  actorId: string | null;
  ip: string;
}

const stateOf = (row: repo.ThrottleRecord) => ({
  failures: row.failures,
  lastFailureAt: row.lastFailureAt.getTime(),
  nextAttemptAt: row.nextAttemptAt.getTime(),
});

const view = (row: repo.ThrottleRecord): ThrottleView => ({
  id: row.id,
  username: row.username,
  ip: row.ip,
  failures: row.failures,
  firstFailureAt: row.firstFailureAt.getTime(),
  lastFailureAt: row.lastFailureAt.getTime(),
  nextAttemptAt: row.nextAttemptAt.getTime(),
});

/** The same words whether the name exists or not: the answer must not tell them apart. */
const throttled = () =>
  new SeatwatchError('rate_limited', 'too many failed sign-ins; wait a while before trying again');

/** What sign-in calls around each check of a secret. */
export interface SignInThrottle {
  /** Throws `rate_limited` while the pair must wait. */
  refuseIfThrottled(username: string, ip: string): Promise<void>;
  /** Counts a failure of the pair; the one that starts a throttle is audited as `by`. */
  recordFailure(username: string, ip: string, by: string): Promise<void>;
  /** A full sign-in of the pair: it starts afresh. */
  clear(username: string, ip: string): Promise<void>;
}

export function createSignInThrottle(deps: { db: Db; now: () => number }): SignInThrottle {
  const { db } = deps;
  return {
    async refuseIfThrottled(username, ip) {
      const row = await repo.findThrottle(db, username, throttleSource(ip));
      if (row && waitBefore(stateOf(row), deps.now()) > 0) throw throttled();
    },

    async recordFailure(username, ip, by) {
      const at = deps.now();
      await repo.pruneThrottles(db, new Date(at - FORGET_MS));
      await db.transaction(async (tx) => {
        const row = await repo.addThrottleFailure(tx, {
          username,
          ip: throttleSource(ip),
          now: new Date(at),
          forgetBefore: new Date(at - FORGET_MS),
        });
        await repo.setThrottleNextAttempt(tx, row.id, new Date(nextAttemptAfter(row.failures, at)));
        if (row.failures === FREE_FAILURES) {
          await recordAudit(
            tx,
            {
              actor: by,
              action: 'auth.throttle_started',
              outcome: 'refused',
              ip,
              target: { kind: 'sign_in_throttle', id: row.id },
              details: { username, failures: row.failures, waitMs: delayAfter(row.failures) },
            },
            at,
          );
        }
      });
    },

    async clear(username, ip) {
      await repo.deleteThrottle(db, username, throttleSource(ip));
    },
  };
}

export type SignInThrottleService = ReturnType<typeof createSignInThrottleService>;

/** What administrators see and do (installation administrators only; see users.routes.ts). */
export function createSignInThrottleService(deps: { db: Db; now: () => number }) {
  const { db } = deps;
  return {
    /** Pairs that are throttled now or were recently (their failures still count). */
    async signInThrottles(): Promise<ThrottleView[]> {
      const rows = await repo.listThrottles(db, {
        minFailures: FREE_FAILURES,
        since: new Date(deps.now() - FORGET_MS),
        limit: LIST_LIMIT,
      });
      return rows.map(view);
    },

    async clearSignInThrottle(id: string, by: AuditActor): Promise<void> {
      const at = deps.now();
      await db.transaction(async (tx) => {
        const row = await repo.deleteThrottleById(tx, id);
        if (!row) throw new SeatwatchError('not_found', 'no such sign-in throttle');
        await recordAudit(
          tx,
          {
            actor: by.actor,
            actorId: by.actorId,
            action: 'auth.throttle_cleared',
            ip: by.ip,
            target: { kind: 'sign_in_throttle', id: row.id },
            details: { username: row.username, throttledIp: row.ip, failures: row.failures },
          },
          at,
        );
      });
    },
  };
}
