/**
 * Before its hello is accepted a socket is nobody's: a frame bigger than the largest hello is
 * refused with the signed error and 4400 as its bytes arrive, not after ws has buffered up to
 * the 16 MiB a blob may have. The largest hello an agent builds still gets its welcome.
 */
import {
  encodeTextFrame,
  type HelloPayload,
  MAX_BINARY_FRAME_BYTES,
  MAX_HELLO_FRAME_BYTES,
  MAX_STRING_LENGTHS,
} from '@seatwatch/shared';
import {
  createTestDatabase,
  enrollTestAgent,
  startTestServer,
  TestAgentClient,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A quote is escaped in p (\") and again in the envelope (\\\"): four bytes per character, the most a sanitised string takes. */
const widest = (length: number) => '"'.repeat(length);

describe('the size of a hello', () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    server = await startTestServer({ database: db });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  async function refusal(client: TestAgentClient) {
    const [error, close] = await Promise.all([client.next('error'), client.closed]);
    expect(client.failures).toEqual([]);
    return { code: error.code, close: close.code };
  }

  it('the largest hello an agent builds fits, and is welcomed', async () => {
    const agent = await enrollTestAgent(server);
    const client = await TestAgentClient.connect(server, agent);
    const info = {
      hostname: widest(MAX_STRING_LENGTHS.hostname),
      osUser: widest(MAX_STRING_LENGTHS.osUser),
      localIps: Array.from({ length: 64 }, () => widest(MAX_STRING_LENGTHS.ip)),
      agentVersion: widest(64),
      noticeVersion: 2_147_483_647,
      // The fields the agent adds (hello-info.ts), as long as any seat string may be.
      gateway: widest(MAX_STRING_LENGTHS.ip),
      os: widest(MAX_STRING_LENGTHS.app),
      seat: widest(MAX_STRING_LENGTHS.hostname),
    };
    const hello = client.helloPayload({ time: Number.MAX_SAFE_INTEGER, info });
    const frame = encodeTextFrame(hello as HelloPayload, 'agent', agent.signer);
    const bytes = Buffer.byteLength(frame);
    expect(bytes).toBeLessThan(MAX_HELLO_FRAME_BYTES / 2);
    client.sendRaw(frame, false);
    expect((await client.next('welcome')).t).toBe('welcome');
    await client.close();
  });

  it('4400: a text frame one byte over the hello limit, before hello', async () => {
    const agent = await enrollTestAgent(server);
    const client = await TestAgentClient.connect(server, agent);
    const hello = client.helloPayload();
    const padding = 'a'.repeat(MAX_HELLO_FRAME_BYTES);
    const frame = encodeTextFrame(
      { ...hello, info: { ...hello.info, padding } } as HelloPayload,
      'agent',
      agent.signer,
    );
    expect(Buffer.byteLength(frame)).toBeGreaterThan(MAX_HELLO_FRAME_BYTES);
    client.sendRaw(frame, false);
    expect(await refusal(client)).toEqual({ code: 'frame_too_large', close: 4400 });
  });

  it('4400: a 16 MiB binary frame before hello is refused while it arrives, and the server serves on', async () => {
    const agent = await enrollTestAgent(server);
    const client = await TestAgentClient.connect(server, agent);
    client.sendRaw(new Uint8Array(MAX_BINARY_FRAME_BYTES), true);
    expect(await refusal(client)).toEqual({ code: 'frame_too_large', close: 4400 });

    const next = await TestAgentClient.connect(server, agent);
    expect((await next.hello()).t).toBe('welcome');
    await next.close();
  });

  it('a blob frame bigger than a hello after the welcome is stored (the limit is for the hello only)', async () => {
    const agent = await enrollTestAgent(server);
    const client = await TestAgentClient.connect(server, agent);
    await client.hello();
    const { data } = await sharp({
      create: {
        width: 400,
        height: 300,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean: 128, sigma: 60 },
      },
    })
      .jpeg({ quality: 95 })
      .toBuffer({ resolveWithObject: true });
    const jpeg = new Uint8Array(data);
    expect(jpeg.length).toBeGreaterThan(MAX_HELLO_FRAME_BYTES);
    client.sendBlob(1, jpeg);
    expect((await client.ack(1)).seq).toBe(1);
    await client.close();
  });
});
