/**
 * One enrollment for a computer shared by every shift (issue #14): the real
 * machine service (`seatwatch-agent service`, as root) and two real session
 * parts (`seatwatch-agent session`) running as two throwaway OS accounts
 * made here with useradd, each on its own X11 desktop (two Xvfb displays),
 * against the real collector on PostgreSQL. This test runs as root: it makes
 * and deletes the accounts and starts processes as them.
 *
 * The service enrolls itself from its configuration file at first start.
 * Each account gets its own socket folder (0700, owned by it) and cannot
 * reach the other's socket (EACCES). Nothing of a session is stored before
 * its operator confirmed the notice; after that, both operators' confirmations,
 * window titles and screenshots arrive through one agent identity, each
 * stored with the account of the socket it came through, even when a client
 * on that socket claims another name. Each session's start and end is a
 * login record of its account at the seat, and the board tile names the
 * operators with a session open.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Board } from '@seatwatch/shared/dashboard-api';
import { Children, stopChild, until } from '@seatwatch/testkit';
import { type AgentProcess, startAgentProcess } from '@seatwatch/testkit/agent';
import { asUser, createSignedInUser } from '@seatwatch/testkit/dashboard-session';
import { type SeatDesktop, startSeatDesktop } from '@seatwatch/testkit/desktop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Collector, createSeatProject, type SeatProject, startCollector } from './support/collector.js';

const run = promisify(execFile);
const NOTICE = 'Example Contact Center monitors this shared seat. Questions: privacy@example.com';
const TAG = `${process.pid % 100_000}`;

interface Operator {
  readonly name: string;
  uid: number;
  gid: number;
  desktop: SeatDesktop;
  title: string;
  stateDir: string;
  part: AgentProcess | null;
}

interface Row {
  seq: number;
  idx: number;
  type: string;
  osUser: string | null;
  body: Record<string, unknown>;
}

const children = new Children();
const pages = new Map<string, string>();
let collector: Collector | null = null;
let project: SeatProject;
let base = '';
let socketDir = '';
let service: AgentProcess;
const operators: Operator[] = [];
const made: string[] = [];

/** A desktop session's start or end (a login record), which needs no notice: it carries nothing collected. */
const isSessionRecord = (r: Row) => r.type === 'lifecycle' && r.body.detail === 'desktop session';
const socketOf = (op: Operator) => path.join(socketDir, String(op.uid), 'agent.sock');
const position = (r: { seq: number; idx: number }) => r.seq * 1_000_000 + r.idx;

function rows(): Promise<Row[]> {
  return collector!.sql<Row>(
    `select e.seq::float8 as seq, e.idx, e.type, e.os_user as "osUser", e.body
       from events e join agents a on a.id = e.agent_id
      where a.project_id = $1 order by e.seq, e.idx`,
    [project.projectId],
  );
}

/** Connects to `file` as `uid` in a child process; resolves with what it printed (CONNECTED or the error code). */
async function connectAs(uid: number, gid: number, file: string): Promise<string> {
  const script = `require('node:net').connect(${JSON.stringify(file)})
    .on('connect', () => { console.log('CONNECTED'); process.exit(0); })
    .on('error', (e) => { console.log(e.code); process.exit(0); });`;
  const { stdout } = await run(process.execPath, ['-e', script], { uid, gid, timeout: 30_000 });
  return stdout.trim();
}

/** One frame of the local channel, written by hand: a 4-byte length, the JSON header. */
function frame(header: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([length, json]);
}

beforeAll(async () => {
  if (process.getuid?.() !== 0)
    throw new Error('this test makes OS accounts and runs processes as them: run it as root');
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-e2e-machine-'));
  // The accounts must be able to walk to their socket folder and their own state folder.
  fs.chmodSync(base, 0o755);
  socketDir = path.join(base, 'sessions');
  for (const letter of ['a', 'b']) {
    const name = `swe2e${letter}${TAG}`;
    await run('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', name]);
    made.push(name);
    const { stdout } = await run('getent', ['passwd', name]);
    const [, , uid, gid] = stdout.trim().split(':');
    const stateDir = path.join(base, `home-${letter}`);
    fs.mkdirSync(stateDir, { mode: 0o700 });
    fs.chownSync(stateDir, Number(uid), Number(gid));
    const desktop = await startSeatDesktop(children);
    const title = `SEATWATCH_E2E_SHIFT_${letter.toUpperCase()}_${TAG}`;
    await desktop.openWindow(title);
    operators.push({ name, uid: Number(uid), gid: Number(gid), desktop, title, stateDir, part: null });
  }
  collector = await startCollector();
  project = await createSeatProject(collector, {
    noticeText: NOTICE,
    // The shortest interval the policy schema allows, without jitter: a screenshot of each session in 10 s.
    policy: { screenshotIntervalMs: 10_000, screenshotJitter: 0 },
  });
}, 240_000);

afterAll(async () => {
  await children.stopAll();
  await collector?.close();
  for (const name of made) await run('userdel', [name]).catch(() => {});
  if (base) fs.rmSync(base, { recursive: true, force: true });
}, 120_000);

describe('a shared computer: one machine service, a session part per operator (Xvfb, PostgreSQL)', () => {
  it('enrolls from its configuration file and opens a socket folder per account that only that account can reach', async () => {
    const config = path.join(base, 'agent.conf');
    fs.writeFileSync(
      config,
      [
        '# as a software-distribution tool writes it',
        `server = ${collector!.url}`,
        `token = ${project.token}`,
        'seat = shared-seat-e2e',
        `stateDir = ${path.join(base, 'machine-state')}`,
        `socketDir = ${socketDir}`,
        `sessionUsers = ${operators.map((o) => o.name).join(', ')}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    service = startAgentProcess(
      children,
      ['service', '--config', config],
      { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
      { confirmNotice: false },
    );
    await service.waitForStdout(/Seatwatch machine service \S+ running/);
    const state = fs.statSync(path.join(base, 'machine-state'));
    expect(state.mode & 0o777).toBe(0o700);
    expect(state.uid).toBe(0);
    const agents = await collector!.sql<{ id: string }>('select id from agents where project_id = $1', [
      project.projectId,
    ]);
    expect(agents).toHaveLength(1);

    for (const op of operators) {
      await until(`the socket of ${op.name}`, () => fs.existsSync(socketOf(op)));
      const folder = fs.statSync(path.dirname(socketOf(op)));
      expect([folder.uid, folder.mode & 0o777]).toEqual([op.uid, 0o700]);
    }
    const [a, b] = operators as [Operator, Operator];
    expect(await connectAs(a.uid, a.gid, socketOf(b))).toBe('EACCES');
    expect(await connectAs(b.uid, b.gid, socketOf(a))).toBe('EACCES');
    expect(await connectAs(a.uid, a.gid, socketOf(a))).toBe('CONNECTED');
  }, 180_000);

  it("takes nothing of a session before its operator confirmed the notice, then stores it as that operator's", async () => {
    for (const op of operators) {
      op.part = startAgentProcess(
        children,
        ['session', '--state-dir', op.stateDir, '--page-port', '0'],
        // The socket from the account's uid under this folder, as a session started by the desktop finds it.
        // HOME is the operator's (the X11 client reads its .Xauthority there).
        { ...op.desktop.env, HOME: op.stateDir, SEATWATCH_SOCKET_DIR: socketDir },
        { confirmNotice: false, as: { uid: op.uid, gid: op.gid } },
      );
    }
    for (const op of operators) {
      const [, url] = await op.part!.waitForStdout(/Local page: (http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/)/);
      pages.set(op.name, url!);
      // The notice is on the operator's terminal output (and a dialog on their desktop), with its page.
      await op.part!.waitForStdout(/privacy@example\.com/);
    }
    // Both sessions wait for their operators: nothing of theirs is stored but the record that their desktop
    // session started (a login record, docs/agent.md "Shift changes"), and the network event naming them before it.
    expect(
      (await rows()).filter(
        (r) => operators.some((op) => r.osUser === op.name) && r.type !== 'network' && !isSessionRecord(r),
      ),
    ).toEqual([]);

    for (const op of operators) {
      const confirmed = await fetch(`${pages.get(op.name)}confirm-notice`, {
        method: 'POST',
        redirect: 'manual',
      });
      expect(confirmed.status).toBe(303);
      await until(`the activity of ${op.name} stored`, async () =>
        (await rows()).find((r) => r.type === 'activity' && r.body.title === op.title),
      );
    }

    const stored = await rows();
    for (const op of operators) {
      const acks = stored.filter((r) => r.type === 'notice_ack' && r.osUser === op.name);
      expect(acks.map((r) => r.body)).toEqual([
        expect.objectContaining({ noticeVersion: project.notice.version, osUser: op.name }),
      ]);
      const mine = stored.filter(
        (r) => r.osUser === op.name && r.type !== 'network' && r.type !== 'notice_ack' && !isSessionRecord(r),
      );
      expect(mine.length).toBeGreaterThan(0);
      for (const row of mine) expect(position(row)).toBeGreaterThan(position(acks[0]!));
      // Every one of this session's windows is stored as this operator's, and no other's is.
      const titles = stored.filter((r) => r.type === 'activity').map((r) => [r.body.title, r.osUser]);
      expect(titles.filter(([title]) => title === op.title).every(([, user]) => user === op.name)).toBe(true);
      // The other desktop's windows (this session also saw its own notice dialog) are never this operator's.
      for (const other of operators.filter((o) => o !== op))
        expect(titles.filter(([title, user]) => user === op.name && title === other.title)).toEqual([]);
    }
    // The machine's own events (lifecycle, network) are the service's account.
    expect(stored.find((r) => r.type === 'lifecycle')?.osUser).toBe('root');
    const agentIds = await collector!.sql<{ agent_id: string }>(
      'select distinct agent_id from events e join agents a on a.id = e.agent_id where a.project_id = $1',
      [project.projectId],
    );
    expect(agentIds).toHaveLength(1);
  }, 180_000);

  it("stores each session's screenshots as its operator's", async () => {
    for (const op of operators) {
      await until(
        `a screenshot of ${op.name}'s session`,
        async () =>
          (
            await collector!.sql<{ os_user: string }>(
              `select s.os_user from screenshots s join agents a on a.id = s.agent_id
                where a.project_id = $1 and s.os_user = $2`,
              [project.projectId, op.name],
            )
          ).length > 0,
        120_000,
        250,
      );
    }
  }, 180_000);

  it("opens each operator's own self-view from their session's local page, through the machine service", async () => {
    for (const op of operators) {
      const answer = await fetch(`${pages.get(op.name)}self-view`, { redirect: 'manual' });
      expect(answer.status).toBe(303);
      const token = new URL(answer.headers.get('location')!).hash.replace(/^#token=/, '');
      const opened = await fetch(`${collector!.url}/api/v1/self-view/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      });
      expect(opened.status).toBe(200);
      const view = (await opened.json()) as {
        operator: string | null;
        logins: { kind: string; osUser: string | null }[];
      };
      expect(view.operator).toBe(op.name);
      // Their own desktop session's login record is in their view, and no other operator's.
      expect(view.logins.some((l) => l.kind === 'session_start' && l.osUser === op.name)).toBe(true);
      expect(view.logins.filter((l) => l.osUser !== op.name)).toEqual([]);
    }
  }, 180_000);

  it('ignores the name a client on the socket claims: the socket decides the account', async () => {
    const [a] = operators as [Operator];
    const claim = 'someone-else';
    const client = net.connect(socketOf(a));
    await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
    const refused = new Promise<string>((resolve) => {
      let text = '';
      client.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.includes('"refused"')) resolve(text);
      });
    });
    client.write(
      frame({
        t: 'events',
        events: [
          {
            type: 'notice_ack',
            time: Date.now(),
            noticeVersion: project.notice.version,
            osUser: claim,
            shownVia: ['page'],
          },
          { type: 'network', time: Date.now(), hostname: 'x', osUser: claim, localIps: [], gateway: null },
          { type: 'activity', time: Date.now(), end: Date.now(), app: 'claimed', title: `CLAIMED_${TAG}` },
        ],
      }),
    );
    // The network event, which would move the account of what follows, is refused and said to be.
    expect(await refused).toContain('machine service');
    const row = await until('the claimed activity stored', async () =>
      (await rows()).find((r) => r.type === 'activity' && r.body.title === `CLAIMED_${TAG}`),
    );
    expect(row.osUser).toBe(a.name);
    const stored = await rows();
    expect(stored.filter((r) => r.osUser === claim)).toEqual([]);
    expect(
      stored.filter((r) => r.type === 'notice_ack' && r.osUser === a.name).map((r) => r.body.osUser),
    ).toEqual([a.name, a.name]);
    client.destroy();
  }, 180_000);

  it("records each operator's session as a login at the seat, names both on the board tile, and the end when a session part goes", async () => {
    const sessionLogins = () =>
      collector!.sql<{ kind: string; os_user: string; ip: string; seat: string }>(
        `select l.kind, l.os_user, l.ip, s.name as seat from logins l join seats s on s.id = l.seat_id
          where l.project_id = $1 and l.kind like 'session_%' order by l.id`,
        [project.projectId],
      );
    // The latest record of each account is its session's start (the first test's probe of a socket was a
    // connection of that account too: a start and an end of its own).
    const latest = (records: { kind: string; os_user: string }[], name: string) =>
      records.filter((l) => l.os_user === name).at(-1)?.kind;
    const started = await sessionLogins();
    for (const op of operators) expect(latest(started, op.name)).toBe('session_start');
    for (const login of started) expect([login.ip, login.seat]).toEqual(['127.0.0.1', 'shared-seat-e2e']);

    const supervisor = await createSignedInUser(collector!.server, `sup${TAG}`, [
      { role: 'supervisor', projectId: project.projectId, teamId: null },
    ]);
    const tile = async () => {
      const board = await asUser<Board>(collector!.server, supervisor, 'GET', '/api/v1/board');
      expect(board.status).toBe(200);
      return board.body.seats.find((seat) => seat.name === 'shared-seat-e2e')!;
    };
    expect((await tile()).operators.sort()).toEqual(operators.map((op) => op.name).sort());

    // The second operator logs off: the session part goes with the desktop session.
    const [a, b] = operators as [Operator, Operator];
    await stopChild(b.part!.child);
    b.part = null;
    await until(
      `the end of ${b.name}'s session recorded`,
      async () => latest(await sessionLogins(), b.name) === 'session_end',
    );
    expect(latest(await sessionLogins(), a.name)).toBe('session_start');
    expect((await tile()).operators).toEqual([a.name]);
    // Two operators on one computer are not a concurrent login.
    const clashes = await collector!.sql('select 1 from anomalies where project_id = $1 and rule = $2', [
      project.projectId,
      'concurrent_login',
    ]);
    expect(clashes).toEqual([]);
  }, 180_000);
});
