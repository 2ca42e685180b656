/**
 * Native backend on node:crypto (OpenSSL). The only module of this package
 * that imports node:*, reachable only through the `@seatwatch/shared/node-crypto`
 * subpath. The server verifies every frame with it (thousands per second,
 * where tweetnacl manages about a hundred).
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SECRET_KEY_BYTES,
  type Ed25519Signer,
  type Ed25519Verifier,
  isWellFormedSignatureInput,
} from './ed25519.js';

// DER prefixes that wrap a raw 32-byte key as SPKI / a raw seed as PKCS#8 (RFC 8410).
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function publicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES)
    throw new RangeError('Ed25519 public key must be 32 bytes');
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

/** Makes a verifier; parsed public keys are cached (bounded) because the same agents sign again and again. */
export function createNodeCryptoVerifier(cacheSize = 20_000): Ed25519Verifier {
  const cache = new Map<string, KeyObject>();
  const keyFor = (publicKey: Uint8Array): KeyObject => {
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64');
    let key = cache.get(id);
    if (!key) {
      key = publicKeyObject(publicKey);
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
      cache.set(id, key);
    }
    return key;
  };
  return {
    name: 'node:crypto',
    verify(message, signature, publicKey) {
      if (!isWellFormedSignatureInput(signature, publicKey)) return false;
      try {
        return verify(null, message, keyFor(publicKey), signature);
      } catch {
        return false; // not a point on the curve, or otherwise unusable
      }
    },
  };
}

/** Signs with the native backend; identical output to tweetnacl (Ed25519 is deterministic). */
export function nodeCryptoSigner(secretKey: Uint8Array): Ed25519Signer {
  if (secretKey.length !== ED25519_SECRET_KEY_BYTES) {
    throw new RangeError(`Ed25519 secret key must be ${ED25519_SECRET_KEY_BYTES} bytes`);
  }
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, secretKey.subarray(0, 32)]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = secretKey.slice(32);
  return {
    publicKey,
    sign: (message) => new Uint8Array(sign(null, message, key)),
  };
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
