/**
 * Every refusal of the protocol, with a real socket: the signed `error`
 * payload first, then the close code, a login record for each refused
 * hello, nothing stored, and the server still serving afterwards.
 */
import {
  type EnrollResponse,
  encodeTextFrame,
  fromBase64,
  generateKeyPair,
  MAX_BINARY_FRAME_BYTES,
  MAX_TEXT_FRAME_BYTES,
  toBase64,
  tweetnaclSigner,
} from '@seatwatch/shared';
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import {
  connectAgent,
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  type EnrolledAgent,
  enrollTestAgent,
  httpJson,
  sampleEvents,
  startTestServer,
  TestAgentClient,
  type TestDatabase,
  type TestServer,
  testJpeg,
} from '@seatwatch/testkit/server';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anomalies, events, logins, screenshots } from '../../src/db/schema/index.js';

describe.each(DB_KINDS)('close codes on %s', (kind) => {
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

  /** Waits for the server's error payload and the close; returns both. */
  async function refusal(client: TestAgentClient) {
    const [error, close] = await Promise.all([client.next('error'), client.closed]);
    expect(client.failures).toEqual([]);
    return { code: error.code, close: close.code };
  }

  const loginsOf = (agentId: string) =>
    db.database.db.select().from(logins).where(eq(logins.agentId, agentId)).orderBy(logins.id);

  it('4400: a frame that is not a signed envelope', async () => {
    const agent = await enrollTestAgent(server);
    const client = await TestAgentClient.connect(server, agent);
    client.sendRaw('{"not": "an envelope"');
    expect(await refusal(client)).toEqual({ code: 'frame_malformed', close: 4400 });
  });

  it('4400: a text frame over 1 MiB', async () => {
    const agent = await enrollTestAgent(server);
    const client = await connectAgent(server, agent);
    client.sendRaw(`{"p":"${'a'.repeat(MAX_TEXT_FRAME_BYTES)}","s":""}`, false);
    expect(await refusal(client)).toEqual({ code: 'frame_too_large', close: 4400 });
  });

  it('4400: a signed batch that does not match its schema, and a binary frame before hello', async () => {
    const agent = await enrollTestAgent(server);
    const client = await connectAgent(server, agent);
    client.sendBatch(1, []);
    expect(await refusal(client)).toEqual({ code: 'payload_invalid', close: 4400 });

    const early = await TestAgentClient.connect(server, agent);
    early.sendRaw(new Uint8Array([0, 0, 0, 2, 123, 125]), true);
    expect(await refusal(early)).toEqual({ code: 'unexpected_message', close: 4400 });
    expect(await db.database.db.select().from(events).where(eq(events.agentId, agent.agentId))).toEqual([]);
  });

  it('4400: a blob whose bytes do not match its signed sha256 or size, with nothing stored', async () => {
    const agent = await enrollTestAgent(server);
    const image = await testJpeg();
    const client = await connectAgent(server, agent);
    client.sendBlob(1, image, { sha256: sha256Hex(new Uint8Array([1, 2, 3])) });
    expect(await refusal(client)).toEqual({ code: 'blob_hash_mismatch', close: 4400 });
    expect(await server.blobs.has(sha256Hex(image))).toBe(false);

    const again = await connectAgent(server, agent);
    expect(again.welcome!.ackedSeq).toBe(0);
    again.sendBlob(1, image, { size: image.length + 1 });
    expect(await refusal(again)).toEqual({ code: 'blob_size_mismatch', close: 4400 });
    expect(
      await db.database.db.select().from(screenshots).where(eq(screenshots.agentId, agent.agentId)),
    ).toEqual([]);
    expect(await db.database.db.select().from(events).where(eq(events.agentId, agent.agentId))).toEqual([]);
    expect(await server.blobs.has(sha256Hex(image))).toBe(false);
  });

  it('1009: a binary frame over 16 MiB is refused by the WebSocket layer', async () => {
    const agent = await enrollTestAgent(server);
    const client = await connectAgent(server, agent);
    client.sendRaw(new Uint8Array(MAX_BINARY_FRAME_BYTES + 1), true);
    expect((await client.closed).code).toBe(1009);
  });

  it('4401: unknown agent, bad signature, wrong nonce, wrong session — each hello stored as a refused login', async () => {
    const agent = await enrollTestAgent(server);

    const stranger: EnrolledAgent = { ...agent, agentId: 'no-such-agent' };
    const unknown = await TestAgentClient.connect(server, stranger);
    unknown.sendHello();
    expect(await refusal(unknown)).toEqual({ code: 'unknown_agent', close: 4401 });
    const [unknownLogin] = await db.database.db
      .select()
      .from(logins)
      .where(eq(logins.claimedAgent, 'no-such-agent'));
    expect(unknownLogin).toMatchObject({
      allowed: false,
      reason: 'unknown_agent',
      agentId: null,
      ip: '127.0.0.1',
    });

    const nul = await TestAgentClient.connect(server, { ...agent, agentId: 'no\u0000such' });
    nul.sendHello();
    expect(await refusal(nul)).toEqual({ code: 'unknown_agent', close: 4401 });
    expect(await db.database.db.select().from(logins).where(eq(logins.claimedAgent, 'nosuch'))).toMatchObject(
      [{ reason: 'unknown_agent' }],
    );

    const forged = await TestAgentClient.connect(server, agent);
    forged.sendHello({}, tweetnaclSigner(generateKeyPair().secretKey));
    expect(await refusal(forged)).toEqual({ code: 'bad_signature', close: 4401 });

    const replayed = await TestAgentClient.connect(server, agent);
    replayed.sendHello({ nonce: Buffer.alloc(32, 1).toString('base64') });
    expect(await refusal(replayed)).toEqual({ code: 'wrong_nonce', close: 4401 });

    const client = await connectAgent(server, agent);
    client.sendBatch(1, sampleEvents(1), { session: 'another-session' });
    expect(await refusal(client)).toEqual({ code: 'wrong_session', close: 4401 });

    expect((await loginsOf(agent.agentId)).map((l) => [l.allowed, l.reason])).toEqual([
      [true, null], // enrollment
      [false, 'bad_signature'],
      [false, 'wrong_nonce'],
      [true, null],
    ]);
    expect(await db.database.db.select().from(events).where(eq(events.agentId, agent.agentId))).toEqual([]);
  });

  it('4403: a real client on 127.0.0.2 while the allowlist holds 127.0.0.1/32, with one deduplicated anomaly', async () => {
    const { projectId } = await createTestProject(server, { allowlist: ['127.0.0.1/32'] });
    const agent = await enrollTestAgent(server, { projectId });
    for (let attempt = 0; attempt < 2; attempt++) {
      const outsider = await TestAgentClient.connect(server, agent, { localAddress: '127.0.0.2' });
      outsider.sendHello();
      expect(await refusal(outsider)).toEqual({ code: 'ip_not_allowed', close: 4403 });
    }
    const refused = (await loginsOf(agent.agentId)).filter((l) => !l.allowed);
    expect(refused).toMatchObject([
      { reason: 'ip_not_allowed', ip: '127.0.0.2', peerIp: '127.0.0.2', kind: 'hello' },
      { reason: 'ip_not_allowed', ip: '127.0.0.2' },
    ]);
    const rows = await db.database.db
      .select()
      .from(anomalies)
      .where(and(eq(anomalies.agentId, agent.agentId), eq(anomalies.rule, 'ip_not_allowed')));
    expect(rows).toMatchObject([
      { key: '127.0.0.2', count: 2, severity: 'critical', status: 'open', operator: 'operator1' },
    ]);
    expect(rows[0]!.evidence.map((e) => e.id)).toEqual(refused.map((l) => l.id));

    const insider = await connectAgent(server, agent, { localAddress: '127.0.0.1' });
    expect(insider.session).toBeTruthy();
    await insider.close();
  });

  it('4408: no hello within the handshake timeout', async () => {
    const quick = await startTestServer({ database: db, config: { handshakeTimeoutMs: 200 } });
    try {
      const agent = await enrollTestAgent(quick);
      const client = await TestAgentClient.connect(quick, agent);
      expect(await refusal(client)).toEqual({ code: 'handshake_timeout', close: 4408 });
    } finally {
      await quick.close();
    }
  });

  it('4409: a second connection of the same agent replaces the first', async () => {
    const agent = await enrollTestAgent(server);
    const first = await connectAgent(server, agent);
    const second = await connectAgent(server, agent);
    expect(await refusal(first)).toEqual({ code: 'replaced', close: 4409 });
    second.sendBatch(1, sampleEvents(1));
    await second.ack(1);
    await second.close();
  });

  it('4410: a revoked agent is told to stop, closed, and refused at its next hello', async () => {
    const agent = await enrollTestAgent(server);
    const client = await connectAgent(server, agent);
    await server.adminOk('POST', `/projects/${agent.projectId}/agents/${agent.agentId}/revoke`);
    const command = await client.next('command');
    expect(command).toMatchObject({ cmd: 'revoke', session: client.session });
    expect(await refusal(client)).toEqual({ code: 'agent_revoked', close: 4410 });

    const again = await TestAgentClient.connect(server, agent);
    again.sendHello();
    expect(await refusal(again)).toEqual({ code: 'agent_revoked', close: 4410 });
    expect((await loginsOf(agent.agentId)).at(-1)).toMatchObject({ allowed: false, reason: 'agent_revoked' });
  });

  it('forwarded-for from an untrusted peer is ignored; from a trusted proxy it is believed', async () => {
    const { projectId } = await createTestProject(server, { allowlist: ['10.0.0.0/8'] });
    // The same collector (same key) once more, behind a proxy on 127.0.0.1 that it trusts.
    const behindProxy = await startTestServer({
      database: db,
      identity: server.identity,
      config: { trustedProxies: ['127.0.0.1/32'] },
    });
    try {
      const { token } = await behindProxy.adminOk<{ token: string }>(
        'POST',
        `/projects/${projectId}/tokens`,
        {},
      );
      const keys = generateKeyPair();
      const enrolled = await httpJson<EnrollResponse>(
        'POST',
        `${behindProxy.url}/api/v1/enroll`,
        {
          token,
          publicKey: toBase64(keys.publicKey),
          hostname: 'seat-behind-proxy',
          os: 'linux',
          osUser: 'operator1',
          agentVersion: '0.1.0-test',
        },
        { headers: { 'x-forwarded-for': '10.9.9.9' } },
      );
      expect(enrolled.status).toBe(201);
      const agent: EnrolledAgent = {
        agentId: enrolled.body.agentId,
        projectId,
        keys,
        signer: tweetnaclSigner(keys.secretKey),
        serverPublicKey: fromBase64(enrolled.body.serverPublicKey, 32),
        enrollment: enrolled.body,
        hostname: 'seat-behind-proxy',
      };

      const spoof = await TestAgentClient.connect(server, agent, {
        headers: { 'x-forwarded-for': '10.1.2.3' },
      });
      spoof.sendHello();
      expect(await refusal(spoof)).toEqual({ code: 'ip_not_allowed', close: 4403 });

      const client = await connectAgent(behindProxy, agent, {
        headers: { 'x-forwarded-for': '203.0.113.9, 10.1.2.3' },
      });
      const hellos = (await loginsOf(agent.agentId)).filter((l) => l.kind === 'hello');
      expect(hellos).toMatchObject([
        { allowed: false, reason: 'ip_not_allowed', ip: '127.0.0.1', peerIp: '127.0.0.1' },
        { allowed: true, ip: '10.1.2.3', peerIp: '127.0.0.1', session: client.session },
      ]);
      await client.close();
    } finally {
      await behindProxy.close();
    }
  });

  it('garbage never crashes the server, stores nothing, and a valid session works afterwards', async () => {
    const agent = await enrollTestAgent(server);
    const signer = agent.signer;
    const garbage: Array<string | Uint8Array> = [
      '',
      'null',
      '[]',
      '{"p":1,"s":2}',
      '{"p":"{}","s":"AAAA"}',
      `{"p":"{\\"t\\":\\"hello\\"}","s":"${'A'.repeat(86)}=="}`,
      new Uint8Array([0xff, 0xfe, 0xfd]),
      new Uint8Array([0, 0, 0, 200, 1, 2, 3]),
      new Uint8Array(3),
      encodeTextFrame({ t: 'ack', v: 1, session: 'x', seq: 1 }, 'agent', signer),
      encodeTextFrame({ t: 'challenge', v: 1, nonce: `${'A'.repeat(43)}=`, time: 1 }, 'server', signer),
    ];
    const closes: number[] = [];
    for (const frame of garbage) {
      const client = await TestAgentClient.connect(server, agent);
      client.sendRaw(frame);
      closes.push((await client.closed).code);
    }
    for (let i = 0; i < 20; i++) {
      const client = await connectAgent(server, agent);
      client.sendRaw(new Uint8Array(Buffer.from(`${i}`.repeat(i * 7 + 1))), i % 2 === 0);
      closes.push((await client.closed).code);
    }
    expect(closes.every((code) => code === 4400 || code === 4401 || code === 1007)).toBe(true);
    const [{ n }] = (await db.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(events)
      .where(eq(events.agentId, agent.agentId))) as [{ n: number }];
    expect(n).toBe(0);

    const client = await connectAgent(server, agent);
    client.sendBatch(1, sampleEvents(2));
    await client.ack(1);
    await client.close();
  });
});
