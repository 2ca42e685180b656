/**
 * Webhook bodies are signed with the server's Ed25519 key, the key agents
 * already pin, so a receiver needs no shared secret:
 *
 *   signature = Ed25519-sign(serverKey, UTF8("seatwatch/1 webhook\n" + timestamp + "\n") ++ body)
 *
 * sent as `Seatwatch-Signature: ed25519=<base64>` with `Seatwatch-Timestamp`.
 * The domain prefix keeps a webhook signature from ever verifying as a
 * protocol message (and the reverse); the timestamp lets a receiver refuse
 * old replays.
 */
import { type Ed25519Signer, toBase64 } from '@seatwatch/shared';

const encoder = new TextEncoder();

export const SIGNATURE_HEADER = 'seatwatch-signature';
export const TIMESTAMP_HEADER = 'seatwatch-timestamp';
export const EVENT_HEADER = 'seatwatch-event';
export const DELIVERY_HEADER = 'seatwatch-delivery';

export function webhookSigningInput(timestamp: number, body: string): Uint8Array {
  const prefix = encoder.encode(`seatwatch/1 webhook\n${timestamp}\n`);
  const bytes = encoder.encode(body);
  const out = new Uint8Array(prefix.length + bytes.length);
  out.set(prefix, 0);
  out.set(bytes, prefix.length);
  return out;
}

export function signWebhook(signer: Ed25519Signer, timestamp: number, body: string): string {
  return `ed25519=${toBase64(signer.sign(webhookSigningInput(timestamp, body)))}`;
}
