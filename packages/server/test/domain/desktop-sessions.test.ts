/** Desktop sessions of a shared seat read from its lifecycle events (issue #14): pure. */
import { desktopSessionLifecycle, type Event } from '@seatwatch/shared';
import { describe, expect, it } from 'vitest';
import { desktopSessionChanges } from '../../src/domain/desktop-sessions.js';
import { mapBatch } from '../../src/domain/ingest-mapping.js';

const ctx = { agentId: 'a1', projectId: 'p1', seatId: 's1', siteId: null, teamId: null };
const network = (time: number, osUser: string): Event => ({
  type: 'network',
  time,
  hostname: 'shared-seat',
  osUser,
  localIps: [],
  gateway: null,
});
const serviceStart: Event = {
  type: 'lifecycle',
  time: 1,
  phase: 'starting',
  reason: 'start',
  detail: 'pid 42',
  agentVersion: '0.1.0',
};

describe('desktopSessionChanges', () => {
  it("reads each session's start and end as its account's, and the service's own lifecycle as the end of all", () => {
    const rows = mapBatch(
      ctx,
      7,
      [
        serviceStart,
        network(2, 'ada'),
        desktopSessionLifecycle('starting', 3, '0.1.0'),
        { type: 'activity', time: 4, end: 5, app: 'crm', title: 'ticket' },
        network(6, 'bob'),
        desktopSessionLifecycle('starting', 7, '0.1.0'),
        network(8, 'ada'),
        desktopSessionLifecycle('stopping', 9, '0.1.0'),
        network(10, 'root'),
        { ...serviceStart, time: 11, phase: 'stopping', reason: 'service_stop' },
      ],
      12,
      'root',
    ).events;
    expect(desktopSessionChanges(rows)).toEqual([
      { kind: 'agent', agentId: 'a1', at: 1, seq: 7, idx: 0 },
      { kind: 'start', agentId: 'a1', osUser: 'ada', at: 3, seq: 7, idx: 2 },
      { kind: 'start', agentId: 'a1', osUser: 'bob', at: 7, seq: 7, idx: 5 },
      { kind: 'end', agentId: 'a1', osUser: 'ada', at: 9, seq: 7, idx: 7 },
      { kind: 'agent', agentId: 'a1', at: 11, seq: 7, idx: 9 },
    ]);
  });

  it('tells nothing for a single-user agent but its own lifecycle, and no login for a session event without an account', () => {
    const single = mapBatch(
      ctx,
      1,
      [network(1, 'kim'), { type: 'status', time: 2, state: 'active', idleMs: 0 }],
      3,
      'kim',
    );
    expect(desktopSessionChanges(single.events)).toEqual([]);
    const unnamed = mapBatch(ctx, 2, [desktopSessionLifecycle('starting', 4, '0.1.0')], 5, null);
    expect(desktopSessionChanges(unnamed.events)).toEqual([]);
  });
});
