import nacl from 'tweetnacl';
import {
  ED25519_SECRET_KEY_BYTES,
  type Ed25519Signer,
  type Ed25519Verifier,
  isWellFormedSignatureInput,
} from './ed25519.js';

/**
 * Pure-JavaScript backend. Used by the agent (which makes its key pair with
 * it at enrollment and signs a few frames a second). It verifies only about
 * a hundred signatures a second here, so the server never verifies with it.
 */
export const tweetnaclVerifier: Ed25519Verifier = {
  name: 'tweetnacl',
  verify(message, signature, publicKey) {
    if (!isWellFormedSignatureInput(signature, publicKey)) return false;
    try {
      return nacl.sign.detached.verify(message, signature, publicKey);
    } catch {
      return false;
    }
  },
};

export interface Ed25519KeyPair {
  publicKey: Uint8Array;
  /** 64 bytes: seed ++ public key. */
  secretKey: Uint8Array;
}

export function generateKeyPair(): Ed25519KeyPair {
  return nacl.sign.keyPair();
}

export function keyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  return nacl.sign.keyPair.fromSeed(seed);
}

export function tweetnaclSigner(secretKey: Uint8Array): Ed25519Signer {
  if (secretKey.length !== ED25519_SECRET_KEY_BYTES) {
    throw new RangeError(`Ed25519 secret key must be ${ED25519_SECRET_KEY_BYTES} bytes`);
  }
  const publicKey = secretKey.slice(32);
  return {
    publicKey,
    sign: (message) => nacl.sign.detached(message, secretKey),
  };
}
