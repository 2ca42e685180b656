/**
 * A webhook receiver's check, written from docs/anomalies.md with nothing
 * but node:crypto (not the server's own code), so the tests hold the server
 * to the documented scheme.
 */
import { createPublicKey, verify } from 'node:crypto';

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function verifyWebhookAsDocumented(
  serverPublicKeyBase64: string,
  timestampHeader: string,
  body: string,
  signatureHeader: string,
): boolean {
  if (!signatureHeader.startsWith('ed25519=')) return false;
  const key = createPublicKey({
    key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(serverPublicKeyBase64, 'base64')]),
    format: 'der',
    type: 'spki',
  });
  const signature = Buffer.from(signatureHeader.slice('ed25519='.length), 'base64');
  const signed = Buffer.concat([
    Buffer.from(`seatwatch/1 webhook\n${timestampHeader}\n`, 'utf8'),
    Buffer.from(body, 'utf8'),
  ]);
  try {
    return verify(null, signed, key, signature);
  } catch {
    return false;
  }
}
