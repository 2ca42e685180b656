/**
 * ip_not_allowed (hello and enrollment), ip_changed, clock_skew,
 * concurrent_login and tamper through real sockets: refusals use a client
 * socket bound to 127.0.0.2 (a real other IP), forged frames are really
 * signed with the wrong key.
 */
import { type Event, encodeTextFrame, generateKeyPair, toBase64, tweetnaclSigner } from '@seatwatch/shared';
import {
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  enrollTestAgent,
  httpJson,
  issueToken,
  TestAgentClient,
  type TestDatabase,
} from '@seatwatch/testkit/server';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anomalies } from '../../src/db/schema/index.js';
import { type AnomalyWorld, createAnomalyWorld, type Seat } from './support/anomaly-world.js';

const MINUTE = 60_000;

describe.each(DB_KINDS)('login and tamper rules on %s', (kind) => {
  let db: TestDatabase;
  let world: AnomalyWorld;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    world = await createAnomalyWorld(db);
  });
  afterAll(async () => {
    await world?.close();
    await db?.close();
  });

  const now = () => world.clock.now();
  const rulesOf = async (seat: Seat) =>
    (await world.anomaliesOf(seat.agent.agentId)).map((a) => `${a.rule}/${a.key}/${a.severity}`).sort();

  /** Connects and says hello from an address; resolves with the close if the server refuses. */
  const helloFrom = async (seat: Seat, localAddress: string) => {
    const client = await TestAgentClient.connect(world.server, seat.agent, { localAddress });
    client.sendHello({ time: now() });
    return { client, outcome: await Promise.race([client.next('welcome'), client.closed]) };
  };

  it('ip_not_allowed: every refused hello from outside the allowlist adds to one critical anomaly', async () => {
    const { projectId } = await createTestProject(world.server, { allowlist: ['127.0.0.1/32'] });
    const seat = await world.seat({ projectId });
    await seat.client.close();
    for (let i = 0; i < 3; i++) {
      const { outcome } = await helloFrom(seat, '127.0.0.2');
      expect(outcome).toMatchObject({ code: 4403 });
    }
    const rows = await world.anomaliesOf(seat.agent.agentId);
    expect(rows).toMatchObject([
      { rule: 'ip_not_allowed', key: '127.0.0.2', severity: 'critical', count: 3 },
    ]);
    expect(rows[0]!.evidence).toMatchObject([
      { kind: 'login', source: 'hello', ip: '127.0.0.2' },
      { kind: 'login' },
      { kind: 'login' },
    ]);

    // Near miss: the same agent from the allowed address is welcomed and adds nothing.
    const { client, outcome } = await helloFrom(seat, '127.0.0.1');
    expect(outcome).toMatchObject({ t: 'welcome' });
    await client.close();
    expect((await world.anomaliesOf(seat.agent.agentId)).map((r) => r.count)).toEqual([3]);
  });

  it('ip_not_allowed follows the project settings: its severity, or off', async () => {
    const { projectId } = await createTestProject(world.server, { allowlist: ['127.0.0.1/32'] });
    const seat = await world.seat({ projectId });
    await seat.client.close();
    await world.apiOk('PUT', `/projects/${projectId}/rules/ip_not_allowed`, { severity: 'high' });
    await helloFrom(seat, '127.0.0.2');
    expect(await rulesOf(seat)).toEqual(['ip_not_allowed/127.0.0.2/high']);
    await world.apiOk('POST', `/${(await world.anomaliesOf(seat.agent.agentId))[0]!.id}/status`, {
      status: 'resolved',
      comment: 'new office range',
    });
    await world.apiOk('PUT', `/projects/${projectId}/rules/ip_not_allowed`, { enabled: false });
    await helloFrom(seat, '127.0.0.2');
    expect((await world.anomaliesOf(seat.agent.agentId)).map((r) => r.status)).toEqual(['resolved']);
  });

  it('ip_not_allowed: a refused enrollment is recorded without an agent, once per address', async () => {
    const { projectId } = await createTestProject(world.server, { allowlist: ['127.0.0.1/32'] });
    for (let i = 0; i < 2; i++) {
      const { token } = await issueToken(world.server, projectId);
      const answer = await httpJson(
        'POST',
        `${world.server.url}/api/v1/enroll`,
        {
          token,
          publicKey: toBase64(generateKeyPair().publicKey),
          hostname: 'intruder',
          os: 'linux',
          osUser: 'mallory',
          agentVersion: '0.1.0-test',
        },
        { localAddress: '127.0.0.2' },
      );
      expect(answer.status).toBe(403);
    }
    const rows = await db.database.db.select().from(anomalies).where(eq(anomalies.projectId, projectId));
    expect(rows).toMatchObject([
      {
        rule: 'ip_not_allowed',
        agentId: null,
        key: '127.0.0.2',
        severity: 'critical',
        count: 2,
        operator: 'mallory',
      },
    ]);
    expect(rows[0]!.evidence[0]).toMatchObject({ kind: 'login', source: 'enroll' });
  });

  it('ip_changed: a login from another IP on the same day; near miss: the same IP again', async () => {
    const seat = await world.seat({ localAddress: '127.0.0.1' });
    await seat.client.close();
    await seat.reconnect({ localAddress: '127.0.0.1' });
    expect(await rulesOf(seat)).toEqual([]);
    await seat.client.close();
    await seat.reconnect({ localAddress: '127.0.0.2' });
    const [changed] = await world.anomaliesOf(seat.agent.agentId);
    expect(changed).toMatchObject({ rule: 'ip_changed', key: '127.0.0.2', severity: 'warning' });
    expect(changed!.evidence).toMatchObject([
      { ip: '127.0.0.1' },
      { ip: '127.0.0.2', previousIp: '127.0.0.1' },
    ]);
  });

  it('clock_skew: a hello more than 2 minutes off; near miss: 90 seconds off', async () => {
    const seat = await world.seat();
    await seat.client.close();
    await seat.reconnect({ hello: { time: now() + 90_000 } });
    expect(await rulesOf(seat)).toEqual([]);
    await seat.client.close();
    await seat.reconnect({ hello: { time: now() - 3 * MINUTE } });
    const [skew] = await world.anomaliesOf(seat.agent.agentId);
    expect(skew).toMatchObject({ rule: 'clock_skew', severity: 'medium' });
    expect(skew!.evidence).toMatchObject([{ kind: 'login', skewMs: -3 * MINUTE }]);
  });

  it('concurrent_login: the same OS user active on two seats; near misses: another user, an old idle session', async () => {
    const { projectId } = await createTestProject(world.server);
    const first = await world.seat({ projectId, osUser: 'ACME\\jdoe' });
    await first.send([{ type: 'status', time: now(), state: 'active', idleMs: 0 } as Event]);
    const other = await world.seat({ projectId, osUser: 'ACME\\jane' });
    expect(await rulesOf(other)).toEqual([]);
    const second = await world.seat({ projectId, osUser: 'acme\\JDOE' });
    const [clash] = await world.anomaliesOf(second.agent.agentId);
    expect(clash).toMatchObject({ rule: 'concurrent_login', key: 'acme\\jdoe', severity: 'high' });
    expect(clash!.evidence).toMatchObject([{ kind: 'login' }, { otherAgentId: first.agent.agentId }]);

    const { projectId: quiet } = await createTestProject(world.server);
    const away = await world.seat({ projectId: quiet, osUser: 'kim' });
    await away.send([{ type: 'status', time: now() - 10 * MINUTE, state: 'locked', idleMs: 0 } as Event]);
    const later = await world.seat({ projectId: quiet, osUser: 'kim' });
    expect(await rulesOf(later)).toEqual([]);
  });

  it('tamper: a data frame signed with another key, and a frame replayed into another session', async () => {
    const seat = await world.seat();
    const forger = tweetnaclSigner(generateKeyPair().secretKey);
    seat.client.ws.send(
      encodeTextFrame(
        seat.client.batchPayload(1, [{ type: 'status', time: now(), state: 'active', idleMs: 0 } as Event]),
        'agent',
        forger,
      ),
    );
    expect(await seat.client.closed).toMatchObject({ code: 4401 });
    await seat.reconnect();
    seat.client.sendBatch(1, [{ type: 'status', time: now(), state: 'idle', idleMs: 0 } as Event], {
      session: 'a-session-from-elsewhere',
    });
    expect(await seat.client.closed).toMatchObject({ code: 4401 });
    await world.settle();
    expect(await rulesOf(seat)).toEqual(['tamper/bad_signature/critical', 'tamper/session_replay/critical']);
  });

  it('tamper: a forged hello, a replayed hello and a revoked agent still connecting', async () => {
    const seat = await world.seat();
    await seat.client.close();
    const forged = await TestAgentClient.connect(world.server, seat.agent);
    forged.sendHello({ time: now() }, tweetnaclSigner(generateKeyPair().secretKey));
    expect(await forged.closed).toMatchObject({ code: 4401 });
    const replayed = await TestAgentClient.connect(world.server, seat.agent);
    replayed.sendHello({ time: now(), nonce: toBase64(new Uint8Array(32).fill(7)) });
    expect(await replayed.closed).toMatchObject({ code: 4401 });
    await world.server.adminOk('POST', `/projects/${seat.projectId}/agents/${seat.agent.agentId}/revoke`, {});
    const revoked = await TestAgentClient.connect(world.server, seat.agent);
    revoked.sendHello({ time: now() });
    expect(await revoked.closed).toMatchObject({ code: 4410 });
    await world.settle();
    expect(await rulesOf(seat)).toEqual([
      'tamper/bad_signature/critical',
      'tamper/hello_replay/critical',
      'tamper/revoked_agent/critical',
    ]);
  });

  it('tamper: an unannounced sequence gap; an announced one is recorded apart at low severity; resends are no gap', async () => {
    const seat = await world.seat();
    const status = { type: 'status', time: now(), state: 'active', idleMs: 0 } as Event;
    await seat.send([status]);
    // A resend of seq 1 is acknowledged again and is no gap.
    seat.client.sendBatch(1, [status]);
    await seat.client.ack(1);
    await world.settle();
    expect(await rulesOf(seat)).toEqual([]);

    seat.client.sendBatch(4, [status]);
    await seat.client.ack(4);
    const dropped: Event = {
      type: 'data_dropped',
      time: now(),
      kind: 'screenshot',
      count: 2,
      bytes: 100_000,
      fromSeq: 5,
      toSeq: 6,
      reason: 'outbox full',
    };
    seat.client.sendBatch(7, [dropped]);
    await seat.client.ack(7);
    await world.settle();
    expect(await rulesOf(seat)).toEqual(['tamper/sequence_gap/critical', 'tamper/sequence_gap_declared/low']);
  });

  it('enrolled agents from the allowed address raise nothing on a normal session', async () => {
    const { projectId } = await createTestProject(world.server, { allowlist: ['127.0.0.1/32'] });
    const agent = await enrollTestAgent(world.server, { projectId, localAddress: '127.0.0.1' });
    const client = await TestAgentClient.connect(world.server, agent, { localAddress: '127.0.0.1' });
    await client.hello({ time: now() });
    client.sendBatch(1, [{ type: 'status', time: now(), state: 'active', idleMs: 0 } as Event]);
    await client.ack(1);
    await world.settle();
    expect(await world.anomaliesOf(agent.agentId)).toEqual([]);
  });
});
