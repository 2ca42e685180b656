import { generateKeyPair, hasCanonicalScalar, tweetnaclSigner, tweetnaclVerifier } from '@seatwatch/shared';
import { createNodeCryptoVerifier, nodeCryptoSigner } from '@seatwatch/shared/node-crypto';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';

const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function withScalar(signature: Uint8Array, s: bigint): Uint8Array {
  const out = Uint8Array.from(signature);
  for (let i = 0; i < 32; i++) out[32 + i] = Number((s >> BigInt(8 * i)) & 0xffn);
  return out;
}
function scalarOf(signature: Uint8Array): bigint {
  let s = 0n;
  for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(signature[32 + i]!);
  return s;
}

describe('strict Ed25519 verification', () => {
  const pair = generateKeyPair();
  const message = new TextEncoder().encode('seatwatch');
  const signature = tweetnaclSigner(pair.secretKey).sign(message);
  const malleated = withScalar(signature, scalarOf(signature) + L);

  it('raw tweetnacl accepts S + L, which is why we check S < L first', () => {
    expect(nacl.sign.detached.verify(message, malleated, pair.publicKey)).toBe(true);
  });

  it.each([tweetnaclVerifier, createNodeCryptoVerifier()])(
    '$name refuses S + L and accepts the original',
    (v) => {
      expect(v.verify(message, signature, pair.publicKey)).toBe(true);
      expect(v.verify(message, malleated, pair.publicKey)).toBe(false);
    },
  );

  it('treats S = L - 1 as canonical and S = L, S = 2^256 - 1 as not', () => {
    expect(hasCanonicalScalar(withScalar(signature, L - 1n))).toBe(true);
    expect(hasCanonicalScalar(withScalar(signature, L))).toBe(false);
    expect(hasCanonicalScalar(withScalar(signature, 2n ** 256n - 1n))).toBe(false);
    expect(hasCanonicalScalar(signature.subarray(0, 63))).toBe(false);
  });

  it.each([tweetnaclVerifier, createNodeCryptoVerifier()])('$name never throws on garbage', (v) => {
    expect(v.verify(message, new Uint8Array(64), new Uint8Array(32))).toBe(false);
    expect(v.verify(message, signature, new Uint8Array(31))).toBe(false);
    expect(v.verify(message, new Uint8Array(0), pair.publicKey)).toBe(false);
  });

  it('node:crypto and tweetnacl signers agree byte for byte', () => {
    expect(nodeCryptoSigner(pair.secretKey).sign(message)).toEqual(signature);
    expect(nodeCryptoSigner(pair.secretKey).publicKey).toEqual(pair.publicKey);
  });

  it('rejects a secret key of the wrong size', () => {
    expect(() => tweetnaclSigner(new Uint8Array(32))).toThrow(RangeError);
    expect(() => nodeCryptoSigner(new Uint8Array(32))).toThrow(RangeError);
  });
});
