// PostgreSQL only: three collector processes share one database, and PGlite is one process's database.
/**
 * Several collectors, one database (issue #15): three real server processes
 * on one fresh PostgreSQL database behind a real HAProxy, started with the
 * example configuration kept in the repository (deploy/haproxy/seatwatch.cfg),
 * every address an ephemeral one on loopback:
 *
 *   seats (127.0.0.3) --> HAProxy --(from 127.0.0.2)--> collector 1, 2, 3 --> PostgreSQL
 *
 * The collectors trust X-Forwarded-For from 127.0.0.2 only, and the project's
 * allowlist names 127.0.0.3 only, so the allowlist must see the seat's
 * address, neither the balancer's nor one a seat makes up. Then: seats spread
 * across the three; a supervisor's live stream on collector 1 sees changes of
 * seats held by the others; capture-now asked of collector 1 reaches each
 * agent wherever its socket is, and the screenshot it sends is on the board
 * of collector 1; a sign-out or a disabled account on one collector ends that
 * user's live stream on another at once; a collector killed with SIGKILL while
 * frames are in flight: its seats come back through the balancer to the
 * others, resume at the sequence the database has, and every event is
 * stored exactly once; a rule across seats (concurrent_login) counts each
 * hello once, not once per collector; retention ran once per interval
 * between the three.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CaptureEvent, type Event, generateKeyPair, toBase64 } from '@seatwatch/shared';
import type { Board, BoardSeat } from '@seatwatch/shared/dashboard-api';
import { Children, until } from '@seatwatch/testkit';
import { asUser, createSignedInUser, type SignedIn } from '@seatwatch/testkit/dashboard-session';
import {
  captureEvent,
  connectAgent,
  createTestDatabase,
  createTestProject,
  type EnrolledAgent,
  enrollTestAgent,
  httpJson,
  type ServerEndpoint,
  type ServerProcess,
  spawnServer,
  type TestAgentClient,
  type TestDatabase,
  testJpeg,
} from '@seatwatch/testkit/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const CONFIG = fileURLToPath(new URL('../../deploy/haproxy/seatwatch.cfg', import.meta.url));
const HAPROXY = ['/usr/sbin/haproxy', '/usr/bin/haproxy'].find((path) => existsSync(path)) ?? 'haproxy';
/** HAProxy connects to the collectors from here: the one address they believe X-Forwarded-For from. */
const BALANCER_SOURCE = '127.0.0.2';
/** The seats' own network: the one entry on the project's allowlist. */
const SEAT_ADDRESS = '127.0.0.3';
/** Somebody else, not on the allowlist. */
const STRANGER = '127.0.0.4';
const SEATS = 9;
const EVENTS_PER_BATCH = 3;
/** Short, so that the test sees several turns of it; three processes would each run it this often. */
const RETENTION_INTERVAL_MS = 2500;
/** How long a live stream has to end by itself at the latest (the periodic re-check, REAUTH_MS). */
const REAUTH_MS = 30_000;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

/** An address the test reaches through the balancer: enrollment, the agent endpoint, the dashboard. */
function endpointAt(url: string, adminToken: string): ServerEndpoint {
  const admin = <T>(method: string, path: string, body?: unknown) =>
    httpJson<T>(method, `${url}/api/v1/admin${path}`, body, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
  return {
    url,
    wsUrl: `${url.replace('http', 'ws')}/api/v1/agent/ws`,
    admin,
    async adminOk<T>(method: string, path: string, body?: unknown) {
      const answer = await admin<T>(method, path, body);
      if (answer.status < 200 || answer.status >= 300)
        throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      return answer.body;
    },
  };
}

/** An enrollment request with a fresh key. */
function enrollBody(token: string) {
  const publicKey = toBase64(generateKeyPair().publicKey);
  return {
    token,
    publicKey,
    hostname: 'elsewhere',
    os: 'linux',
    osUser: 'someone',
    agentVersion: '0.1.0-test',
  };
}

/** Agents with an authenticated connection to one collector, from its own /metrics. */
async function connectedTo(server: ServerProcess): Promise<number> {
  const answer = await fetch(`${server.url}/metrics`);
  const match = /^seatwatch_connected_agents (\d+)/m.exec(await answer.text());
  return Number(match?.[1] ?? Number.NaN);
}

interface LiveStream {
  readonly seats: BoardSeat[];
  readonly ended: Promise<number>;
  close(): void;
}

/** GET /api/v1/live as the browser opens it; resolves at its `ready` event. */
function openLive(url: string, who: SignedIn): Promise<LiveStream> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${url}/api/v1/live`, { headers: { cookie: who.cookie } }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`live answered ${response.statusCode}`));
      const seats: BoardSeat[] = [];
      const ended = new Promise<number>((settle) => {
        const mark = () => settle(Date.now());
        response.on('end', mark).on('close', mark).on('error', mark);
      });
      let buffer = '';
      response.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          cut = buffer.indexOf('\n\n');
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event === 'seat' && data) seats.push(JSON.parse(data) as BoardSeat);
          if (event === 'ready') resolve({ seats, ended, close: () => request.destroy() });
        }
      });
    });
    request.on('error', reject);
  });
}

type Frame = { kind: 'batch'; events: Event[] } | { kind: 'blob'; bytes: Uint8Array; event: CaptureEvent };

/**
 * A seat that keeps its frames until they are acknowledged, as the real agent's outbox does:
 * when its socket drops it connects again through the balancer, takes the sequence the
 * collector says it has (welcome.ackedSeq) and sends what follows.
 */
class Seat {
  client!: TestAgentClient;
  /** Frame seq is at index seq - 1. */
  readonly frames: Frame[] = [];
  /** Highest sequence acknowledged to this seat. */
  acked = 0;
  /** Highest sequence sent on the current connection. */
  sent = 0;
  /** Every welcome's ackedSeq, in order. */
  readonly resumedAt: number[] = [];
  readonly closeCodes: number[] = [];

  constructor(
    readonly agent: EnrolledAgent,
    private readonly balancer: ServerEndpoint,
  ) {}

  get batches(): number {
    return this.frames.filter((frame) => frame.kind === 'batch').length;
  }

  /** Queues `count` batches of activity, each with its own application. */
  queueBatches(count: number): void {
    for (let n = 0; n < count; n++) {
      const batch = this.batches;
      const start = Date.now() - 3_600_000 + batch * EVENTS_PER_BATCH * 1000;
      this.frames.push({
        kind: 'batch',
        events: Array.from({ length: EVENTS_PER_BATCH }, (_, j) => ({
          type: 'activity' as const,
          time: start + j * 1000,
          end: start + j * 1000 + 900,
          app: `app-${batch}`,
          title: `Ticket ${batch}.${j}`,
        })),
      });
    }
  }

  async connect(): Promise<void> {
    const client = await connectAgent(this.balancer, this.agent, { localAddress: SEAT_ADDRESS });
    this.client = client;
    void client.closed.then((info) => this.closeCodes.push(info.code));
    const { ackedSeq } = client.welcome!;
    this.resumedAt.push(ackedSeq);
    this.acked = Math.max(this.acked, ackedSeq);
    this.sent = this.acked;
  }

  /** Sends every queued frame not yet sent on this connection, without waiting. */
  sendQueued(): void {
    for (let seq = Math.max(this.acked, this.sent) + 1; seq <= this.frames.length; seq++) {
      const frame = this.frames[seq - 1]!;
      if (frame.kind === 'batch') this.client.sendBatch(seq, frame.events);
      else this.client.sendBlob(seq, frame.bytes, { event: frame.event });
      this.sent = seq;
    }
  }

  /** Sends what is queued and waits for its ack, reconnecting through the balancer as often as it takes. */
  async deliver(deadline: number): Promise<void> {
    const last = this.frames.length;
    for (;;) {
      try {
        if (this.client.ws.readyState !== this.client.ws.OPEN) await this.connect();
        this.sendQueued();
        this.acked = Math.max(this.acked, (await this.client.ack(last)).seq);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
      }
    }
  }
}

describe('three collectors on one PostgreSQL database behind HAProxy', () => {
  const children = new Children();
  let db: TestDatabase;
  let dataDir: string;
  let servers: ServerProcess[] = [];
  let haproxy: ChildProcess;
  let haproxyOutput = '';
  let balancer: ServerEndpoint;
  let projectId: string;
  let supervisor: SignedIn;
  const seats: Seat[] = [];
  const adminToken = `swa_test_${randomBytes(24).toString('base64url')}`;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    dataDir = await mkdtemp(join(tmpdir(), 'seatwatch-scale-out-'));
    // One installation: the same keys and admin token everywhere, and one blob folder (a shared
    // filesystem here; an S3 bucket in docs/deployment.md), or a seat's screenshot would be on one only.
    const env = {
      DATABASE_URL: db.url!,
      SEATWATCH_DATA_DIR: dataDir,
      SEATWATCH_HOST: '127.0.0.1',
      SEATWATCH_ADMIN_TOKEN: adminToken,
      SEATWATCH_SERVER_KEY: randomBytes(32).toString('base64'),
      SEATWATCH_BLOB_KEY: randomBytes(32).toString('base64'),
      SEATWATCH_TRUSTED_PROXIES: BALANCER_SOURCE,
      SEATWATCH_RETENTION_INTERVAL_MS: String(RETENTION_INTERVAL_MS),
    };
    // The build, as `pnpm start` and the systemd unit run it (`pnpm build` first; `pnpm test:all` does).
    servers = await Promise.all([1, 2, 3].map(() => spawnServer(env, undefined, { from: 'dist' })));
    for (const server of servers) children.add(server.child);

    const port = await freePort();
    const collectors = Object.fromEntries(
      servers.map((server, i) => [`SEATWATCH_COLLECTOR_${i + 1}`, new URL(server.url).host]),
    );
    haproxy = children.add(
      spawn(HAPROXY, ['-db', '-f', CONFIG], {
        env: {
          PATH: process.env.PATH ?? '',
          SEATWATCH_LB_BIND: `127.0.0.1:${port}`,
          SEATWATCH_LB_SOURCE: BALANCER_SOURCE,
          ...collectors,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    haproxy.stdout!.on('data', (chunk: Buffer) => {
      haproxyOutput += chunk.toString('utf8');
    });
    haproxy.stderr!.on('data', (chunk: Buffer) => {
      haproxyOutput += chunk.toString('utf8');
    });
    balancer = endpointAt(`http://127.0.0.1:${port}`, adminToken);
    await until(
      'HAProxy to answer /readyz',
      async () => {
        if (haproxy.exitCode !== null) throw new Error(`haproxy exited: ${haproxyOutput}`);
        return (await httpJson('GET', `${balancer.url}/readyz`)).status === 200;
      },
      20_000,
    );

    projectId = (await createTestProject(balancer, { allowlist: [`${SEAT_ADDRESS}/32`] })).projectId;
    supervisor = await createSignedInUser(balancer, 'floor-supervisor', [
      { role: 'supervisor', projectId, teamId: null },
    ]);
    for (let i = 0; i < SEATS; i++) {
      const agent = await enrollTestAgent(balancer, {
        projectId,
        hostname: `desk-${i}`,
        localAddress: SEAT_ADDRESS,
      });
      seats.push(new Seat(agent, balancer));
    }
    // One after the other, so that the balancer's least-connections choice spreads them.
    for (const seat of seats) await seat.connect();
  }, 180_000);

  // A collector that refused connections failed this once in CI with nothing to say why: on a
  // failure, what each process and the balancer printed goes into the report.
  afterEach(({ task }) => {
    if (task.result?.state !== 'fail') return;
    const tail = (text: string) => text.slice(-4000);
    servers.forEach((server, i) => {
      const { stdout, stderr } = server.output();
      const exit = server.child.exitCode ?? server.child.signalCode ?? 'running';
      process.stderr.write(
        `--- collector ${i + 1} (${server.url}, ${exit}) stdout:\n${tail(stdout)}\n--- stderr:\n${tail(stderr)}\n`,
      );
    });
    process.stderr.write(`--- haproxy:\n${tail(haproxyOutput)}\n`);
  });

  afterAll(async () => {
    for (const seat of seats) await seat.client?.close().catch(() => {});
    await children.stopAll();
    await db?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('lets the allowlist see the seat’s own address, not the balancer’s nor one a client claims', async () => {
    // Through the balancer, from outside the allowlist, claiming to be a seat: refused.
    const project = (await createTestProject(balancer, { allowlist: [`${SEAT_ADDRESS}/32`] })).projectId;
    await expect(enrollTestAgent(balancer, { projectId: project, localAddress: STRANGER })).rejects.toThrow(
      /answered 403/,
    );
    const { token } = await balancer.adminOk<{ token: string }>('POST', `/projects/${project}/tokens`, {});
    const forged = await httpJson('POST', `${balancer.url}/api/v1/enroll`, enrollBody(token), {
      localAddress: STRANGER,
      headers: { 'x-forwarded-for': SEAT_ADDRESS },
    });
    expect(forged.status).toBe(403);
    // Straight to a collector, bypassing the balancer: the header is not believed from there either.
    const direct = await httpJson('POST', `${servers[0]!.url}/api/v1/enroll`, enrollBody(token), {
      localAddress: STRANGER,
      headers: { 'x-forwarded-for': SEAT_ADDRESS },
    });
    expect(direct.status).toBe(403);

    // An enrolled seat's hello from elsewhere, through the balancer, with a made-up header: 4403.
    const seat = seats[0]!.agent;
    await expect(
      connectAgent(balancer, seat, { localAddress: STRANGER, headers: { 'x-forwarded-for': SEAT_ADDRESS } }),
    ).rejects.toThrow(/4403/);
    // The seats themselves, through the balancer from the allowlisted address, were all let in.
    expect(seats.every((s) => s.client.welcome !== null)).toBe(true);

    // Metrics stay inside: the balancer refuses them.
    expect((await httpJson('GET', `${balancer.url}/metrics`)).status).toBe(403);
  });

  it('spreads seats across the collectors and fans their changes out to a dashboard on any of them', async () => {
    const held = await Promise.all(servers.map(connectedTo));
    expect(held.reduce((a, b) => a + b, 0)).toBe(SEATS);
    // Least connections: every collector holds some.
    for (const count of held) expect(count).toBeGreaterThan(0);

    const onFirst = await openLive(servers[0]!.url, supervisor);
    const throughBalancer = await openLive(balancer.url, supervisor);
    try {
      for (const seat of seats) seat.queueBatches(2);
      await Promise.all(seats.map((seat) => seat.deliver(Date.now() + 30_000)));
      const showsEverySeat = (stream: LiveStream) => () =>
        seats.every((seat) =>
          stream.seats.some((tile) => tile.agentId === seat.agent.agentId && tile.app === 'app-1'),
        );
      // Collector 1 holds a third of the seats; the others' changes reach its viewer through PostgreSQL.
      await until(
        'collector 1’s live stream to show every seat’s application',
        showsEverySeat(onFirst),
        30_000,
      );
      await until('the balanced live stream to show every seat', showsEverySeat(throughBalancer), 30_000);
    } finally {
      onFirst.close();
      throughBalancer.close();
    }
  });

  it('delivers capture-now asked of collector 1 to each agent wherever its socket is', async () => {
    const board = await asUser<Board>(servers[0]!, supervisor, 'GET', '/api/v1/board');
    expect(board.status).toBe(200);
    const seatOf = new Map(board.body.seats.map((tile) => [tile.agentId, tile.id]));
    const stream = await openLive(servers[0]!.url, supervisor);
    try {
      const jpeg = await testJpeg();
      await Promise.all(
        seats.map(async (seat) => {
          const seatId = seatOf.get(seat.agent.agentId)!;
          const asked = await asUser<{ commandId: string }>(
            servers[0]!,
            supervisor,
            'POST',
            `/api/v1/seats/${seatId}/capture`,
          );
          expect(asked.status).toBe(202);
          const command = await seat.client.next('command', (c) => c.id === asked.body.commandId);
          expect(command.cmd).toBe('capture_now');
          seat.frames.push({
            kind: 'blob',
            bytes: jpeg,
            event: captureEvent({ trigger: 'command', commandId: command.id }),
          });
          await seat.deliver(Date.now() + 30_000);
        }),
      );
      // The screenshots, stored by whichever collector holds each socket, are on collector 1's board.
      const tiles = await until(
        'collector 1’s live stream to show every seat’s new screenshot',
        () => {
          const latest = seats.map((seat) =>
            stream.seats.findLast((tile) => tile.agentId === seat.agent.agentId && tile.screenshot),
          );
          return latest.every(Boolean) ? (latest as BoardSeat[]) : null;
        },
        30_000,
      );
      for (const tile of tiles) {
        const thumbnail = await new Promise<{ status: number; type: string }>((resolve, reject) => {
          http
            .get(
              `${servers[0]!.url}/api/v1/screenshots/${tile.screenshot!.id}/thumbnail`,
              { headers: { cookie: supervisor.cookie } },
              (response) => {
                response.resume();
                resolve({ status: response.statusCode!, type: String(response.headers['content-type']) });
              },
            )
            .on('error', reject);
        });
        expect(thumbnail).toEqual({ status: 200, type: 'image/webp' });
      }
    } finally {
      stream.close();
    }
  });

  it('ends a user’s live stream on one collector when the user signs out on another', async () => {
    const who = await createSignedInUser(balancer, 'leaving-supervisor', [
      { role: 'supervisor', projectId, teamId: null },
    ]);
    const stream = await openLive(servers[0]!.url, who);
    const signedOutAt = Date.now();
    expect((await asUser(servers[1]!, who, 'POST', '/api/v1/auth/logout')).status).toBe(200);
    // At once, not at the stream's periodic re-check REAUTH_MS after it opened.
    const endedAt = await Promise.race([
      stream.ended,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), REAUTH_MS / 2)),
    ]);
    stream.close();
    expect(endedAt).not.toBeNull();
    expect(endedAt! - signedOutAt).toBeLessThan(REAUTH_MS / 2);
  });

  it('ends a user’s live stream on one collector when an administrator disables the account on another', async () => {
    const who = await createSignedInUser(balancer, 'disabled-supervisor', [
      { role: 'supervisor', projectId, teamId: null },
    ]);
    const stream = await openLive(servers[1]!.url, who);
    const users = await endpointAt(servers[2]!.url, adminToken).adminOk<
      Array<{ id: string; username: string }>
    >('GET', '/users');
    const id = users.find((user) => user.username === 'disabled-supervisor')!.id;
    await endpointAt(servers[2]!.url, adminToken).adminOk('PATCH', `/users/${id}`, { disabled: true });
    const endedAt = await Promise.race([
      stream.ended,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), REAUTH_MS / 2)),
    ]);
    stream.close();
    expect(endedAt).not.toBeNull();
  });

  it('moves the seats of a collector killed with SIGKILL to the others, nothing lost or doubled', async () => {
    const deadline = Date.now() + 45_000;
    for (const seat of seats) seat.queueBatches(4);
    await Promise.all(seats.map((seat) => seat.deliver(deadline)));
    const before = seats.map((seat) => seat.acked);

    const held = await Promise.all(servers.map(connectedTo));
    const victimIndex = held.indexOf(Math.max(...held));
    const victim = servers[victimIndex]!;
    const survivors = servers.filter((server) => server !== victim);
    expect(held[victimIndex]).toBeGreaterThan(0);

    // Three more batches in flight from every seat, then the collector dies without a word.
    for (const seat of seats) {
      seat.queueBatches(3);
      seat.sendQueued();
    }
    victim.child.kill('SIGKILL');
    await victim.exited;
    for (const seat of seats) seat.queueBatches(3);
    await Promise.all(seats.map((seat) => seat.deliver(deadline)));

    // The killed collector's seats saw their socket drop (1006) and came back through the balancer.
    const moved = seats.filter((seat) => seat.closeCodes.includes(1006));
    expect(moved.length).toBe(held[victimIndex]);
    for (const seat of moved) expect(seat.resumedAt.length).toBeGreaterThanOrEqual(2);
    await until(
      'the surviving collectors to hold every seat',
      async () => (await Promise.all(survivors.map(connectedTo))).reduce((a, b) => a + b, 0) === SEATS,
      20_000,
    );
    // Each resumed at or after what it had been told was stored: nothing acknowledged was lost.
    seats.forEach((seat, i) => {
      for (const resumed of seat.resumedAt.slice(1)) expect(resumed).toBeGreaterThanOrEqual(before[i]!);
      expect(seat.acked).toBe(seat.frames.length);
    });

    // Every batch once, every event of it once: the events table has each (seq, idx) exactly once.
    const { rows } = await db.database.pool!.query<{
      agent_id: string;
      n: string;
      distinct_n: string;
      seqs: string;
    }>(
      `select agent_id, count(*) as n, count(distinct (seq, idx)) as distinct_n, count(distinct seq) as seqs
         from events where project_id = $1 and type = 'activity' group by agent_id`,
      [projectId],
    );
    expect(rows).toHaveLength(SEATS);
    const batches = seats[0]!.batches;
    for (const row of rows) {
      expect(Number(row.n)).toBe(batches * EVENTS_PER_BATCH);
      expect(Number(row.distinct_n)).toBe(batches * EVENTS_PER_BATCH);
      expect(Number(row.seqs)).toBe(batches);
    }
  });

  it('raises a rule across seats once per hello, on the collector that took it, not once per collector', async () => {
    // Every seat says hello as the same OS user (operator1), so each hello that finds another seat of
    // that user connected is one concurrent_login occurrence, on the seat that said it. The first
    // seat's first hello found nobody. Were the rule run by every collector, each would count three.
    const expected = seats.map((seat, i) => seat.resumedAt.length - (i === 0 ? 1 : 0));
    const query = async () => {
      const { rows } = await db.database.pool!.query<{ agent_id: string; total: string; open: string }>(
        `select agent_id, sum(count) as total, count(*) filter (where status = 'open') as open
           from anomalies where project_id = $1 and rule = 'concurrent_login' group by agent_id`,
        [projectId],
      );
      const byAgent = new Map(rows.map((row) => [row.agent_id, row]));
      return seats.map((seat) => byAgent.get(seat.agent.agentId));
    };
    const sums = (rows: Awaited<ReturnType<typeof query>>) => rows.map((row) => Number(row?.total ?? 0));
    await until('every hello’s concurrent_login occurrence', async () => {
      const rows = await query();
      return sums(rows).every((total, i) => total >= expected[i]!) ? rows : null;
    });
    // And no more than that, also once the collectors had time to add any they would: until the
    // next retention turn (one interval) has started.
    const retentionRuns = async () =>
      (await db.database.pool!.query(`select 1 from audit_log where action = 'retention.run'`)).rows.length;
    const runsSoFar = await retentionRuns();
    await until('the next retention run', async () => (await retentionRuns()) > runsSoFar, 30_000);
    const rows = await query();
    const totals = sums(rows);
    // The engine weighs a hello just after its welcome, so the first seat's first hello may already
    // see the seats that connected right after it: one occurrence more there, never one per collector.
    expect([expected[0], expected[0]! + 1]).toContain(totals[0]);
    expect(totals.slice(1)).toEqual(expected.slice(1));
    for (const row of rows) expect(Number(row?.open ?? 0)).toBeLessThanOrEqual(1);
  });

  it('ran retention once per interval between the three collectors, not once per collector', async () => {
    const runs = await until(
      'several retention runs',
      async () => {
        const { rows } = await db.database.pool!.query<{ started: string }>(
          `select details->>'startedAt' as started from audit_log
            where action = 'retention.run' order by details->>'startedAt'`,
        );
        return rows.length >= 4 ? rows.map((row) => Date.parse(row.started)) : null;
      },
      30_000,
    );
    // Three collectors each with a timer every interval would start three runs per interval.
    const gaps = runs.slice(1).map((at, i) => at - runs[i]!);
    for (const gap of gaps) expect(gap).toBeGreaterThan(RETENTION_INTERVAL_MS / 2);
  });
});
