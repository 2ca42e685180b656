/**
 * On-disk format of the outbox journal, version 1 (documented in docs/agent.md).
 *
 *   file   = MAGIC (8 bytes "SWOUTBOX") ++ u32le FORMAT_VERSION ++ record*
 *   record = u32le bodyLength ++ u32le crc32(body) ++ body
 *   body   = u8 type ++ u32le jsonLength ++ json (UTF-8) ++ blob bytes (items only)
 *
 * Records are only ever appended, each with one write() followed by
 * fdatasync, and the journal is only ever replaced whole by
 * write-temp-fsync-rename. A SIGKILL can therefore leave at most one torn
 * record, at the end; opening the journal cuts it off.
 */
import { crc32 } from 'node:zlib';

export const MAGIC = Buffer.from('SWOUTBOX', 'ascii');
export const FORMAT_VERSION = 1;
export const FILE_HEADER_BYTES = MAGIC.length + 4;
export const RECORD_HEADER_BYTES = 8;
/** Largest record we accept when reading: a 16 MiB blob plus its JSON. */
export const MAX_RECORD_BYTES = 17 * 1024 * 1024;

export const RecordType = {
  /** A batch or blob waiting to be delivered. */
  item: 1,
  /** Everything up to `seq` is acknowledged by the server. */
  ack: 2,
  /** Items removed to respect the size bound, and the marker that explains it, in one record. */
  drop: 3,
  /** Counters that must survive compaction: {lastSeq, ackedSeq}. */
  meta: 4,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

export function fileHeader(): Buffer {
  const header = Buffer.alloc(FILE_HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(FORMAT_VERSION, MAGIC.length);
  return header;
}

export function encodeRecord(type: RecordType, json: unknown, blob?: Uint8Array): Buffer {
  const jsonBytes = Buffer.from(JSON.stringify(json), 'utf8');
  const bodyLength = 1 + 4 + jsonBytes.length + (blob?.length ?? 0);
  const record = Buffer.alloc(RECORD_HEADER_BYTES + bodyLength);
  record.writeUInt32LE(bodyLength, 0);
  record.writeUInt8(type, RECORD_HEADER_BYTES);
  record.writeUInt32LE(jsonBytes.length, RECORD_HEADER_BYTES + 1);
  jsonBytes.copy(record, RECORD_HEADER_BYTES + 5);
  if (blob) record.set(blob, RECORD_HEADER_BYTES + 5 + jsonBytes.length);
  record.writeUInt32LE(crc32(record.subarray(RECORD_HEADER_BYTES)), 4);
  return record;
}
