/** Pure ingest logic: sequencing, gap announcements, the sanitising rule, row mapping, span merging, retention cutoffs. */
import type { BlobPayload, Event } from '@seatwatch/shared';
import { MAX_STRING_LENGTHS } from '@seatwatch/shared';
import { describe, expect, it } from 'vitest';
import {
  MAX_STORED_TIME_MS,
  mapBatch,
  mapBlob,
  mergeSpans,
  type SpanRow,
  sanitizeEvent,
} from '../../src/domain/ingest-mapping.js';
import { retentionCutoffs } from '../../src/domain/retention.js';
import { decideFrame, isGapAnnounced } from '../../src/domain/sequencing.js';

const ctx = { agentId: 'a1', projectId: 'p1', seatId: 's1', siteId: null, teamId: null };

describe('decideFrame', () => {
  it('resends, stores the next seq, and stores past a gap naming the missing range', () => {
    expect(decideFrame(3, 5)).toEqual({ kind: 'resend' });
    expect(decideFrame(5, 5)).toEqual({ kind: 'resend' });
    expect(decideFrame(6, 5)).toEqual({ kind: 'store', gap: null });
    expect(decideFrame(9, 5)).toEqual({ kind: 'store', gap: { fromSeq: 6, toSeq: 8 } });
    expect(decideFrame(1, 0)).toEqual({ kind: 'store', gap: null });
  });
});

describe('isGapAnnounced', () => {
  it('needs announcements that cover the whole gap', () => {
    const gap = { fromSeq: 6, toSeq: 10 };
    expect(isGapAnnounced(gap, [{ fromSeq: 6, toSeq: 10 }])).toBe(true);
    expect(
      isGapAnnounced(gap, [
        { fromSeq: 8, toSeq: 10 },
        { fromSeq: 5, toSeq: 7 },
      ]),
    ).toBe(true);
    expect(isGapAnnounced(gap, [{ fromSeq: 6, toSeq: 8 }])).toBe(false);
    expect(
      isGapAnnounced(gap, [
        { fromSeq: 6, toSeq: 7 },
        { fromSeq: 9, toSeq: 10 },
      ]),
    ).toBe(false);
    expect(isGapAnnounced(gap, [])).toBe(false);
  });
});

describe('sanitizeEvent', () => {
  it('cuts each field to its limit, strips NUL, repairs surrogates and clamps times, losing nothing else', () => {
    const event: Event = {
      type: 'device_attached',
      time: Number.MAX_SAFE_INTEGER,
      device: {
        id: 'usb\u0000-1',
        vendorId: null,
        productId: 'p'.repeat(MAX_STRING_LENGTHS.deviceField + 1),
        name: 'bad \udc00 name',
        manufacturer: null,
        serial: 'S1',
        deviceClass: null,
        massStorage: true,
      },
    };
    const clean = sanitizeEvent(event);
    expect(clean.time).toBe(MAX_STORED_TIME_MS);
    expect(clean.device.id).toBe('usb-1');
    expect(clean.device.productId).toHaveLength(MAX_STRING_LENGTHS.deviceField);
    expect(clean.device.productId!.endsWith('…')).toBe(true);
    expect(clean.device.name).toBe('bad \ufffd name');
    expect(clean.device).toMatchObject({ vendorId: null, serial: 'S1', massStorage: true });
    expect(event.device.id).toBe('usb\u0000-1');
  });

  it('never lets an activity span end before it starts', () => {
    const clean = sanitizeEvent({ type: 'activity', time: 100, end: 50, app: 'a', title: 't' });
    expect(clean).toMatchObject({ time: 100, end: 100 });
  });
});

describe('mapBatch and mapBlob', () => {
  it('makes one event row per event and the projections the dashboard reads', () => {
    const events: Event[] = [
      { type: 'activity', time: 1, end: 5, app: 'crm', title: 'Case' },
      { type: 'status', time: 2, state: 'idle', idleMs: 200_000 },
      { type: 'status', time: 3, state: 'locked', idleMs: 0 },
      { type: 'command_result', time: 4, commandId: 'c1', cmd: 'capture_now', ok: true, message: 'done' },
      {
        type: 'data_dropped',
        time: 5,
        kind: 'event',
        count: 2,
        bytes: 10,
        fromSeq: 3,
        toSeq: 4,
        reason: 'full',
      },
    ];
    const rows = mapBatch(ctx, 7, events, 99, 'ada');
    expect(rows.events.map((r) => [r.seq, r.idx, r.type])).toEqual([
      [7, 0, 'activity'],
      [7, 1, 'status'],
      [7, 2, 'status'],
      [7, 3, 'command_result'],
      [7, 4, 'data_dropped'],
    ]);
    expect(rows.spans).toEqual([
      {
        projectId: 'p1',
        agentId: 'a1',
        seatId: 's1',
        startedAt: 1,
        endedAt: 5,
        app: 'crm',
        title: 'Case',
        seq: 7,
        osUser: 'ada',
      },
    ]);
    expect(rows.state).toEqual({ state: 'locked', at: 3 });
    expect(rows.commandResults).toEqual([
      { agentId: 'a1', commandId: 'c1', ok: true, message: 'done', at: 4 },
    ]);
    expect(rows.drops).toEqual([{ fromSeq: 3, toSeq: 4 }]);
  });

  it('maps a blob to its capture event and screenshot metadata', () => {
    const payload: BlobPayload = {
      t: 'blob',
      v: 1,
      session: 's',
      seq: 4,
      time: 10,
      sha256: 'a'.repeat(64),
      size: 123,
      mime: 'image/webp',
      event: {
        type: 'capture',
        time: 9,
        outcome: 'captured',
        trigger: 'command',
        monitor: 1,
        width: 800,
        height: 600,
        reason: '',
        commandId: 'cmd-1',
      },
    };
    const rows = mapBlob(ctx, payload, 11, 'ada');
    expect(rows.events).toHaveLength(1);
    expect(rows.screenshot).toMatchObject({
      seq: 4,
      time: 9,
      sha256: 'a'.repeat(64),
      mime: 'image/webp',
      width: 800,
      monitor: 1,
      trigger: 'command',
      commandId: 'cmd-1',
      receivedAt: 11,
      osUser: 'ada',
    });
  });

  it('attributes each event to the account of the latest network event before it, across frames (issue #14)', () => {
    const network = (time: number, osUser: string): Event => ({
      type: 'network',
      time,
      hostname: 'seat-7',
      osUser,
      localIps: [],
      gateway: null,
    });
    const first = mapBatch(
      ctx,
      1,
      [
        { type: 'lifecycle', time: 1, phase: 'starting', reason: 'start', detail: '', agentVersion: '1' },
        network(2, 'ada'),
        { type: 'activity', time: 3, end: 4, app: 'crm', title: 'A' },
        network(5, 'bob'),
        { type: 'activity', time: 6, end: 7, app: 'mail', title: 'B' },
      ],
      9,
      'root',
    );
    expect(first.events.map((r) => r.osUser)).toEqual(['root', 'ada', 'ada', 'bob', 'bob']);
    expect(first.spans.map((r) => [r.title, r.osUser])).toEqual([
      ['A', 'ada'],
      ['B', 'bob'],
    ]);
    expect(first.osUserAfter).toBe('bob');
    const device = { id: 'usb:1', vendorId: null, productId: null, name: 'stick', manufacturer: null };
    const second = mapBatch(
      ctx,
      2,
      [
        {
          type: 'device_attached',
          time: 8,
          device: { ...device, serial: null, deviceClass: null, massStorage: true },
        },
      ],
      9,
      first.osUserAfter,
    );
    expect(second.devices[0]!.osUser).toBe('bob');
    expect(second.osUserAfter).toBe('bob');
  });
});

describe('mergeSpans', () => {
  const span = (startedAt: number, endedAt: number, seq: number, title = 't'): SpanRow => ({
    projectId: 'p',
    agentId: 'a',
    seatId: 's',
    startedAt,
    endedAt,
    app: 'app',
    title,
    seq,
    osUser: null,
  });

  it('keeps one row per agent and start, with the furthest end and the latest text', () => {
    const merged = mergeSpans([
      span(1, 5, 1, 'old'),
      span(1, 9, 2, 'new'),
      span(1, 7, 3, 'newest'),
      span(10, 12, 3),
    ]);
    expect(merged).toEqual([span(1, 9, 3, 'newest'), span(10, 12, 3)]);
  });

  it("keeps two accounts' spans starting in the same millisecond apart (a shared computer)", () => {
    const ada = { ...span(1, 5, 1, 'Ada'), osUser: 'ada' };
    const bob = { ...span(1, 7, 2, 'Bob'), osUser: 'bob' };
    expect(mergeSpans([ada, bob])).toEqual([ada, bob]);
  });
});

describe('retentionCutoffs', () => {
  it('is now minus the retention days of each project', () => {
    expect(retentionCutoffs([{ projectId: 'p', retentionDays: 2 }], 10 * 86_400_000)).toEqual([
      { projectId: 'p', before: 8 * 86_400_000 },
    ]);
  });
});
