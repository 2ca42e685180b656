/**
 * Frames on the local channel between a session part and the machine
 * service (issue #14): a 4-byte big-endian header length, the header as
 * UTF-8 JSON, then `blobBytes` bytes of blob when the header names them (a
 * screenshot). Pure: bytes in, messages out, so the reader is tested on raw
 * bytes split anywhere. Both ends treat what they read as untrusted; the
 * limits keep a misbehaving peer from making the other end buffer without end.
 */

/** A header is JSON events or a policy: the protocol's text-frame limit. */
export const MAX_HEADER_BYTES = 1024 * 1024;
/** A screenshot: the protocol's binary-frame limit. */
export const MAX_BLOB_BYTES = 16 * 1024 * 1024;

export class ChannelFrameError extends Error {}

export interface ChannelFrame {
  readonly header: unknown;
  readonly blob: Uint8Array | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** One frame; with a blob, the header gets `blobBytes`. */
export function encodeFrame(header: Record<string, unknown>, blob: Uint8Array | null = null): Uint8Array {
  const json = encoder.encode(JSON.stringify(blob ? { ...header, blobBytes: blob.length } : header));
  if (json.length > MAX_HEADER_BYTES) throw new ChannelFrameError('header too large');
  if (blob && blob.length > MAX_BLOB_BYTES) throw new ChannelFrameError('blob too large');
  const frame = new Uint8Array(4 + json.length + (blob?.length ?? 0));
  new DataView(frame.buffer).setUint32(0, json.length);
  frame.set(json, 4);
  if (blob) frame.set(blob, 4 + json.length);
  return frame;
}

export interface FrameReader {
  /** The frames completed by `chunk`; throws ChannelFrameError on a malformed or oversized one. */
  push(chunk: Uint8Array): ChannelFrame[];
}

export function createFrameReader(): FrameReader {
  let buffered = new Uint8Array(0);
  /** The header of the frame whose blob is still arriving. */
  let waiting: { header: unknown; blobBytes: number } | null = null;

  function take(length: number): Uint8Array {
    const out = buffered.slice(0, length);
    buffered = buffered.subarray(length);
    return out;
  }

  function blobBytesOf(header: unknown): number {
    if (typeof header !== 'object' || header === null || Array.isArray(header))
      throw new ChannelFrameError('header is not a JSON object');
    const bytes = (header as { blobBytes?: unknown }).blobBytes;
    if (bytes === undefined) return 0;
    if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 0 || bytes > MAX_BLOB_BYTES)
      throw new ChannelFrameError('blobBytes out of range');
    return bytes;
  }

  return {
    push(chunk) {
      const joined = new Uint8Array(buffered.length + chunk.length);
      joined.set(buffered);
      joined.set(chunk, buffered.length);
      buffered = joined;
      const frames: ChannelFrame[] = [];
      for (;;) {
        if (waiting) {
          if (buffered.length < waiting.blobBytes) break;
          frames.push({ header: waiting.header, blob: take(waiting.blobBytes) });
          waiting = null;
          continue;
        }
        if (buffered.length < 4) break;
        const length = new DataView(buffered.buffer, buffered.byteOffset, 4).getUint32(0);
        if (length > MAX_HEADER_BYTES) throw new ChannelFrameError('header too large');
        if (buffered.length < 4 + length) break;
        take(4);
        let header: unknown;
        try {
          header = JSON.parse(decoder.decode(take(length)));
        } catch {
          throw new ChannelFrameError('header is not UTF-8 JSON');
        }
        const blobBytes = blobBytesOf(header);
        if (blobBytes === 0) frames.push({ header, blob: null });
        else waiting = { header, blobBytes };
      }
      return frames;
    },
  };
}
