import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CaptureEvent, Event } from '@seatwatch/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JOURNAL_FILE, Outbox, OutboxCorruptError } from '../../src/outbox/outbox.js';

const capture = (time: number): CaptureEvent => ({
  type: 'capture',
  time,
  outcome: 'captured',
  trigger: 'schedule',
  monitor: 0,
  width: 100,
  height: 50,
  reason: '',
  commandId: null,
});
const events = (n: number, time = 1): Event[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'status', time: time + i, state: 'active', idleMs: i }));
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let dir: string;
const now = 1_000;
const open = (maxBytes = 64 * 1024 * 1024, onDrop?: (e: Event) => void) =>
  Outbox.open(dir, { maxBytes, now: () => now, ...(onDrop ? { onDrop } : {}) });

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('Outbox', () => {
  it('numbers items 1, 2, 3 and keeps them until acknowledged, across reopen', () => {
    const outbox = open();
    const blob = new Uint8Array([1, 2, 3, 4]);
    expect(outbox.appendBatch(events(2))).toBe(1);
    expect(outbox.appendBlob('image/jpeg', sha(blob), capture(5), blob)).toBe(2);
    expect(outbox.appendBatch(events(1, 9))).toBe(3);
    expect(outbox.ack(1)).toBe(true);
    outbox.close();

    const again = open();
    expect(again.lastSeq).toBe(3);
    expect(again.ackedSeq).toBe(1);
    expect(again.seqsAfter(0)).toEqual([2, 3]);
    const item = again.read(2);
    expect(item?.kind).toBe('blob');
    expect(item?.kind === 'blob' && Array.from(item.blob)).toEqual([1, 2, 3, 4]);
    expect(again.read(3)).toMatchObject({ kind: 'batch', events: events(1, 9) });
    expect(again.read(1)).toBeNull();
    expect(again.appendBatch(events(1))).toBe(4);
    again.close();
  });

  it('keeps sequence numbers after everything is acknowledged and compacted', () => {
    const outbox = open();
    const blob = new Uint8Array(300 * 1024).fill(7);
    for (let i = 0; i < 10; i++) outbox.appendBlob('image/jpeg', sha(blob), capture(i), blob);
    outbox.ack(10);
    // Compaction ran: the journal holds no acknowledged bytes any more.
    expect(outbox.journalBytes).toBeLessThan(1024);
    outbox.close();
    const again = open();
    expect(again.lastSeq).toBe(10);
    expect(again.depth).toBe(0);
    expect(again.appendBatch(events(1))).toBe(11);
    again.close();
  });

  it('ignores an ack for something never sent, and repeated acks', () => {
    const outbox = open();
    outbox.appendBatch(events(1));
    expect(outbox.ack(5)).toBe(false);
    expect(outbox.depth).toBe(1);
    expect(outbox.ack(1)).toBe(true);
    expect(outbox.ack(1)).toBe(true);
    expect(outbox.depth).toBe(0);
    outbox.close();
  });

  it('continues numbering above a server that has stored more', () => {
    const outbox = open();
    outbox.appendBatch(events(1));
    outbox.raiseSeqFloor(40);
    expect(outbox.depth).toBe(0);
    expect(outbox.appendBatch(events(1))).toBe(41);
    outbox.close();
    expect(open().lastSeq).toBe(41);
  });

  it('stays under its byte limit by dropping screenshots first, leaving markers at their seq', () => {
    const dropped: Event[] = [];
    const outbox = open(1024 * 1024, (e) => dropped.push(e));
    const blob = new Uint8Array(300 * 1024).fill(1);
    outbox.appendBatch(events(3)); // 1
    outbox.appendBlob('image/jpeg', sha(blob), capture(1), blob); // 2
    outbox.appendBlob('image/jpeg', sha(blob), capture(2), blob); // 3
    outbox.appendBatch(events(3)); // 4
    outbox.appendBlob('image/jpeg', sha(blob), capture(3), blob); // 5
    outbox.appendBlob('image/jpeg', sha(blob), capture(4), blob); // 6: needs room
    expect(outbox.bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(outbox.seqsAfter(0)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(outbox.read(2)).toMatchObject({
      kind: 'batch',
      events: [{ type: 'data_dropped', kind: 'screenshot', count: 1, fromSeq: 2, toSeq: 2 }],
    });
    expect(outbox.read(1)).toMatchObject({ kind: 'batch', events: events(3) });
    expect(outbox.read(3)?.kind).toBe('blob');
    expect(dropped).toHaveLength(1);
    outbox.close();
    // The drop is durable: the reopened journal shows the same picture.
    const again = open(1024 * 1024);
    expect(again.read(2)).toMatchObject({ kind: 'batch', events: [{ type: 'data_dropped' }] });
    expect(again.bytes).toBeLessThanOrEqual(1024 * 1024);
    again.close();
  });

  it('drops the oldest events only when no screenshot is left, and says so before the gap', () => {
    const outbox = open(1024 * 1024);
    const big = (seqTime: number) => events(400, seqTime); // ~25 KB each
    let seq = 0;
    while (outbox.bytes < 1000 * 1024) seq = outbox.appendBatch(big(seq));
    const before = outbox.seqsAfter(0);
    outbox.appendBatch(big(999));
    const after = outbox.seqsAfter(0);
    expect(outbox.bytes).toBeLessThanOrEqual(1024 * 1024);
    const first = outbox.read(after[0]!);
    expect(first).toMatchObject({
      kind: 'batch',
      events: [{ type: 'data_dropped', kind: 'event', fromSeq: 1 }],
    });
    const marker = first?.kind === 'batch' ? first.events[0] : undefined;
    const toSeq = marker?.type === 'data_dropped' ? marker.toSeq : 0;
    expect(toSeq).toBeGreaterThanOrEqual(1);
    // Everything after the dropped run is still there, in order.
    expect(after.slice(1)).toEqual([...before.filter((s) => s > toSeq), before.length + 1]);
    outbox.close();
  });

  it('turns a screenshot larger than the limit into a marker', () => {
    const outbox = open(1024 * 1024);
    const blob = new Uint8Array(2 * 1024 * 1024);
    const seq = outbox.appendBlob('image/png', sha(blob), capture(1), blob);
    expect(outbox.read(seq)).toMatchObject({ events: [{ type: 'data_dropped', kind: 'screenshot' }] });
    outbox.close();
  });

  it('cuts a torn last record and keeps everything before it', () => {
    const outbox = open();
    outbox.appendBatch(events(2));
    outbox.appendBatch(events(3));
    outbox.close();
    const file = path.join(dir, JOURNAL_FILE);
    const whole = fs.statSync(file).size;
    fs.truncateSync(file, whole - 7);
    const again = open();
    expect(again.openReport.truncatedBytes).toBeGreaterThan(0);
    expect(again.seqsAfter(0)).toEqual([1]);
    expect(again.appendBatch(events(1))).toBe(2);
    again.close();
  });

  it('refuses a journal damaged before its last record', () => {
    const outbox = open();
    outbox.appendBatch(events(2));
    outbox.appendBatch(events(3));
    outbox.close();
    const file = path.join(dir, JOURNAL_FILE);
    const bytes = fs.readFileSync(file);
    bytes[40] = bytes[40]! ^ 0xff;
    fs.writeFileSync(file, bytes);
    expect(() => open()).toThrow(OutboxCorruptError);
    fs.writeFileSync(file, Buffer.from('not a journal at all'));
    expect(() => open()).toThrow(/bad header/);
  });
});
