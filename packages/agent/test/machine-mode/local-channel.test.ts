/** The local channel's frames and messages (issue #14), on raw bytes split anywhere. */
import type { Event } from '@seatwatch/shared';
import { describe, expect, it } from 'vitest';
import {
  ChannelFrameError,
  createFrameReader,
  encodeFrame,
  MAX_HEADER_BYTES,
} from '../../src/local-channel/channel-frames.js';
import {
  ChannelMessageError,
  parseServiceMessage,
  parseSessionMessage,
} from '../../src/local-channel/channel-messages.js';

const activity: Event = { type: 'activity', time: 1, end: 2, app: 'crm', title: 'Case 7' };
const capture = {
  type: 'capture',
  time: 5,
  outcome: 'captured',
  trigger: 'schedule',
  monitor: 0,
  width: 2,
  height: 1,
  reason: '',
  commandId: null,
} as const;

describe('channel frames', () => {
  it('reads frames back whatever way the bytes are split', () => {
    const blob = new Uint8Array([1, 2, 3, 4, 5]);
    const bytes = new Uint8Array([
      ...encodeFrame({ t: 'events', events: [activity] }),
      ...encodeFrame({ t: 'blob', mime: 'image/jpeg', event: capture }, blob),
      ...encodeFrame({ t: 'events', events: [activity, activity] }),
    ]);
    for (const step of [1, 3, 7, bytes.length]) {
      const reader = createFrameReader();
      const frames = [];
      for (let at = 0; at < bytes.length; at += step)
        frames.push(...reader.push(bytes.subarray(at, at + step)));
      expect(frames.map((f) => (f.header as { t: string }).t)).toEqual(['events', 'blob', 'events']);
      expect(frames[1]!.blob).toEqual(blob);
      expect((frames[1]!.header as { blobBytes: number }).blobBytes).toBe(5);
      expect(frames[0]!.blob).toBeNull();
    }
  });

  it('refuses an oversized header before buffering it, and a header that is not a JSON object', () => {
    const huge = new Uint8Array(4);
    new DataView(huge.buffer).setUint32(0, MAX_HEADER_BYTES + 1);
    expect(() => createFrameReader().push(huge)).toThrow(ChannelFrameError);
    const array = new TextEncoder().encode('[1]');
    const frame = new Uint8Array([0, 0, 0, array.length, ...array]);
    expect(() => createFrameReader().push(frame)).toThrow(/JSON object/);
    const notJson = new Uint8Array([0, 0, 0, 2, 0x7b, 0x7b]);
    expect(() => createFrameReader().push(notJson)).toThrow(/UTF-8 JSON/);
  });
});

describe('channel messages', () => {
  it('takes schema-valid events and a captured screenshot from a session part', () => {
    expect(parseSessionMessage({ t: 'events', events: [activity] }, null)).toEqual({
      t: 'events',
      events: [activity],
    });
    const bytes = new Uint8Array([9]);
    expect(parseSessionMessage({ t: 'blob', mime: 'image/webp', event: capture }, bytes)).toMatchObject({
      t: 'blob',
      mime: 'image/webp',
      bytes,
    });
  });

  it('refuses what protocol v1 would refuse, and blobs that are not a captured screenshot', () => {
    const bad =
      (header: unknown, blob: Uint8Array | null = null) =>
      () =>
        parseSessionMessage(header, blob);
    expect(bad({ t: 'events', events: [{ ...activity, extra: 1 }] })).toThrow(ChannelMessageError);
    expect(bad({ t: 'events', events: [{ type: 'keystrokes', time: 1 }] })).toThrow(/known type/);
    expect(bad({ t: 'events', events: [] })).toThrow(/1 to/);
    expect(bad({ t: 'blob', mime: 'image/jpeg', event: capture })).toThrow(/without bytes/);
    expect(bad({ t: 'blob', mime: 'text/html', event: capture }, new Uint8Array([1]))).toThrow(/mime/);
    expect(bad({ t: 'blob', mime: 'image/jpeg', event: activity }, new Uint8Array([1]))).toThrow(/captured/);
    expect(bad({ t: 'hello' })).toThrow(/unknown message/);
    expect(bad({ t: 'self_view_link', id: 'x' })).toThrow(/integer id/);
    expect(parseSessionMessage({ t: 'self_view_link', id: 3, osUser: 'ignored' }, null)).toEqual({
      t: 'self_view_link',
      id: 3,
    });
  });

  it('parses the service state and refuses one without its fields', () => {
    const policy = {
      activitySampleMs: 1000,
      idleThresholdMs: 180_000,
      heartbeatMs: 15_000,
      screenshotsEnabled: true,
      screenshotIntervalMs: 300_000,
      screenshotJitter: 0.2,
      screenshotMaxWidth: 1280,
      screenshotFormat: 'jpeg',
      screenshotQuality: 60,
      privacyList: [],
      deviceScanMs: 2000,
      outboxMaxBytes: 1024 * 1024,
      retentionDays: 60,
    };
    const state = {
      t: 'welcome',
      agentId: 'agt_1',
      seat: null,
      server: 'http://127.0.0.1:1',
      account: 'ada',
      policy,
      notice: { version: 2, text: 'We monitor.' },
      acknowledged: false,
    };
    expect(parseServiceMessage(state)).toMatchObject({ t: 'welcome', account: 'ada', acknowledged: false });
    expect(() => parseServiceMessage({ ...state, policy: { ...policy, activitySampleMs: 1 } })).toThrow(
      /^policy: /,
    );
    expect(() => parseServiceMessage({ ...state, account: 7 })).toThrow(ChannelMessageError);
    expect(parseServiceMessage({ t: 'refused', count: 2, reason: 'why' })).toEqual({
      t: 'refused',
      count: 2,
      reason: 'why',
    });
  });
});
