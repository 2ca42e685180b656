/**
 * Property-based fuzzing of every decoder and validator a peer's bytes reach (issue #15).
 * The seeds are the documented examples of docs/protocol.md (one per payload and event
 * type), signed with the real signing code, then mutated: bytes flipped, cut, inserted, the
 * binary header's length changed, fields replaced by wrong types, huge numbers and deep
 * nesting. Whatever comes in, a decoder either returns what was signed or throws a
 * SeatwatchError whose close code is the protocol's (4400 malformed, 4401 not authentic);
 * validators answer true or false and never throw. fast-check seeds each run at random and
 * prints the seed and the shrunk counterexample when a property fails.
 */
import { readFileSync } from 'node:fs';
import {
  type BlobPayload,
  decodeBinaryFrame,
  decodeTextFrame,
  EVENT_SCHEMAS,
  encodeBinaryFrame,
  encodeTextFrame,
  eventValidators,
  fromBase64,
  generateKeyPair,
  MAX_TEXT_FRAME_BYTES,
  openBinaryFrame,
  openTextFrame,
  type Payload,
  parsePayloadJson,
  SeatwatchError,
  sanitizeText,
  tweetnaclSigner,
  unverifiedHelloAgent,
  validateEnrollRequest,
  validateNotice,
  validatePayload,
  validatePolicy,
  validatePolicyCommandArgs,
} from '@seatwatch/shared';
import { createNodeCryptoVerifier, sha256Hex } from '@seatwatch/shared/node-crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const RUNS = 300;
const verifier = createNodeCryptoVerifier();
const keys = { agent: generateKeyPair(), server: generateKeyPair() };
const signers = {
  agent: tweetnaclSigner(keys.agent.secretKey),
  server: tweetnaclSigner(keys.server.secretKey),
};

const doc = readFileSync(new URL('../../../../docs/protocol.md', import.meta.url), 'utf8');
const examples = [...doc.matchAll(/```json (\w+):(\w+)\n([\s\S]*?)```/g)].map((m) => ({
  kind: m[1]!,
  name: m[2]!,
  value: JSON.parse(m[3]!) as Record<string, unknown>,
}));
const example = (kind: string, name: string) => {
  const found = examples.find((e) => e.kind === kind && e.name === name);
  if (!found) throw new Error(`docs/protocol.md has no ${kind}:${name} example`);
  return found.value;
};
const SENDER = {
  challenge: 'server',
  hello: 'agent',
  welcome: 'server',
  batch: 'agent',
  ack: 'server',
  command: 'server',
  error: 'agent',
} as const;
const textSeeds = Object.entries(SENDER).map(([name, sender]) => ({
  sender,
  payload: example('payload', name) as unknown as Payload,
}));
// A batch carrying one documented example of every event type.
const allEvents = Object.keys(EVENT_SCHEMAS).map((type) => example('event', type));
textSeeds.push({
  sender: 'agent',
  payload: { ...example('payload', 'batch'), events: allEvents } as unknown as Payload,
});
const blobBytes = new Uint8Array(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff));
const blobPayload = {
  ...example('payload', 'blob'),
  sha256: sha256Hex(blobBytes),
  size: blobBytes.length,
} as unknown as BlobPayload;

/** The only way a decoder may refuse: a catalogued error that closes with the protocol's code. */
function expectProtocolRefusal(error: unknown, closeCodes: readonly number[]): void {
  if (!(error instanceof SeatwatchError)) throw error;
  expect(closeCodes).toContain(error.closeCode);
}

// ---- byte mutations ------------------------------------------------------------------------

type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'cut'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'header'; length: number };

const position = fc.nat({ max: 1 << 20 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('set' as const), at: position, byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: position }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({
    kind: fc.constant('header' as const),
    length: fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0xffffffff), fc.nat({ max: 0xffffffff })),
  }),
);

function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = Uint8Array.from(input);
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : 'at' in m ? m.at % bytes.length : 0;
    switch (m.kind) {
      case 'flip':
        if (bytes.length > 0) bytes[at] = bytes[at]! ^ m.mask;
        break;
      case 'set':
        if (bytes.length > 0) bytes[at] = m.byte;
        break;
      case 'cut':
        bytes = bytes.slice(0, at);
        break;
      case 'insert':
        bytes = Uint8Array.from([...bytes.slice(0, at), ...m.bytes, ...bytes.slice(at)]);
        break;
      case 'delete':
        bytes = Uint8Array.from([...bytes.slice(0, at), ...bytes.slice(at + m.count)]);
        break;
      case 'header':
        if (bytes.length >= 4) new DataView(bytes.buffer).setUint32(0, m.length, false);
        break;
    }
  }
  return bytes;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

// ---- value mutations (wrong types, huge numbers, deep nesting) -----------------------------

const deep = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
};
const hostile = fc.oneof(
  fc.constantFrom(
    null,
    true,
    '',
    '\u0000',
    '\ud800',
    Number.MAX_SAFE_INTEGER + 2,
    1e308,
    -1,
    -0,
    0.5,
    2 ** 31,
    2 ** 53,
    [],
    {},
    { __proto__: { t: 'hello' } },
    JSON.parse('{"__proto__": {"polluted": true}}'),
  ),
  fc.integer({ min: 1, max: 5000 }).map(deep),
  fc.string({ maxLength: 3000 }),
  fc.double(),
  fc.jsonValue({ maxDepth: 4 }),
);

/** Replaces the value at one random path of a JSON value (or deletes it). */
function replaceAt(value: unknown, path: readonly number[], replacement: unknown, remove: boolean): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') return replacement;
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement;
  const key = keys[path[0]! % keys.length]!;
  const copy = (Array.isArray(value) ? [...value] : { ...value }) as Record<string, unknown>;
  if (remove && path.length === 1) delete copy[key];
  else copy[key] = replaceAt((value as Record<string, unknown>)[key], path.slice(1), replacement, remove);
  return copy;
}
const valueMutation = fc.record({
  path: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
  replacement: hostile,
  remove: fc.boolean(),
});

// ---- the properties ------------------------------------------------------------------------

describe('fuzzing the envelope decoders', () => {
  it('openTextFrame: any bytes or string open or are refused with 4400', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.string({ unit: 'binary', maxLength: 512 })),
        (data) => {
          try {
            const opened = openTextFrame(data);
            expect(opened.signature.length).toBe(64);
          } catch (error) {
            expectProtocolRefusal(error, [4400]);
          }
        },
      ),
      { numRuns: RUNS * 3 },
    );
  });

  it('openBinaryFrame: any bytes, with any 4-byte header, open or are refused with 4400', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.nat({ max: 0xffffffff }), (body, n) => {
        const frame = new Uint8Array(4 + body.length);
        new DataView(frame.buffer).setUint32(0, n % (body.length + 8), false);
        frame.set(body, 4);
        for (const data of [body, frame]) {
          try {
            const { blob } = openBinaryFrame(data);
            expect(blob.length).toBeLessThanOrEqual(data.length);
          } catch (error) {
            expectProtocolRefusal(error, [4400]);
          }
        }
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('an oversized text frame is refused by its size, whatever it holds', () => {
    const big = new Uint8Array(MAX_TEXT_FRAME_BYTES + 1).fill(0x20);
    expect(() => openTextFrame(big)).toThrow(expect.objectContaining({ code: 'frame_too_large' }));
  });

  it('a signed text frame of every payload and event type, mutated: the original payload or 4400/4401', () => {
    const frames = textSeeds.map(({ sender, payload }) => ({
      sender,
      payload,
      bytes: new TextEncoder().encode(encodeTextFrame(payload, sender, signers[sender])),
    }));
    fc.assert(
      fc.property(
        fc.nat({ max: frames.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (index, mutations) => {
          const { sender, payload, bytes } = frames[index]!;
          const mutated = mutate(
            bytes,
            mutations.filter((m) => m.kind !== 'header'),
          );
          try {
            const decoded = decodeTextFrame(mutated, { sender, publicKey: keys[sender].publicKey, verifier });
            // The signature covers p: a frame that still decodes says exactly what was signed.
            expect(decoded).toEqual(payload);
          } catch (error) {
            expectProtocolRefusal(error, [4400, 4401]);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a signed binary frame, mutated (its length header too): the original blob or 4400/4401', () => {
    const frame = encodeBinaryFrame(blobPayload, blobBytes, 'agent', signers.agent);
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const mutated = mutate(frame, mutations);
        try {
          const { payload, blob } = decodeBinaryFrame(mutated, {
            sender: 'agent',
            publicKey: keys.agent.publicKey,
            verifier,
            sha256Hex,
          });
          expect(payload).toEqual(blobPayload);
          expect(sameBytes(blob, blobBytes)).toBe(true);
        } catch (error) {
          expectProtocolRefusal(error, [4400, 4401]);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a frame signed for the other direction, or by another key, is 4401', () => {
    fc.assert(
      fc.property(fc.nat({ max: textSeeds.length - 1 }), (index) => {
        const { sender, payload } = textSeeds[index]!;
        const other = sender === 'agent' ? 'server' : 'agent';
        const frame = encodeTextFrame(payload, sender, signers[sender]);
        for (const options of [
          { sender: other, publicKey: keys[sender].publicKey },
          { sender, publicKey: keys[other].publicKey },
        ] as const) {
          try {
            decodeTextFrame(frame, { ...options, verifier });
            throw new Error('decoded a frame that is not authentic');
          } catch (error) {
            expectProtocolRefusal(error, [4401]);
          }
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('fuzzing the payload and schema validators', () => {
  it('validatePayload: any JSON value is a payload or payload_invalid (4400)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.anything(), fc.jsonValue(), hostile),
        fc.constantFrom('agent', 'server'),
        fc.constantFrom('text', 'binary'),
        (value, sender, frame) => {
          try {
            validatePayload(value, sender as 'agent' | 'server', frame as 'text' | 'binary');
          } catch (error) {
            expectProtocolRefusal(error, [4400]);
            expect((error as SeatwatchError).code).toBe('payload_invalid');
          }
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('every payload and event example with one field replaced by a hostile value, or removed: valid or payload_invalid', () => {
    const seeds = [
      ...textSeeds.map((s) => ({ ...s, frame: 'text' as const })),
      {
        sender: 'agent' as const,
        payload: blobPayload as Payload,
        frame: 'binary' as const,
      },
    ];
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        valueMutation,
        (index, { path, replacement, remove }) => {
          const { sender, payload, frame } = seeds[index]!;
          const mutated = replaceAt(payload, path, replacement, remove);
          try {
            const parsed = validatePayload(mutated, sender, frame);
            // What passes is the type it claims, and nothing leaked into Object.prototype.
            expect(parsed.t).toBe((payload as { t: string }).t);
            expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          } catch (error) {
            expectProtocolRefusal(error, [4400]);
          }
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('every event, policy, notice, command-args and enrollment validator answers true or false, never throws', () => {
    const validators: Array<[string, (value: unknown) => boolean, unknown]> = [
      ...Object.keys(EVENT_SCHEMAS).map(
        (type) =>
          [
            `event ${type}`,
            eventValidators[type as keyof typeof EVENT_SCHEMAS] as (value: unknown) => boolean,
            example('event', type),
          ] as [string, (value: unknown) => boolean, unknown],
      ),
      [
        'policy',
        validatePolicy as (value: unknown) => boolean,
        (example('payload', 'welcome') as { policy: unknown }).policy,
      ],
      [
        'notice',
        validateNotice as (value: unknown) => boolean,
        (example('payload', 'welcome') as { notice: unknown }).notice,
      ],
      [
        'policy command',
        validatePolicyCommandArgs as (value: unknown) => boolean,
        {
          policy: (example('payload', 'welcome') as { policy: unknown }).policy,
          notice: (example('payload', 'welcome') as { notice: unknown }).notice,
        },
      ],
      ['enrollment', validateEnrollRequest as (value: unknown) => boolean, example('enroll', 'request')],
    ];
    for (const [name, validate, seed] of validators)
      expect(validate(seed), `${name} seed is valid`).toBe(true);
    fc.assert(
      fc.property(
        fc.nat({ max: validators.length - 1 }),
        fc.oneof(fc.anything(), hostile, valueMutation),
        (index, input) => {
          const [, validate, seed] = validators[index]!;
          const value =
            input !== null && typeof input === 'object' && 'path' in input && 'replacement' in input
              ? replaceAt(seed, input.path as number[], input.replacement, Boolean(input.remove))
              : input;
          expect(typeof validate(value)).toBe('boolean');
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('a payload nested thousands of levels deep is payload_invalid, not a stack overflow', () => {
    for (const depth of [1000, 100_000]) {
      const p = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const nested = `{"t":"batch","v":1,"session":"s","seq":1,"time":1,"events":[{"type":"activity","x":${p}}]}`;
      try {
        validatePayload(
          parsePayloadJson({ p: nested, pBytes: new Uint8Array(), signature: new Uint8Array() }),
          'agent',
          'text',
        );
        throw new Error('accepted a nested payload');
      } catch (error) {
        expectProtocolRefusal(error, [4400]);
      }
    }
  });

  it('the hello peek, base64 and sanitising take anything', () => {
    fc.assert(
      fc.property(
        fc.anything(),
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.nat({ max: 300 }),
        (value, text, max) => {
          const agent = unverifiedHelloAgent(value);
          expect(agent === null || (typeof agent === 'string' && agent.length <= 128)).toBe(true);
          try {
            expect(fromBase64(text, 32).length).toBe(32);
          } catch (error) {
            expectProtocolRefusal(error, [4400]);
          }
          const clean = sanitizeText(text, Math.max(1, max));
          expect(clean.includes('\u0000')).toBe(false);
          expect(clean.isWellFormed()).toBe(true);
          expect(Array.from(clean).length).toBeLessThanOrEqual(Math.max(1, max));
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });
});
