/**
 * The interoperability contract: every golden vector, through both verifier
 * backends, must give the expected verdict. A client in another language runs
 * the same files (see docs/protocol.md).
 */
import { readFileSync } from 'node:fs';
import {
  decodeBinaryFrame,
  decodeTextFrame,
  type Ed25519Verifier,
  fromBase64,
  keyPairFromSeed,
  SeatwatchError,
  tweetnaclSigner,
  tweetnaclVerifier,
} from '@seatwatch/shared';
import { createNodeCryptoVerifier, nodeCryptoSigner, sha256Hex } from '@seatwatch/shared/node-crypto';
import { describe, expect, it } from 'vitest';
import { envelopeVectorsJson } from './vectors/generate-envelope-vectors.js';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
const hexBytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

const verifiers: Ed25519Verifier[] = [tweetnaclVerifier, createNodeCryptoVerifier()];

type EnvelopeCase = {
  name: string;
  frameType: 'text' | 'binary';
  frame?: string;
  frameRepeat?: { unit: string; count: number };
  sender: 'agent' | 'server';
  key: 'agent' | 'server';
  expect: string;
  payload?: unknown;
};
const envelopeFile = JSON.parse(read('./vectors/envelopes.json')) as {
  keys: Record<'agent' | 'server', { seed: string; publicKey: string }>;
  cases: EnvelopeCase[];
};

describe('RFC 8032 section 7.1 vectors', () => {
  const rfc = JSON.parse(read('./vectors/rfc8032.json')) as {
    cases: { name: string; secretKey: string; publicKey: string; message: string; signature: string }[];
  };

  it.each(rfc.cases)('$name: both signers produce the signature and both verifiers accept it', (v) => {
    const pair = keyPairFromSeed(hexBytes(v.secretKey));
    expect(Buffer.from(pair.publicKey).toString('hex')).toBe(v.publicKey);
    for (const signer of [tweetnaclSigner(pair.secretKey), nodeCryptoSigner(pair.secretKey)]) {
      expect(Buffer.from(signer.sign(hexBytes(v.message))).toString('hex')).toBe(v.signature);
    }
    for (const verifier of verifiers) {
      expect(verifier.verify(hexBytes(v.message), hexBytes(v.signature), pair.publicKey)).toBe(true);
      const tampered = hexBytes(v.signature);
      tampered[10]! ^= 0x40;
      expect(verifier.verify(hexBytes(v.message), tampered, pair.publicKey)).toBe(false);
    }
  });
});

describe('Project Wycheproof Ed25519 vectors', () => {
  const wycheproof = JSON.parse(read('./vectors/wycheproof-ed25519.json')) as {
    numberOfTests: number;
    testGroups: {
      publicKey: { pk: string };
      tests: { tcId: number; msg: string; sig: string; result: 'valid' | 'invalid' }[];
    }[];
  };
  const cases = wycheproof.testGroups.flatMap((group) =>
    group.tests.map((test) => ({ ...test, pk: group.publicKey.pk })),
  );

  it('holds all the cases the file announces', () => {
    expect(cases).toHaveLength(wycheproof.numberOfTests);
    expect(cases.length).toBeGreaterThanOrEqual(151);
  });

  for (const verifier of verifiers) {
    it(`${verifier.name} matches every verdict`, () => {
      const mismatches = cases.filter(
        (c) => verifier.verify(hexBytes(c.msg), hexBytes(c.sig), hexBytes(c.pk)) !== (c.result === 'valid'),
      );
      expect(mismatches.map((c) => c.tcId)).toEqual([]);
    });
  }
});

describe('envelope vectors', () => {
  it('the committed file is exactly what the generator makes (deterministic signatures)', () => {
    expect(read('./vectors/envelopes.json')).toBe(envelopeVectorsJson);
  });

  it('covers the required cases', () => {
    expect(envelopeFile.cases.length).toBeGreaterThanOrEqual(12);
    const outcomes = new Set(envelopeFile.cases.map((c) => c.expect));
    for (const code of [
      'ok',
      'bad_signature',
      'frame_malformed',
      'frame_too_large',
      'payload_invalid',
      'blob_hash_mismatch',
      'blob_size_mismatch',
    ]) {
      expect(outcomes).toContain(code);
    }
  });

  const keys = {
    agent: fromBase64(envelopeFile.keys.agent.publicKey, 32),
    server: fromBase64(envelopeFile.keys.server.publicKey, 32),
  };
  const decode = (c: EnvelopeCase, verifier: Ed25519Verifier): unknown => {
    const options = { sender: c.sender, publicKey: keys[c.key], verifier };
    if (c.frameType === 'text') {
      const text = c.frameRepeat ? c.frameRepeat.unit.repeat(c.frameRepeat.count) : c.frame!;
      return decodeTextFrame(text, options);
    }
    return decodeBinaryFrame(fromBase64(c.frame!), { ...options, sha256Hex }).payload;
  };

  for (const verifier of verifiers) {
    it.each(envelopeFile.cases)(`${verifier.name}: $name -> $expect`, (c) => {
      if (c.expect === 'ok') {
        expect(decode(c, verifier)).toEqual(c.payload);
        return;
      }
      let thrown: unknown;
      try {
        decode(c, verifier);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(SeatwatchError);
      expect((thrown as SeatwatchError).code).toBe(c.expect);
      expect([4400, 4401]).toContain((thrown as SeatwatchError).closeCode);
    });
  }
});
