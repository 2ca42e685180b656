/**
 * Fuzzing the agent gateway on a real server and real sockets (issue #15): frames built with
 * the real signing code, then mutated (bytes flipped, cut, inserted, the binary header's
 * length changed), sent before the hello and after the welcome. The server answers each
 * with the signed error and the protocol's close code (4400 malformed, 4401 not authentic),
 * or with a welcome / ack only when the mutation left the frame as it was; it never crashes
 * or closes with another code, stores nothing refused, and serves the next agent afterwards.
 * fast-check prints the seed and the shrunk counterexample of a failing run.
 */
import { encodeBinaryFrame, encodeTextFrame } from '@seatwatch/shared';
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import {
  captureEvent,
  createTestDatabase,
  type EnrolledAgent,
  enrollTestAgent,
  sampleEvents,
  startTestServer,
  TestAgentClient,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events } from '../../src/db/schema/index.js';

type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'cut'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'header'; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('header' as const), length: fc.nat({ max: 0xffffffff }) }),
);

function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = Uint8Array.from(input);
  for (const m of mutations) {
    const at = 'at' in m && bytes.length > 0 ? m.at % bytes.length : 0;
    if (m.kind === 'flip' && bytes.length > 0) bytes[at] = bytes[at]! ^ m.mask;
    if (m.kind === 'cut') bytes = bytes.slice(0, at);
    if (m.kind === 'insert') bytes = Uint8Array.from([...bytes.slice(0, at), ...m.bytes, ...bytes.slice(at)]);
    if (m.kind === 'header' && bytes.length >= 4) new DataView(bytes.buffer).setUint32(0, m.length, false);
  }
  return bytes;
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
const utf8 = (text: string) => new TextEncoder().encode(text);

describe('fuzzing the agent gateway', () => {
  let db: TestDatabase;
  let server: TestServer;
  let agent: EnrolledAgent;

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    server = await startTestServer({ database: db });
    agent = await enrollTestAgent(server);
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  /** The server's answer: the payload it sent last and how it closed, if it did. */
  async function outcome(client: TestAgentClient, expected: 'welcome' | 'ack') {
    const answer = await Promise.race([
      client.closed.then((close) => ({ close })),
      client.next(expected).then(() => ({ close: null })),
    ]);
    expect(client.failures).toEqual([]);
    if (answer.close === null) return { closed: null, error: null };
    const error = client.received.find((p) => p.t === 'error');
    return { closed: answer.close.code, error: error?.t === 'error' ? error.code : null };
  }

  it('before hello: any mutated hello, as text or binary, is welcomed only if unchanged, else error + 4400/4401', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (mutations, binary) => {
          const client = await TestAgentClient.connect(server, agent);
          const original = utf8(encodeTextFrame(client.helloPayload(), 'agent', agent.signer));
          const frame = mutate(original, mutations);
          client.sendRaw(frame, binary);
          const { closed, error } = await outcome(client, 'welcome');
          if (closed === null) {
            expect(binary).toBe(false);
            expect(same(frame, original)).toBe(true);
            await client.close();
            return;
          }
          expect([4400, 4401]).toContain(closed);
          expect(error).not.toBeNull();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('after the welcome: mutated batches and blobs are acked only if unchanged, else error + 4400/4401, nothing stored', async () => {
    const jpegEvent = captureEvent();
    const blob = new Uint8Array(2048).map((_, i) => (i * 31) & 0xff);
    const acked = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (mutations, asBlob) => {
          const client = await TestAgentClient.connect(server, agent);
          const welcome = await client.hello();
          const seq = welcome.ackedSeq + 1;
          const original = asBlob
            ? encodeBinaryFrame(
                {
                  t: 'blob',
                  v: 1,
                  session: welcome.session,
                  seq,
                  time: Date.now(),
                  sha256: sha256Hex(blob),
                  size: blob.length,
                  mime: 'image/png',
                  event: jpegEvent,
                },
                blob,
                'agent',
                agent.signer,
              )
            : utf8(encodeTextFrame(client.batchPayload(seq, sampleEvents(3)), 'agent', agent.signer));
          const frame = mutate(original, mutations);
          client.sendRaw(frame, asBlob);
          const { closed, error } = await outcome(client, 'ack');
          if (closed === null) {
            expect(same(frame, original)).toBe(true);
            acked.add(seq);
            await client.close();
            return;
          }
          expect([4400, 4401]).toContain(closed);
          expect(error).not.toBeNull();
        },
      ),
      { numRuns: 40 },
    );
    // Refused frames left nothing behind; only unchanged ones (acked above) are stored.
    const stored = await db.database.db.select().from(events).where(eq(events.agentId, agent.agentId));
    for (const row of stored) expect(acked.has(row.seq)).toBe(true);
  });

  it('random bytes on a fresh socket get error + 4400, and the server serves a real agent afterwards', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (bytes, binary) => {
        const client = await TestAgentClient.connect(server, agent);
        client.sendRaw(bytes, binary);
        const { closed, error } = await outcome(client, 'welcome');
        expect([4400, 4401]).toContain(closed);
        expect(error).not.toBeNull();
      }),
      { numRuns: 30 },
    );
    const fresh = await enrollTestAgent(server);
    const client = await TestAgentClient.connect(server, fresh);
    await client.hello();
    client.sendBatch(1, sampleEvents(2));
    expect((await client.ack(1)).seq).toBe(1);
    await client.close();
  });
});
