/**
 * The network between a seat and the collector cut and restored, then stalled, between two
 * hosts made of network namespaces (issue #15). The seat is a network namespace of its own with
 * a veth pair to the collector's side (the root namespace); the agent CLI runs in it
 * (`ip netns exec`) on a seat desktop (Xvfb), with its real adapters, and speaks to the collector
 * over the veth only. The collector (PostgreSQL) listens on the root side's address.
 *
 * This kernel has no netem (`tc qdisc ... netem` says "unknown qdisc"; no modules to load), so
 * both faults are made by taking the collector's end of the link down, which drops every packet
 * without resetting anything, as a cable pulled:
 *  - the cut lasts long enough for the collector to give the silent connection up (its ping
 *    goes unanswered) while the agent keeps collecting into its outbox; restored, the agent's
 *    next packets meet a reset, it connects again and resends what was not acknowledged;
 *  - the stall is shorter than the collector's patience: the connection survives (no new hello)
 *    and TCP delivers what waited once the link is back.
 * After both, every seq from 1 to the last is stored exactly once, the windows opened during the
 * cut and the stall among them, and no sequence gap was raised.
 * Needs root (namespaces, links) and iproute2; the namespace and the links go even when it fails.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AGENT_VERSION, enroll } from '@seatwatch/agent';
import { DEFAULT_POLICY, type Policy } from '@seatwatch/shared';
import { Children, until } from '@seatwatch/testkit';
import { type AgentProcess, startAgentProcess } from '@seatwatch/testkit/agent';
import { type SeatDesktop, startSeatDesktop } from '@seatwatch/testkit/desktop';
import {
  createTestDatabase,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ip = (...args: string[]) => run('ip', args);

const TITLE = `SEATWATCH_NETCUT_${process.pid}`;
/** Names and a /30 of this run's own, so that runs side by side do not meet. */
const TAG = String(process.pid % 100_000);
const NETNS = `sw-seat-${TAG}`;
const LINK = `swc${TAG}`;
const PEER = `sws${TAG}`;
const SUBNET = `10.213.${process.pid % 250}`;
const COLLECTOR_IP = `${SUBNET}.1`;
const SEAT_IP = `${SUBNET}.2`;
/** The collector pings a connection silent this long and gives it up after one more. */
const PING_MS = 6000;
const CUT_MS = 20_000;
const STALL_MS = 2500;
const RUNNING = /Seatwatch agent \S+ running\./;
const NOTICE = /at (http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/) \(this computer only\)/;

const children = new Children();
let desktop: SeatDesktop;
let db: TestDatabase | null = null;
let server: TestServer | null = null;
let stateDir = '';
let agentId = '';
let agent: AgentProcess | null = null;

async function removeNetwork(): Promise<void> {
  // Deleting the namespace deletes its end of the pair, and with it the other end.
  await ip('netns', 'pids', NETNS)
    .then(({ stdout }) => {
      for (const pid of stdout.split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    })
    .catch(() => {});
  await ip('netns', 'delete', NETNS).catch(() => {});
  await ip('link', 'delete', LINK).catch(() => {});
}

async function makeNetwork(): Promise<void> {
  await removeNetwork();
  await ip('netns', 'add', NETNS);
  await ip('link', 'add', LINK, 'type', 'veth', 'peer', 'name', PEER);
  await ip('link', 'set', PEER, 'netns', NETNS);
  await ip('addr', 'add', `${COLLECTOR_IP}/30`, 'dev', LINK);
  await ip('link', 'set', LINK, 'up');
  await ip('-n', NETNS, 'addr', 'add', `${SEAT_IP}/30`, 'dev', PEER);
  await ip('-n', NETNS, 'link', 'set', PEER, 'up');
  await ip('-n', NETNS, 'link', 'set', 'lo', 'up');
}

const link = (state: 'up' | 'down') => ip('link', 'set', LINK, state);

const sql = async <T>(text: string, params: unknown[] = []) =>
  (await db!.database.pool!.query(text, params)).rows as T[];

const hellos = async () =>
  (
    await sql<{ n: number }>(
      `select count(*)::int as n from logins where kind = 'hello' and agent_id = $1 and allowed`,
      [agentId],
    )
  )[0]!.n;

const ackedSeq = async () =>
  Number(
    (await sql<{ acked_seq: string }>('select acked_seq from agents where id = $1', [agentId]))[0]!.acked_seq,
  );

const storedSpan = async (title: string) =>
  (
    await sql<{ seq: string; received_at: Date }>(
      `select seq, received_at from events where agent_id = $1 and type = 'activity' and body->>'title' = $2
       order by seq limit 1`,
      [agentId, title],
    )
  )[0];

beforeAll(async () => {
  await makeNetwork();
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-netcut-'));
  desktop = await startSeatDesktop(children);
  await desktop.openWindow(TITLE);
  db = await createTestDatabase('postgres');
  server = await startTestServer({
    database: db,
    config: { host: '0.0.0.0', wsPingIntervalMs: PING_MS },
  });
  const port = new URL(server.url).port;
  const project = await server.adminOk<{ id: string }>('POST', '/projects', { name: `netcut-${TAG}` });
  const policy: Policy = { ...DEFAULT_POLICY, screenshotIntervalMs: 10_000, screenshotJitter: 0 };
  await server.adminOk('PUT', `/projects/${project.id}/policy`, {
    policy,
    noticeText: 'This seat is monitored (test of a network cut). Questions: privacy@example.com',
    push: false,
  });
  const { token } = await server.adminOk<{ token: string }>('POST', `/projects/${project.id}/tokens`, {
    maxUses: 1,
  });
  // Enrolled over the veth, as the seat will reach it: plain HTTP off loopback needs --insecure.
  const identity = await enroll({
    stateDir,
    serverUrl: `http://${COLLECTOR_IP}:${port}`,
    token,
    seat: 'desk-netcut',
    insecure: true,
    hostname: 'desk-netcut',
    os: `${os.type()} ${os.release()}`,
    osUser: os.userInfo().username,
    agentVersion: AGENT_VERSION,
    now: Date.now,
  });
  agentId = identity.agentId;
}, 180_000);

afterAll(async () => {
  await children.stopAll();
  await removeNetwork();
  await server?.close();
  await db?.close();
  if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
}, 120_000);

describe('network cut and stall between a seat namespace and the collector', () => {
  it('delivers everything collected during a cut and a stall, each frame once', async () => {
    agent = startAgentProcess(
      children,
      ['run', '--state-dir', stateDir, '--page-port', '0'],
      { ...desktop.env, PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      { confirmNotice: false, netns: NETNS },
    );
    // The operator presses the notice's button on the seat's own page (in the seat's namespace).
    const [, page] = await agent.waitForStdout(NOTICE);
    await run('ip', ['netns', 'exec', NETNS, 'curl', '-fsS', '-X', 'POST', `${page}confirm-notice`]);
    await agent.waitForStdout(RUNNING);
    await until('the first window stored', async () => (await storedSpan(TITLE)) ?? null, 90_000);
    // The agent reached the collector from the seat's address, over the veth.
    const [login] = await sql<{ ip: string }>(
      `select ip from logins where kind = 'hello' and agent_id = $1 order by at limit 1`,
      [agentId],
    );
    expect(login!.ip).toBe(SEAT_IP);
    expect(await hellos()).toBe(1);

    // The cut: the seat keeps working (a window, a changed screen) while nothing gets through.
    const ackedBeforeCut = await ackedSeq();
    await link('down');
    const cutAt = Date.now();
    await desktop.openWindow(`${TITLE}_CUT`, { big: true });
    await new Promise((resolve) => setTimeout(resolve, cutAt + CUT_MS - Date.now()));
    // Nothing collected during the cut reached the collector, and it gave the connection up.
    expect(await storedSpan(`${TITLE}_CUT`)).toBeUndefined();
    expect(await ackedSeq()).toBe(ackedBeforeCut);
    await until('the collector to give the silent connection up', async () => {
      const [row] = await sql<{ session: string | null }>('select session from agents where id = $1', [
        agentId,
      ]);
      return row?.session === null;
    });
    await link('up');
    const restoredAt = Date.now();
    const cutSpan = await until(
      'the window of the cut stored',
      async () => (await storedSpan(`${TITLE}_CUT`)) ?? null,
      120_000,
    );
    expect(cutSpan.received_at.getTime()).toBeGreaterThanOrEqual(restoredAt);
    expect(await hellos()).toBe(2);

    // The stall: a short outage inside the collector's patience; the same connection carries on.
    await until('the agent settled on its new connection', async () => (await ackedSeq()) > ackedBeforeCut);
    await link('down');
    const stalledAt = Date.now();
    await desktop.openWindow(`${TITLE}_STALL`);
    await new Promise((resolve) => setTimeout(resolve, stalledAt + STALL_MS - Date.now()));
    await link('up');
    await until(
      'the window of the stall stored',
      async () => (await storedSpan(`${TITLE}_STALL`)) ?? null,
      120_000,
    );
    expect(await hellos()).toBe(2);

    // A clean stop: its "stopping" frame acknowledged, so the set of frames is final.
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toEqual({ code: 0, signal: null });
    const last = await ackedSeq();
    const perSeq = await sql<{ seq: string; idxs: number; dup: number }>(
      `select seq, count(distinct idx)::int as idxs, (count(*) - count(distinct idx))::int as dup
       from events where agent_id = $1 group by seq order by seq`,
      [agentId],
    );
    expect(perSeq.map((r) => Number(r.seq))).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(perSeq.filter((r) => r.dup !== 0)).toEqual([]);
    const shots = await sql<{ seq: string }>('select seq from screenshots where agent_id = $1', [agentId]);
    expect(new Set(shots.map((s) => s.seq)).size).toBe(shots.length);
    expect(shots.length).toBeGreaterThan(0);
    const gaps = await sql(`select 1 from anomalies where agent_id = $1 and key = 'sequence_gap'`, [agentId]);
    expect(gaps).toEqual([]);
  }, 300_000);
});
