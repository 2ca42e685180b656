/**
 * A read-only reader of the agent's outbox journal (format version 1, see
 * packages/agent/src/outbox/journal-format.ts), written apart from the
 * agent's own code so that a crash test checks the file itself: every record
 * whole with a matching CRC, except at most one torn record at the very end.
 * It never repairs anything; the agent does that when it opens the journal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { CaptureEvent, Event } from '@seatwatch/shared';

const MAGIC = 'SWOUTBOX';
const HEADER_BYTES = 12;
const RECORD_HEADER_BYTES = 8;
const TYPE = { item: 1, ack: 2, drop: 3, meta: 4 } as const;

export type JournalItem =
  | { seq: number; kind: 'batch'; time: number; events: Event[] }
  | {
      seq: number;
      kind: 'blob';
      time: number;
      mime: string;
      sha256: string;
      size: number;
      event: CaptureEvent;
      blob: Buffer;
    };

export interface JournalView {
  /** Highest seq the agent ever gave out. */
  lastSeq: number;
  /** Highest seq the server acknowledged, as the agent recorded it. */
  ackedSeq: number;
  /** Items still waiting for an acknowledgement, by seq. */
  unacked: Map<number, JournalItem>;
  records: number;
  /** Bytes of a torn last record (a write cut by the kill); 0 when the file ends on a whole record. */
  tornTailBytes: number;
}

export function journalFile(stateDir: string): string {
  return path.join(stateDir, 'outbox', 'journal.v1');
}

/** Reads the journal; throws if it is damaged anywhere but a torn last record. */
export function readJournal(stateDir: string): JournalView {
  const file = journalFile(stateDir);
  const bytes = fs.readFileSync(file);
  if (bytes.length < HEADER_BYTES || bytes.subarray(0, 8).toString('latin1') !== MAGIC) {
    throw new Error(`${file}: not an outbox journal`);
  }
  if (bytes.readUInt32LE(8) !== 1) throw new Error(`${file}: format version ${bytes.readUInt32LE(8)}`);
  const view: JournalView = { lastSeq: 0, ackedSeq: 0, unacked: new Map(), records: 0, tornTailBytes: 0 };
  let at = HEADER_BYTES;
  while (at < bytes.length) {
    const whole = at + RECORD_HEADER_BYTES <= bytes.length;
    const bodyLength = whole ? bytes.readUInt32LE(at) : 0;
    const end = at + RECORD_HEADER_BYTES + bodyLength;
    if (!whole || end > bytes.length) {
      view.tornTailBytes = bytes.length - at;
      break;
    }
    const body = bytes.subarray(at + RECORD_HEADER_BYTES, end);
    if (crc32(body) !== bytes.readUInt32LE(at + 4)) {
      if (end === bytes.length) {
        view.tornTailBytes = bytes.length - at;
        break;
      }
      throw new Error(`${file}: CRC mismatch in the record at byte ${at}, before the end of the file`);
    }
    apply(view, body);
    view.records++;
    at = end;
  }
  for (const seq of view.unacked.keys()) if (seq <= view.ackedSeq) view.unacked.delete(seq);
  return view;
}

function apply(view: JournalView, body: Buffer): void {
  const type = body.readUInt8(0);
  const jsonLength = body.readUInt32LE(1);
  const json = JSON.parse(body.subarray(5, 5 + jsonLength).toString('utf8'));
  switch (type) {
    case TYPE.item: {
      const item: JournalItem =
        json.kind === 'blob' ? { ...json, blob: Buffer.from(body.subarray(5 + jsonLength)) } : json;
      view.lastSeq = Math.max(view.lastSeq, item.seq);
      if (item.seq > view.ackedSeq) view.unacked.set(item.seq, item);
      return;
    }
    case TYPE.ack:
      view.ackedSeq = Math.max(view.ackedSeq, json.seq);
      for (const seq of view.unacked.keys()) if (seq <= view.ackedSeq) view.unacked.delete(seq);
      return;
    case TYPE.drop: {
      for (const seq of json.remove as number[]) view.unacked.delete(seq);
      for (const marker of json.markers as JournalItem[]) {
        view.unacked.set(marker.seq, marker);
        view.lastSeq = Math.max(view.lastSeq, marker.seq);
      }
      return;
    }
    case TYPE.meta:
      view.lastSeq = Math.max(view.lastSeq, json.lastSeq);
      view.ackedSeq = Math.max(view.ackedSeq, json.ackedSeq);
      return;
    default:
      throw new Error(`unknown journal record type ${type}`);
  }
}

/** The events an item carries, as the server stores them (a blob's capture event is its only event). */
export function itemEvents(item: JournalItem): Event[] {
  return item.kind === 'batch' ? item.events : [item.event];
}
