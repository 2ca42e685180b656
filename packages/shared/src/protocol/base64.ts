/** Standard base64 (RFC 4648 §4, padded), strict: one valid spelling per byte string. */
import { SeatwatchError } from '../errors.js';

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Decodes, or throws `frame_malformed`; rejects non-canonical spellings (stray padding bits). */
export function fromBase64(text: string, expectedBytes?: number): Uint8Array {
  if (!BASE64_RE.test(text)) throw new SeatwatchError('frame_malformed', 'invalid base64');
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  if (toBase64(bytes) !== text) throw new SeatwatchError('frame_malformed', 'non-canonical base64');
  if (expectedBytes !== undefined && bytes.length !== expectedBytes) {
    throw new SeatwatchError('frame_malformed', `expected ${expectedBytes} bytes of base64 data`);
  }
  return bytes;
}
