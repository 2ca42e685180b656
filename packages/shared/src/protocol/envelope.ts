/**
 * Signed envelopes, text and binary (protocol v1 "Signed envelope").
 * Decoding is split in steps because the server must read a hello's `agent`
 * field before it knows which key to verify with; everything else goes
 * through decodeTextFrame / decodeBinaryFrame, which verify first and parse after.
 */
import { SeatwatchError } from '../errors.js';
import { ED25519_SIGNATURE_BYTES, type Ed25519Signer, type Ed25519Verifier } from '../signing/ed25519.js';
import { fromBase64, toBase64 } from './base64.js';
import { MAX_BINARY_FRAME_BYTES, MAX_TEXT_FRAME_BYTES } from './limits.js';
import type { BlobPayload, Payload } from './payloads.js';
import { type Sender, validatePayload } from './validators.js';

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const DOMAIN = {
  agent: encoder.encode('seatwatch/1 agent\n'),
  server: encoder.encode('seatwatch/1 server\n'),
} as const;

/** The bytes that are signed: UTF8("seatwatch/1 " + ROLE + "\n") ++ UTF8(p). */
export function signingInput(sender: Sender, pBytes: Uint8Array): Uint8Array {
  const prefix = DOMAIN[sender];
  const out = new Uint8Array(prefix.length + pBytes.length);
  out.set(prefix, 0);
  out.set(pBytes, prefix.length);
  return out;
}

export interface OpenedEnvelope {
  /** The payload exactly as sent: the signed text. */
  readonly p: string;
  readonly pBytes: Uint8Array;
  readonly signature: Uint8Array;
}

function openEnvelopeJson(text: string): OpenedEnvelope {
  let outer: unknown;
  try {
    outer = JSON.parse(text);
  } catch {
    throw new SeatwatchError('frame_malformed', 'envelope is not JSON');
  }
  if (typeof outer !== 'object' || outer === null || Array.isArray(outer)) {
    throw new SeatwatchError('frame_malformed', 'envelope is not a JSON object');
  }
  const { p, s } = outer as { p?: unknown; s?: unknown };
  if (typeof p !== 'string' || typeof s !== 'string' || Object.keys(outer).length !== 2) {
    throw new SeatwatchError('frame_malformed', 'envelope must be exactly {p: string, s: string}');
  }
  return { p, pBytes: encoder.encode(p), signature: fromBase64(s, ED25519_SIGNATURE_BYTES) };
}

/** Step 1 for text frames: size, UTF-8 and envelope shape. Throws frame_too_large / frame_malformed. */
export function openTextFrame(data: string | Uint8Array): OpenedEnvelope {
  let text: string;
  if (typeof data === 'string') {
    // A UTF-16 length over the limit may still be under it in UTF-8 only if it is all ASCII; measure exactly.
    if (data.length > MAX_TEXT_FRAME_BYTES || encoder.encode(data).length > MAX_TEXT_FRAME_BYTES) {
      throw new SeatwatchError('frame_too_large', `text frame over ${MAX_TEXT_FRAME_BYTES} bytes`);
    }
    text = data;
  } else {
    if (data.length > MAX_TEXT_FRAME_BYTES) {
      throw new SeatwatchError('frame_too_large', `text frame over ${MAX_TEXT_FRAME_BYTES} bytes`);
    }
    try {
      text = strictDecoder.decode(data);
    } catch {
      throw new SeatwatchError('frame_malformed', 'text frame is not valid UTF-8');
    }
  }
  return openEnvelopeJson(text);
}

/** Step 1 for binary frames: [u32 BE length][envelope][blob]. */
export function openBinaryFrame(data: Uint8Array): { envelope: OpenedEnvelope; blob: Uint8Array } {
  if (data.length > MAX_BINARY_FRAME_BYTES) {
    throw new SeatwatchError('frame_too_large', `binary frame over ${MAX_BINARY_FRAME_BYTES} bytes`);
  }
  if (data.length < 4)
    throw new SeatwatchError('frame_malformed', 'binary frame shorter than its 4-byte header');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = view.getUint32(0, false);
  if (n > data.length - 4) throw new SeatwatchError('frame_malformed', 'envelope length runs past the frame');
  const envelope = openTextFrame(data.subarray(4, 4 + n));
  return { envelope, blob: data.subarray(4 + n) };
}

/** Step 2: the signature over the exact bytes of p. Throws bad_signature. */
export function verifyEnvelope(
  envelope: OpenedEnvelope,
  sender: Sender,
  publicKey: Uint8Array,
  verifier: Ed25519Verifier,
): void {
  if (!verifier.verify(signingInput(sender, envelope.pBytes), envelope.signature, publicKey)) {
    throw new SeatwatchError('bad_signature');
  }
}

/** Step 3: p as JSON (untrusted until validated). Throws payload_invalid. */
export function parsePayloadJson(envelope: OpenedEnvelope): unknown {
  try {
    return JSON.parse(envelope.p);
  } catch {
    throw new SeatwatchError('payload_invalid', 'p is not JSON');
  }
}

/**
 * The one thing read from an unverified payload: a hello's `agent` field,
 * to look up the key that must then verify it. Null if it is not a hello.
 */
export function unverifiedHelloAgent(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const { t, agent } = value as { t?: unknown; agent?: unknown };
  return t === 'hello' && typeof agent === 'string' && agent.length > 0 && agent.length <= 128 ? agent : null;
}

export interface DecodeOptions {
  sender: Sender;
  publicKey: Uint8Array;
  verifier: Ed25519Verifier;
}

export function decodeTextFrame(data: string | Uint8Array, options: DecodeOptions): Payload {
  const envelope = openTextFrame(data);
  verifyEnvelope(envelope, options.sender, options.publicKey, options.verifier);
  return validatePayload(parsePayloadJson(envelope), options.sender, 'text');
}

export interface DecodeBinaryOptions extends DecodeOptions {
  sha256Hex: (data: Uint8Array) => string;
}

export function decodeBinaryFrame(
  data: Uint8Array,
  options: DecodeBinaryOptions,
): { payload: BlobPayload; blob: Uint8Array } {
  const { envelope, blob } = openBinaryFrame(data);
  verifyEnvelope(envelope, options.sender, options.publicKey, options.verifier);
  const payload = validatePayload(parsePayloadJson(envelope), options.sender, 'binary') as BlobPayload;
  checkBlob(payload, blob, options.sha256Hex);
  return { payload, blob };
}

/** The receiver's check of a blob against its signed size and hash. */
export function checkBlob(
  payload: BlobPayload,
  blob: Uint8Array,
  sha256Hex: (data: Uint8Array) => string,
): void {
  if (payload.size !== blob.length) {
    throw new SeatwatchError(
      'blob_size_mismatch',
      `payload says ${payload.size}, frame carries ${blob.length}`,
    );
  }
  if (sha256Hex(blob) !== payload.sha256) throw new SeatwatchError('blob_hash_mismatch');
}

function sealText(payload: Payload, sender: Sender, signer: Ed25519Signer): string {
  const p = JSON.stringify(payload);
  const signature = signer.sign(signingInput(sender, encoder.encode(p)));
  return JSON.stringify({ p, s: toBase64(signature) });
}

export function encodeTextFrame(payload: Payload, sender: Sender, signer: Ed25519Signer): string {
  return sealText(payload, sender, signer);
}

export function encodeBinaryFrame(
  payload: BlobPayload,
  blob: Uint8Array,
  sender: Sender,
  signer: Ed25519Signer,
): Uint8Array {
  const envelope = encoder.encode(sealText(payload, sender, signer));
  const frame = new Uint8Array(4 + envelope.length + blob.length);
  new DataView(frame.buffer).setUint32(0, envelope.length, false);
  frame.set(envelope, 4);
  frame.set(blob, 4 + envelope.length);
  return frame;
}
