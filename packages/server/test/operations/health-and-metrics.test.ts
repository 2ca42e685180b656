/** /healthz, /readyz and the Prometheus metrics that operators watch, on PGlite and PostgreSQL. */
import { generateKeyPair, tweetnaclSigner } from '@seatwatch/shared';
import {
  connectAgent,
  createTestDatabase,
  DB_KINDS,
  enrollTestAgent,
  httpJson,
  sampleEvents,
  startTestServer,
  TestAgentClient,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

function metric(text: string, name: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').at(-1)) : null;
}

describe.each(DB_KINDS)('operations endpoints on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('answers /healthz and /readyz', async () => {
    expect(await httpJson('GET', `${server.url}/healthz`)).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    });
    expect(await httpJson('GET', `${server.url}/readyz`)).toMatchObject({
      status: 200,
      body: { status: 'ready' },
    });
  });

  it('counts connections, stored frames and events, refusals by reason, ack latency and commit time', async () => {
    const agent = await enrollTestAgent(server);
    const client = await connectAgent(server, agent);
    client.sendBatch(1, sampleEvents(4));
    await client.ack(1);
    const forged = await TestAgentClient.connect(server, agent);
    forged.sendHello({}, tweetnaclSigner(generateKeyPair().secretKey));
    await forged.closed;

    const text = (await httpJson<string>('GET', `${server.url}/metrics`)).body;
    expect(metric(text, 'seatwatch_connected_agents')).toBe(1);
    expect(metric(text, 'seatwatch_events_stored_total')).toBe(4);
    expect(text).toContain('seatwatch_frames_stored_total{kind="batch"} 1');
    expect(text).toContain('seatwatch_verification_failures_total{reason="bad_signature"} 1');
    expect(metric(text, 'seatwatch_ack_latency_seconds_count')).toBe(1);
    expect(text).toMatch(/seatwatch_db_write_seconds_count\{outcome="ok"\} [1-9]/);
    expect(text).toContain('seatwatch_logins_total{outcome="bad_signature"} 1');
    await client.close();
    await expect
      .poll(async () =>
        metric((await httpJson<string>('GET', `${server.url}/metrics`)).body, 'seatwatch_connected_agents'),
      )
      .toBe(0);
  });
});
