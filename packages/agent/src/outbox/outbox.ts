/**
 * The durable outbox: every batch and screenshot gets its sequence number
 * here and stays on disk until the server acknowledges it. One append-only
 * journal per agent (format in journal-format.ts), an in-memory index of the
 * live items, and compaction by write-temp-fsync-rename once acknowledged
 * records outweigh live ones. Bounded by policy.outboxMaxBytes with the drop
 * rule of core/outbox-drop-policy.ts.
 *
 * All file operations are synchronous on purpose: each append is one
 * write() + fdatasync(), so an append either returned (and is on disk) or
 * did not happen, and no two appends interleave.
 */
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { CaptureEvent, DataDroppedEvent, Event } from '@seatwatch/shared';
import { type OutboxEntry, planDrops } from '../core/outbox-drop-policy.js';
import { fsyncDirectory, writeFileAtomic } from '../runtime/atomic-file.js';
import {
  encodeRecord,
  FILE_HEADER_BYTES,
  FORMAT_VERSION,
  fileHeader,
  MAGIC,
  MAX_RECORD_BYTES,
  RECORD_HEADER_BYTES,
  RecordType,
} from './journal-format.js';

export const JOURNAL_FILE = 'journal.v1';

export type ImageMime = 'image/jpeg' | 'image/webp' | 'image/png';

export interface BatchItem {
  readonly seq: number;
  readonly kind: 'batch';
  readonly time: number;
  readonly events: readonly Event[];
}

export interface BlobItem {
  readonly seq: number;
  readonly kind: 'blob';
  readonly time: number;
  readonly mime: ImageMime;
  readonly sha256: string;
  readonly size: number;
  readonly event: CaptureEvent;
  readonly blob: Uint8Array;
}

export type OutboxItem = BatchItem | BlobItem;

/** Thrown when the journal is damaged somewhere other than a torn last record. */
export class OutboxCorruptError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`outbox journal ${file} is corrupt: ${detail}`);
    this.name = 'OutboxCorruptError';
  }
}

interface IndexEntry extends OutboxEntry {
  readonly time: number;
  /** Where the item record starts in the current journal; -1 for an inline marker. */
  readonly offset: number;
  /** A data_dropped marker lives in memory (it came in a drop record). */
  readonly marker: BatchItem | null;
}

type ItemJson =
  | { seq: number; kind: 'batch'; time: number; events: Event[] }
  | {
      seq: number;
      kind: 'blob';
      time: number;
      mime: ImageMime;
      sha256: string;
      size: number;
      event: CaptureEvent;
    };

interface DropJson {
  remove: number[];
  markers: { seq: number; kind: 'batch'; time: number; events: Event[] }[];
}

export interface OutboxOptions {
  readonly maxBytes: number;
  readonly now: () => number;
  /** Told about every drop, so the agent can log it and show it on its status page. */
  readonly onDrop?: (event: DataDroppedEvent) => void;
}

export interface OpenReport {
  /** Bytes cut off the end: a record torn by a crash mid-write. */
  readonly truncatedBytes: number;
}

export class Outbox {
  private fd: number;
  private fileSize: number;
  private readonly index = new Map<number, IndexEntry>();
  private liveBytes = 0;
  private maxBytes: number;
  private closed = false;
  readonly openReport: OpenReport;

  private constructor(
    private readonly dir: string,
    private readonly options: OutboxOptions,
    private lastSeqValue: number,
    private ackedSeqValue: number,
    opened: { fd: number; size: number; truncated: number; entries: IndexEntry[] },
  ) {
    this.fd = opened.fd;
    this.fileSize = opened.size;
    this.maxBytes = options.maxBytes;
    for (const entry of opened.entries) {
      this.index.set(entry.seq, entry);
      this.liveBytes += entry.bytes;
    }
    this.openReport = { truncatedBytes: opened.truncated };
  }

  static open(dir: string, options: OutboxOptions): Outbox {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, JOURNAL_FILE);
    // A leftover temp file is a compaction that never reached its rename: the journal is still whole.
    fs.rmSync(`${file}.tmp`, { force: true });
    if (!fs.existsSync(file)) {
      writeFileAtomic(
        file,
        Buffer.concat([fileHeader(), encodeRecord(RecordType.meta, { lastSeq: 0, ackedSeq: 0 })]),
      );
    }
    const state = scanJournal(file);
    return new Outbox(dir, options, state.lastSeq, state.ackedSeq, state);
  }

  /** Highest sequence number ever given out (kept across restarts and compactions). */
  get lastSeq(): number {
    return this.lastSeqValue;
  }
  get ackedSeq(): number {
    return this.ackedSeqValue;
  }
  /** Items waiting for an acknowledgement. */
  get depth(): number {
    return this.index.size;
  }
  get bytes(): number {
    return this.liveBytes;
  }
  get journalBytes(): number {
    return this.fileSize;
  }

  /** Sequence numbers still unacknowledged and greater than `after`, ascending. */
  seqsAfter(after: number): number[] {
    const out: number[] = [];
    for (const seq of this.index.keys()) if (seq > after) out.push(seq);
    return out;
  }

  read(seq: number): OutboxItem | null {
    const entry = this.index.get(seq);
    if (!entry) return null;
    if (entry.marker) return entry.marker;
    const record = readRecordAt(this.fd, entry.offset, entry.bytes);
    const json = JSON.parse(record.json.toString('utf8')) as ItemJson;
    if (json.kind === 'batch') return json;
    return { ...json, blob: record.blob };
  }

  appendBatch(events: readonly Event[]): number {
    const seq = this.lastSeqValue + 1;
    const json: ItemJson = { seq, kind: 'batch', time: this.options.now(), events: [...events] };
    const record = encodeRecord(RecordType.item, json);
    if (!this.makeRoom(record.length)) {
      const count = events.length;
      return this.appendMarker(
        seq,
        dropEvent(
          this.options.now(),
          'event',
          count,
          record.length,
          seq,
          seq,
          'batch larger than the outbox limit',
        ),
      );
    }
    this.appendItemRecord(seq, 'batch', json.time, record, events.length);
    return seq;
  }

  appendBlob(mime: ImageMime, sha256: string, event: CaptureEvent, blob: Uint8Array): number {
    const seq = this.lastSeqValue + 1;
    const json: ItemJson = {
      seq,
      kind: 'blob',
      time: this.options.now(),
      mime,
      sha256,
      size: blob.length,
      event,
    };
    const record = encodeRecord(RecordType.item, json, blob);
    if (!this.makeRoom(record.length)) {
      return this.appendMarker(
        seq,
        dropEvent(
          this.options.now(),
          'screenshot',
          1,
          record.length,
          seq,
          seq,
          'screenshot larger than the outbox limit',
        ),
      );
    }
    this.appendItemRecord(seq, 'blob', json.time, record, 1);
    return seq;
  }

  /** Cumulative acknowledgement. Returns false for an ack of something never sent (ignored). */
  ack(seq: number): boolean {
    if (seq > this.lastSeqValue) return false;
    if (seq <= this.ackedSeqValue) return true;
    this.appendRecord(encodeRecord(RecordType.ack, { seq }));
    this.ackedSeqValue = seq;
    for (const [key, entry] of this.index) {
      if (key > seq) break;
      this.index.delete(key);
      this.liveBytes -= entry.bytes;
    }
    this.compactIfWasteful();
    return true;
  }

  /**
   * The server has stored more than this journal remembers (the state folder
   * was restored from an old copy): continue numbering above it, or new data
   * would be taken for resends and never stored.
   */
  raiseSeqFloor(serverAckedSeq: number): void {
    if (serverAckedSeq <= this.lastSeqValue) return;
    this.lastSeqValue = serverAckedSeq;
    this.appendRecord(
      encodeRecord(RecordType.meta, { lastSeq: serverAckedSeq, ackedSeq: this.ackedSeqValue }),
    );
    this.ack(serverAckedSeq);
  }

  setMaxBytes(maxBytes: number): void {
    this.maxBytes = maxBytes;
    this.makeRoom(0);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }

  private appendItemRecord(
    seq: number,
    kind: 'batch' | 'blob',
    time: number,
    record: Buffer,
    eventCount: number,
  ) {
    const offset = this.fileSize;
    this.appendRecord(record);
    this.lastSeqValue = seq;
    this.index.set(seq, { seq, kind, time, offset, bytes: record.length, eventCount, marker: null });
    this.liveBytes += record.length;
  }

  private appendMarker(seq: number, event: DataDroppedEvent): number {
    const marker: BatchItem = { seq, kind: 'batch', time: event.time, events: [event] };
    this.writeDrop([], [marker]);
    this.lastSeqValue = seq;
    this.options.onDrop?.(event);
    return seq;
  }

  /** Drops what the policy says so that `incoming` more bytes fit. False if they cannot fit at all. */
  private makeRoom(incoming: number): boolean {
    const entries = [...this.index.values()];
    const plan = planDrops(entries, this.maxBytes, incoming, MARKER_BYTES_ESTIMATE);
    if (plan.screenshots.length === 0 && !plan.events) return plan.fits;
    const now = this.options.now();
    const reason = `outbox full (limit ${this.maxBytes} bytes)`;
    const remove: number[] = [];
    const markers: BatchItem[] = [];
    for (const seq of plan.screenshots) {
      const entry = this.index.get(seq)!;
      remove.push(seq);
      markers.push({
        seq,
        kind: 'batch',
        time: now,
        events: [dropEvent(now, 'screenshot', 1, entry.bytes, seq, seq, reason)],
      });
    }
    if (plan.events) {
      const { fromSeq, toSeq, count, bytes } = plan.events;
      const already = new Set(remove);
      for (const seq of this.index.keys())
        if (seq >= fromSeq && seq <= toSeq && !already.has(seq)) remove.push(seq);
      // A screenshot marker inside the run is superseded by the run's own marker.
      const kept = markers.filter((m) => m.seq < fromSeq || m.seq > toSeq);
      markers.length = 0;
      markers.push(...kept, {
        seq: fromSeq,
        kind: 'batch',
        time: now,
        events: [dropEvent(now, 'event', count, bytes, fromSeq, toSeq, reason)],
      });
    }
    this.writeDrop(remove, markers);
    for (const marker of markers) this.options.onDrop?.(marker.events[0] as DataDroppedEvent);
    return plan.fits;
  }

  private writeDrop(remove: number[], markers: BatchItem[]): void {
    const json: DropJson = { remove, markers: markers.map((m) => ({ ...m, events: [...m.events] })) };
    this.appendRecord(encodeRecord(RecordType.drop, json));
    applyDrop(this.index, json, (delta) => {
      this.liveBytes += delta;
    });
  }

  private appendRecord(record: Buffer): void {
    if (this.closed) throw new Error('outbox is closed');
    fs.writeSync(this.fd, record, 0, record.length, this.fileSize);
    fs.fdatasyncSync(this.fd);
    this.fileSize += record.length;
  }

  private compactIfWasteful(): void {
    const waste = this.fileSize - FILE_HEADER_BYTES - this.liveBytes;
    if (waste < COMPACT_MIN_WASTE || waste < this.liveBytes) return;
    this.compact();
  }

  /** Rewrites the journal with only the live items: temp file, fsync, rename, fsync the folder. */
  compact(): void {
    const file = path.join(this.dir, JOURNAL_FILE);
    const tmp = `${file}.tmp`;
    const out = fs.openSync(tmp, 'w', 0o600);
    const moved: IndexEntry[] = [];
    try {
      let position = 0;
      const write = (buffer: Buffer) => {
        fs.writeSync(out, buffer, 0, buffer.length, position);
        position += buffer.length;
      };
      write(fileHeader());
      write(encodeRecord(RecordType.meta, { lastSeq: this.lastSeqValue, ackedSeq: this.ackedSeqValue }));
      for (const entry of this.index.values()) {
        const record = entry.marker
          ? encodeRecord(RecordType.item, entry.marker)
          : readRawRecord(this.fd, entry.offset, entry.bytes);
        moved.push({ ...entry, offset: position, bytes: record.length, marker: null });
        write(record);
      }
      fs.fsyncSync(out);
    } finally {
      fs.closeSync(out);
    }
    fs.renameSync(tmp, file);
    fsyncDirectory(this.dir);
    fs.closeSync(this.fd);
    this.fd = fs.openSync(file, 'r+');
    this.fileSize = fs.fstatSync(this.fd).size;
    this.index.clear();
    this.liveBytes = 0;
    for (const entry of moved) {
      this.index.set(entry.seq, entry);
      this.liveBytes += entry.bytes;
    }
  }
}

/** A data_dropped marker's record is about this size; the drop plan reserves it. */
const MARKER_BYTES_ESTIMATE = 512;
const COMPACT_MIN_WASTE = 1024 * 1024;

function dropEvent(
  time: number,
  kind: 'screenshot' | 'event',
  count: number,
  bytes: number,
  fromSeq: number,
  toSeq: number,
  reason: string,
): DataDroppedEvent {
  return { type: 'data_dropped', time, kind, count, bytes, fromSeq, toSeq, reason };
}

function applyDrop(index: Map<number, IndexEntry>, drop: DropJson, adjust: (delta: number) => void): void {
  const markers = new Map(drop.markers.map((m) => [m.seq, m]));
  for (const seq of drop.remove) {
    const entry = index.get(seq);
    if (!entry) continue;
    adjust(-entry.bytes);
    // A marker takes its item's place (Map.set keeps the position, so the index stays in seq order).
    if (!markers.has(seq)) index.delete(seq);
  }
  for (const marker of markers.values()) {
    const bytes = encodeRecord(RecordType.item, marker).length;
    index.set(marker.seq, {
      seq: marker.seq,
      kind: 'batch',
      time: marker.time,
      offset: -1,
      bytes,
      eventCount: marker.events.length,
      marker,
    });
    adjust(bytes);
  }
}

interface RawRecord {
  type: number;
  json: Buffer;
  blob: Buffer;
}

function readRawRecord(fd: number, offset: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const read = fs.readSync(fd, buffer, 0, length, offset);
  if (read !== length) throw new Error(`outbox read ${read} of ${length} bytes at ${offset}`);
  return buffer;
}

function readRecordAt(fd: number, offset: number, length: number): RawRecord {
  return splitBody(readRawRecord(fd, offset, length).subarray(RECORD_HEADER_BYTES));
}

function splitBody(body: Buffer): RawRecord {
  const type = body.readUInt8(0);
  const jsonLength = body.readUInt32LE(1);
  if (5 + jsonLength > body.length) throw new Error('record JSON runs past its body');
  return { type, json: body.subarray(5, 5 + jsonLength), blob: body.subarray(5 + jsonLength) };
}

interface ScanResult {
  fd: number;
  size: number;
  truncated: number;
  entries: IndexEntry[];
  lastSeq: number;
  ackedSeq: number;
}

function scanJournal(file: string): ScanResult {
  const fd = fs.openSync(file, 'r+');
  try {
    const size = fs.fstatSync(fd).size;
    const header = Buffer.alloc(FILE_HEADER_BYTES);
    if (
      fs.readSync(fd, header, 0, FILE_HEADER_BYTES, 0) !== FILE_HEADER_BYTES ||
      !header.subarray(0, MAGIC.length).equals(MAGIC)
    ) {
      throw new OutboxCorruptError(file, 'not an outbox journal (bad header)');
    }
    const version = header.readUInt32LE(MAGIC.length);
    if (version !== FORMAT_VERSION) {
      throw new OutboxCorruptError(
        file,
        `format version ${version}; this agent reads version ${FORMAT_VERSION}`,
      );
    }
    const index = new Map<number, IndexEntry>();
    let lastSeq = 0;
    let ackedSeq = 0;
    let position = FILE_HEADER_BYTES;
    let truncated = 0;
    const recordHeader = Buffer.alloc(RECORD_HEADER_BYTES);
    while (position < size) {
      const tornAt = position;
      const headerRead = fs.readSync(fd, recordHeader, 0, RECORD_HEADER_BYTES, position);
      const bodyLength = recordHeader.readUInt32LE(0);
      const end = position + RECORD_HEADER_BYTES + bodyLength;
      if (headerRead < RECORD_HEADER_BYTES || end > size) {
        truncated = cutTail(fd, tornAt, size);
        break;
      }
      if (bodyLength < 5 || bodyLength > MAX_RECORD_BYTES) {
        throw new OutboxCorruptError(file, `record at byte ${position} claims ${bodyLength} bytes`);
      }
      const body = Buffer.alloc(bodyLength);
      fs.readSync(fd, body, 0, bodyLength, position + RECORD_HEADER_BYTES);
      if (crc32(body) !== recordHeader.readUInt32LE(4)) {
        // Only the last record can be torn by a crash; damage before it is real corruption.
        if (end === size) {
          truncated = cutTail(fd, tornAt, size);
          break;
        }
        throw new OutboxCorruptError(file, `checksum mismatch in the record at byte ${position}`);
      }
      const record = splitBody(body);
      let json: unknown;
      try {
        json = JSON.parse(record.json.toString('utf8'));
      } catch {
        throw new OutboxCorruptError(file, `record at byte ${position} holds invalid JSON`);
      }
      switch (record.type) {
        case RecordType.item: {
          const item = json as ItemJson;
          if (item.seq > ackedSeq) {
            const eventCount = item.kind === 'batch' ? item.events.length : 1;
            index.set(item.seq, {
              seq: item.seq,
              kind: item.kind,
              time: item.time,
              offset: position,
              bytes: end - position,
              eventCount,
              marker: null,
            });
          }
          lastSeq = Math.max(lastSeq, item.seq);
          break;
        }
        case RecordType.ack: {
          const { seq } = json as { seq: number };
          ackedSeq = Math.max(ackedSeq, seq);
          for (const key of [...index.keys()]) if (key <= ackedSeq) index.delete(key);
          break;
        }
        case RecordType.drop: {
          const drop = json as DropJson;
          applyDrop(index, drop, () => {});
          for (const marker of drop.markers) lastSeq = Math.max(lastSeq, marker.seq);
          break;
        }
        case RecordType.meta: {
          const meta = json as { lastSeq: number; ackedSeq: number };
          lastSeq = Math.max(lastSeq, meta.lastSeq);
          ackedSeq = Math.max(ackedSeq, meta.ackedSeq);
          break;
        }
        default:
          throw new OutboxCorruptError(file, `unknown record type ${record.type} at byte ${position}`);
      }
      position = end;
    }
    for (const key of [...index.keys()]) if (key <= ackedSeq) index.delete(key);
    return { fd, size: size - truncated, truncated, entries: [...index.values()], lastSeq, ackedSeq };
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

function cutTail(fd: number, at: number, size: number): number {
  fs.ftruncateSync(fd, at);
  fs.fsyncSync(fd);
  return size - at;
}
