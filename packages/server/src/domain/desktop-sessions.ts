/**
 * Desktop sessions of a shared computer as login records (issue #14). The
 * machine service tells an account's session start and end with `lifecycle`
 * events marked as a desktop session's (docs/protocol.md, "Desktop sessions of
 * a shared computer"), attributed to the account like any event. Every other
 * `lifecycle` event is the agent's own: a machine service that starts or
 * stops takes every session with it (a killed service tells no ends; its next
 * start says they are over, and the sessions still there announce themselves
 * again). A single-user agent sends no session events, so it has none open.
 * Pure: the group committer stores what this returns.
 */
import { isDesktopSessionLifecycle } from '@seatwatch/shared';
import type { EventRow } from './ingest-mapping.js';

export type DesktopSessionChange =
  | {
      readonly kind: 'start' | 'end';
      readonly agentId: string;
      readonly osUser: string;
      readonly at: number;
      readonly seq: number;
      readonly idx: number;
    }
  /** The agent itself started or stopped: every session open at the agent ends. */
  | {
      readonly kind: 'agent';
      readonly agentId: string;
      readonly at: number;
      readonly seq: number;
      readonly idx: number;
    };

/** A session's login record kind, as the logins table and the API name it. */
export const SESSION_LOGIN_KIND = { start: 'session_start', end: 'session_end' } as const;

/** The session changes among stored rows, in sequence order. */
export function desktopSessionChanges(rows: readonly EventRow[]): DesktopSessionChange[] {
  const changes: DesktopSessionChange[] = [];
  for (const row of rows) {
    const event = row.body;
    if (event.type !== 'lifecycle') continue;
    const { agentId, seq, idx, time: at } = row;
    if (!isDesktopSessionLifecycle(event)) {
      changes.push({ kind: 'agent', agentId, at, seq, idx });
    } else if (row.osUser) {
      // A session's event names its account; one with none known (a client that broke the convention) is no login.
      changes.push({
        kind: event.phase === 'starting' ? 'start' : 'end',
        agentId,
        osUser: row.osUser,
        at,
        seq,
        idx,
      });
    }
  }
  return changes.sort((a, b) => a.seq - b.seq || a.idx - b.idx);
}
