/**
 * The seat agent's .deb under a real systemd (issue #14): a clean Debian
 * bookworm with systemd is booted in a container (systemd-nspawn --boot,
 * support/booted-debian.ts), the package is installed with dpkg and apt-get,
 * and systemd, not the test, starts, stops and restarts the machine part
 * (packages/agent/service/linux/seatwatch-agent.service) and the session part
 * (seatwatch-agent-session.service, under an account's `systemd --user`)
 * through the package's postinst, prerm and postrm:
 *  - installed before agent.conf says where to enroll: the agent exits 2
 *    and systemd leaves it failed, with no restart scheduled;
 *  - agent.conf filled in and the unit restarted: it enrolls and delivers to
 *    a collector on this machine's loopback;
 *  - the agent killed with SIGSEGV, then SIGKILL: systemd restarts it each
 *    time (after the unit's RestartSec) and it reconnects as the same seat;
 *  - the collector down, a newer .deb installed with dpkg -i: prerm's stop
 *    queues "stopping", postinst starts the new version, and once the
 *    collector is back every frame arrives once;
 *  - dpkg --remove stops and disables the running unit and keeps the seat;
 *    installed again (the documented apt-get command), it resumes as the same
 *    seat; an operator's desktop session (a target bound to
 *    graphical-session.target, as desktops have, on an Xvfb of this machine)
 *    starts the session part through the package's `--global` enable, the
 *    operator's confirmation of the notice is stored as that account's, and
 *    a killed session part is restarted by the user manager and connects to
 *    the machine part again;
 *  - apt-get purge stops the machine part and the running session part and
 *    leaves nothing;
 *  - installed again with agent.conf written first, a new enrollment that the
 *    administrator revokes: the agent exits 3 and systemd does not restart it.
 * Needs root, systemd-nspawn (systemd-container), Xvfb, debootstrap (a Debian
 * mirror the first time), PostgreSQL, a built agent.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Children, until } from '@seatwatch/testkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type Collector,
  createSeatProject,
  type SeatProject,
  startCollector,
  storedEvents,
} from '../agent-server/support/collector.js';
import { FIRST, UPGRADE } from './support/agent-packages.js';
import { type BootedDebian, bootDebian } from './support/booted-debian.js';

const STATE = '/var/lib/seatwatch-agent';
const UNIT = 'seatwatch-agent.service';
const SESSION_UNIT = 'seatwatch-agent-session.service';
/** The operator whose desktop session runs the session part (an account made in the container). */
const OPERATOR = 'alice';
const CONF = '/etc/seatwatch/agent.conf';
/** The unit's RestartSec is 10 s: a restart is waited for this long at most. */
const RESTART_WAIT = 90_000;

const children = new Children();
/** Built once per run for both packaging files (support/agent-packages.ts). */
const debs = inject('agentPackages');
let box: BootedDebian | null = null;
let collector: Collector | null = null;
let project: SeatProject | null = null;
let agentId = '';
let display = '';

/** Xvfb on a display it picks (-displayfd); its sockets in /tmp/.X11-unix are bound into the container. */
async function startXvfb(): Promise<string> {
  const xvfb = children.add(
    spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1024x768x24', '-nolisten', 'tcp', '-noreset'], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    }),
  );
  const number = await new Promise<string>((resolve, reject) => {
    let text = '';
    xvfb.stdio[3]!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.trim());
    });
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited (${code}) before giving a display`)));
    xvfb.once('error', reject);
  });
  return `:${number}`;
}

interface Row {
  seq: number;
  idx: number;
  type: string;
  osUser: string | null;
  body: Record<string, unknown>;
}

/** The agent's stored events with the account each came from. */
const rows = (id: string) =>
  collector!.sql<Row>(
    `select seq::float8 as seq, idx, type, os_user as "osUser", body from events where agent_id = $1 order by seq, idx`,
    [id],
  );

/** A desktop session's start or end, which the machine part tells for a session part. */
const isSessionRecord = (e: Row) => e.type === 'lifecycle' && e.body.detail === 'desktop session';

/** The lifecycle events of the machine part itself ("phase reason version"). */
const machineLifecycle = async (id: string) =>
  (await rows(id))
    .filter((e) => e.type === 'lifecycle' && !isSessionRecord(e))
    .map((e) => `${e.body.phase} ${e.body.reason} ${e.body.agentVersion}`);

interface StatusReport {
  running: boolean;
  status: {
    connection: { state: string };
    outbox: { depth: number; lastSeq: number; ackedSeq: number };
  };
}

async function status(): Promise<StatusReport> {
  const { stdout } = await box!.exec(['seatwatch-agent', 'status', '--json', '--state-dir', STATE]);
  return JSON.parse(stdout) as StatusReport;
}

const unit = () => box!.show(UNIT);

/** docs/agent.md, "For a software-distribution tool": the command that keeps the agent.conf a tool wrote. */
async function installKeepingConf(deb: string): Promise<void> {
  await box!.exec(
    [
      'apt-get',
      'install',
      '-y',
      '-o',
      'Dpkg::Options::=--force-confdef',
      '-o',
      'Dpkg::Options::=--force-confold',
      `/root/${path.basename(deb)}`,
    ],
    { DEBIAN_FRONTEND: 'noninteractive' },
  );
}

/** The unit's journal, for failure messages. */
async function journal(): Promise<string> {
  return (await box!.try(['journalctl', '--no-pager', '-o', 'short-monotonic', '-u', UNIT])).stdout;
}

/** The session part's journal (its user manager's messages about it, and its own output). */
async function sessionJournal(): Promise<string> {
  // Not --user-unit, which as root matches only root's own user manager.
  const fields = [`_SYSTEMD_USER_UNIT=${SESSION_UNIT}`, '+', `USER_UNIT=${SESSION_UNIT}`];
  return (await box!.try(['journalctl', '--no-pager', '-o', 'short-monotonic', ...fields])).stdout;
}

/** `waiting`, with what the collector stored of the sessions and the session part's journal if it fails. */
async function explained<T>(waiting: Promise<T>): Promise<T> {
  try {
    return await waiting;
  } catch (error) {
    const records = JSON.stringify(
      (await rows(agentId))
        .filter((e) => e.osUser === OPERATOR)
        .map((e) => `${e.type} ${e.body.phase ?? ''}`),
    );
    const machine = (await journal()).split('\n').slice(-30).join('\n');
    throw new Error(
      `${(error as Error).message}\nthe operator's events: ${records}\n${await sessionJournal()}\n${machine}`,
    );
  }
}

/** The unit running a main process other than `previous`; its properties. */
async function running(what: string, previous = '0'): Promise<Record<string, string>> {
  try {
    return await until(
      what,
      async () => {
        const now = await unit();
        return now.ActiveState === 'active' &&
          now.SubState === 'running' &&
          now.MainPID !== '0' &&
          now.MainPID !== previous
          ? now
          : null;
      },
      RESTART_WAIT,
      200,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${await journal()}`);
  }
}

/** The unit after its main process ended for good (no restart pending): its properties. */
async function failed(what: string): Promise<Record<string, string>> {
  try {
    return await until(what, async () => {
      const now = await unit();
      return now.ActiveState === 'failed' ? now : null;
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${await journal()}`);
  }
}

const agents = async () =>
  collector!.server.adminOk<{ id: string; agentVersion: string; connected: boolean }[]>(
    'GET',
    `/projects/${project!.projectId}/agents`,
  );

const connectedAs = (version: string) =>
  until(`the agent ${version} to be connected`, async () =>
    (await agents()).some((a) => a.id === agentId && a.connected && a.agentVersion === version),
  );

const enrolledId = () =>
  (JSON.parse(fs.readFileSync(box!.path(`${STATE}/agent.json`), 'utf8')) as { agentId: string }).agentId;

/** Kills the unit's main process (the agent's node itself, not a wrapper) with `signal`; systemd must restart it. */
async function crashAndRestart(signal: 'SEGV' | 'KILL'): Promise<void> {
  const before = await unit();
  expect((await box!.exec(['cat', `/proc/${before.MainPID}/comm`])).stdout.trim()).toBe('node');
  // The shell's kill: minbase has no /bin/kill (procps).
  await box!.exec(['sh', '-c', `kill -${signal} ${before.MainPID}`]);
  // systemd decides at once: a restart is pending (auto-restart), counted, because of the signal.
  const pending = await until(`systemd to schedule a restart after SIG${signal}`, async () => {
    const now = await unit();
    return now.SubState === 'auto-restart' ? now : null;
  });
  expect(['signal', 'core-dump']).toContain(pending.Result);
  const after = await running(`systemd to restart the agent after SIG${signal}`, before.MainPID);
  expect(Number(after.NRestarts)).toBe(Number(before.NRestarts) + 1);
}

beforeAll(async () => {
  display = await startXvfb();
  const [booted, started] = await Promise.all([
    bootDebian(children, {
      bindReadOnly: ['/tmp/.X11-unix'],
      log: (line) => process.stderr.write(`${line}\n`),
    }),
    startCollector(),
  ]);
  box = booted;
  collector = started;
  // Into /root, not /tmp: the booted system has a tmpfs of its own over /tmp.
  for (const deb of [debs.first, debs.upgrade]) fs.copyFileSync(deb, box.path(`/root/${path.basename(deb)}`));
}, 900_000);

afterAll(async () => {
  await box?.remove();
  await children.stopAll();
  await collector?.close();
}, 120_000);

describe('the .deb under a real systemd (booted Debian container)', () => {
  it('installs enabled; not enrolled, the agent exits 2 and systemd does not restart it', async () => {
    await box!.exec(['dpkg', '-i', `/root/${path.basename(debs.first)}`]);
    expect((await box!.try(['systemctl', 'is-enabled', UNIT])).stdout.trim()).toBe('enabled');
    expect(
      (
        await box!.try(['systemctl', '--global', 'is-enabled', 'seatwatch-agent-session.service'])
      ).stdout.trim(),
    ).toBe('enabled');
    // postinst started it; agent.conf is still the package's template (no server, no token).
    const ended = await failed('the not-enrolled agent to end');
    expect(ended.Result).toBe('exit-code');
    expect(ended.ExecMainStatus).toBe('2');
    // "failed", not "activating (auto-restart)": systemd scheduled no restart.
    expect(ended.SubState).toBe('failed');
    expect(ended.NRestarts).toBe('0');
    expect(await journal()).toMatch(/not enrolled/);
  }, 120_000);

  it('enrolls from agent.conf once restarted, and delivers', async () => {
    project = await createSeatProject(collector!, {
      noticeText: 'This seat is monitored (systemd test of the Debian package). Questions: it@example.com',
      policy: {},
    });
    fs.appendFileSync(
      box!.path(CONF),
      `server = ${collector!.url}\ntoken = ${project.token}\nseat = systemd-seat\nsessionUsers =\n`,
    );
    await box!.exec(['systemctl', 'restart', UNIT]);
    await running('the enrolled agent to run');
    agentId = await until(
      'the machine to enroll',
      () => fs.existsSync(box!.path(`${STATE}/agent.json`)) && enrolledId(),
    );
    await connectedAs(FIRST);
    await until('its first frames to be acknowledged', async () => {
      const now = await status();
      return now.status.outbox.ackedSeq >= 1 && now.status.outbox.depth === 0;
    });
  }, 120_000);

  it('is restarted by systemd after SIGSEGV and after SIGKILL, as the same seat', async () => {
    await crashAndRestart('SEGV');
    await connectedAs(FIRST);
    await crashAndRestart('KILL');
    await connectedAs(FIRST);
    expect(enrolledId()).toBe(agentId);
  }, 240_000);

  it('is restarted by dpkg -i of a newer version while the collector is down, and loses nothing', async () => {
    const seat = collector!;
    await until(
      'everything so far to be acknowledged',
      async () => (await status()).status.outbox.depth === 0,
    );
    await seat.stop();
    const before = await unit();
    const upgraded = await box!.exec(['dpkg', '-i', `/root/${path.basename(debs.upgrade)}`]);
    expect(upgraded.stdout).toContain(`over (${FIRST})`);
    const after = await running('postinst to start the new version', before.MainPID);
    expect((await box!.exec(['seatwatch-agent', '--version'])).stdout.trim()).toBe(UPGRADE);
    // A clean stop and start, not a crash restart.
    expect(after.NRestarts).toBe('0');
    const queued = await until('the new version to queue while the collector is down', async () => {
      const now = await status();
      return now.running && now.status.outbox.depth >= 2 ? now : null;
    });
    expect(queued.status.connection.state).not.toBe('connected');

    await seat.restart();
    await connectedAs(UPGRADE);
    const delivered = await until('the queue to drain', async () => {
      const now = await status();
      return now.status.outbox.depth === 0 && now.status.outbox.ackedSeq === now.status.outbox.lastSeq
        ? now
        : null;
    });
    const events = await storedEvents(seat, agentId);
    const keys = events.map((e) => `${e.seq}/${e.idx}`);
    expect(new Set(keys).size, 'no (seq, idx) stored twice').toBe(keys.length);
    const seqs = [...new Set(events.map((e) => e.seq))];
    expect(seqs).toEqual(Array.from({ length: delivered.status.outbox.lastSeq }, (_, i) => i + 1));
    // Three starts of the first version (enrolled, after SIGSEGV, after SIGKILL: a killed agent says
    // nothing), its clean stop by prerm, then the new version.
    expect(await machineLifecycle(agentId)).toEqual([
      `starting start ${FIRST}`,
      `starting start ${FIRST}`,
      `starting start ${FIRST}`,
      `stopping service_stop ${FIRST}`,
      `starting start ${UPGRADE}`,
    ]);
  }, 240_000);

  it('dpkg --remove stops and disables the running unit, and keeps the seat and its configuration', async () => {
    const before = await unit();
    expect(before.ActiveState).toBe('active');
    await box!.exec(['dpkg', '--remove', 'seatwatch-agent']);
    const gone = await unit();
    expect(gone.LoadState).toBe('not-found');
    expect(gone.ActiveState).toBe('inactive');
    expect((await box!.try(['test', '-e', `/proc/${before.MainPID}`])).code).toBe(1);
    expect(
      fs.existsSync(box!.path('/etc/systemd/system/multi-user.target.wants/seatwatch-agent.service')),
    ).toBe(false);
    expect(fs.existsSync(box!.path(`${STATE}/agent.key`))).toBe(true);
    expect(fs.existsSync(box!.path(CONF))).toBe(true);
    // prerm's stop was clean: "stopping" reached the collector, which is up.
    await until('the stop to be stored', async () =>
      (await machineLifecycle(agentId)).at(-1) === `stopping service_stop ${UPGRADE}` ? true : null,
    );
  }, 120_000);

  it("installed again, resumes as the same seat; an operator's desktop session runs the session part, restarted when killed", async () => {
    // The administrator names the seat's operator accounts (logind would list only logged-in ones).
    const conf = box!.path(CONF);
    fs.writeFileSync(
      conf,
      fs.readFileSync(conf, 'utf8').replace(/^sessionUsers =.*$/m, `sessionUsers = ${OPERATOR}`),
    );
    await box!.exec(['useradd', '--create-home', '--shell', '/bin/sh', OPERATOR]);
    await installKeepingConf(debs.upgrade);
    expect(fs.readFileSync(conf, 'utf8')).toContain(`sessionUsers = ${OPERATOR}`);
    await running('the reinstalled agent to run');
    expect(enrolledId()).toBe(agentId);
    await connectedAs(UPGRADE);

    // A desktop session as GNOME or KDE start one: their session target binds graphical-session.target,
    // which pulls in what `systemctl --global enable` linked to it. The user manager is the account's
    // own systemd --user (lingering: no display manager here), given the X display as desktops give it.
    fs.writeFileSync(
      box!.path('/etc/systemd/user/test-desktop-session.target'),
      '[Unit]\nDescription=A desktop session (test)\nBindsTo=graphical-session.target\nBefore=graphical-session.target\n',
    );
    await box!.exec(['loginctl', 'enable-linger', OPERATOR]);
    const manager = await until("the operator's user manager to run", async () => {
      const now = await box!.try(['systemctl', '--user', `--machine=${OPERATOR}@`, 'is-system-running']);
      return ['running', 'degraded'].includes(now.stdout.trim()) ? now.stdout.trim() : null;
    });
    expect(manager).toBe('running');
    const user = ['systemctl', '--user', `--machine=${OPERATOR}@`];
    await box!.exec([...user, 'set-environment', `DISPLAY=${display}`]);
    await box!.exec([...user, 'start', 'test-desktop-session.target']);
    const sessionUnit = () => box!.show(SESSION_UNIT, OPERATOR);
    const first = await until('the session part to run under the user manager', async () => {
      const now = await sessionUnit();
      return now.ActiveState === 'active' && now.SubState === 'running' ? now : null;
    });
    // Nothing of the session is kept before the operator confirms the notice, which the session part
    // shows with its local page (on this machine's loopback too: the container shares its network).
    const page = await explained(
      until('the session part to show the notice and its page', async () => {
        const pages = [...(await sessionJournal()).matchAll(/(http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/)/g)];
        return pages.at(-1)?.[1];
      }),
    );
    const confirmed = await fetch(`${page}confirm-notice`, { method: 'POST', redirect: 'manual' });
    expect(confirmed.status).toBe(303);
    // Its session reaches the collector as the operator's, through the machine part's one identity.
    await explained(
      until("the operator's confirmation to be stored as theirs", async () =>
        (await rows(agentId)).some((e) => e.type === 'notice_ack' && e.osUser === OPERATOR) ? true : null,
      ),
    );
    const connections = async () =>
      (await journal()).split('\n').filter((line) => line.includes('"message":"session part connected"'))
        .length;
    const connectedBefore = await connections();
    // The unit's main process is the session part itself (the launcher and the wrapper exec it).
    const node = first.MainPID!;
    expect((await box!.exec(['cat', `/proc/${node}/comm`])).stdout.trim()).toBe('node');
    expect((await box!.exec(['stat', '-c', '%U', `/proc/${node}`])).stdout.trim()).toBe(OPERATOR);
    await box!.exec(['sh', '-c', `kill -KILL ${node}`]);
    const restarted = await until(
      'the user manager to restart the session part',
      async () => {
        const now = await sessionUnit();
        return now.ActiveState === 'active' && now.SubState === 'running' && now.MainPID !== first.MainPID
          ? now
          : null;
      },
      RESTART_WAIT,
      200,
    );
    expect(Number(restarted.NRestarts)).toBe(Number(first.NRestarts) + 1);
    // The restarted session part reaches the machine part again (the machine part's own log says so).
    await explained(
      until('the restarted session part to connect to the machine part', async () =>
        (await connections()) > connectedBefore ? true : null,
      ),
    );
  }, 240_000);

  it('apt-get purge stops the machine part and the session part, disables both and leaves nothing', async () => {
    const before = await unit();
    expect(before.ActiveState).toBe('active');
    expect((await box!.show(SESSION_UNIT, OPERATOR)).ActiveState).toBe('active');
    const seen = (await sessionJournal()).trimEnd().split('\n').length;
    await box!.exec(['apt-get', 'purge', '-y', 'seatwatch-agent'], { DEBIAN_FRONTEND: 'noninteractive' });
    const gone = await unit();
    expect(gone.LoadState).toBe('not-found');
    expect(gone.ActiveState).toBe('inactive');
    expect((await box!.show(SESSION_UNIT, OPERATOR)).ActiveState).toBe('inactive');
    // Stopped by its stop signal, not killed after it: SIGTERM reached the session part itself.
    const sessionLog = (await sessionJournal()).trimEnd().split('\n').slice(seen).join('\n');
    expect(sessionLog).toMatch(/Stopped seatwatch-agent-session\.service/);
    // (KillMode=mixed: what the session part leaves behind, a helper such as xprop, may get SIGKILL.)
    expect(sessionLog).not.toMatch(/Killing process \d+ \(node\) with signal SIGKILL/);
    expect(sessionLog).not.toMatch(/seatwatch-agent-session\.service: Failed/);
    // The processes are gone too, not merely forgotten by systemd (minbase has no ps: /proc itself).
    expect((await box!.try(['test', '-e', `/proc/${before.MainPID}`])).code).toBe(1);
    const commands = await box!.exec(['sh', '-c', 'cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" " "']);
    expect(commands.stdout).toContain('systemd');
    expect(commands.stdout).not.toContain('seatwatch-agent');
    for (const left of [
      '/etc/systemd/system/multi-user.target.wants/seatwatch-agent.service',
      '/etc/systemd/user/graphical-session.target.wants/seatwatch-agent-session.service',
      '/usr/lib/systemd/system/seatwatch-agent.service',
      '/usr/lib/systemd/user/seatwatch-agent-session.service',
      STATE,
      '/etc/seatwatch',
      '/opt/seatwatch-agent',
    ])
      expect(fs.existsSync(box!.path(left)), left).toBe(false);
    // The stop was clean: the machine part said "stopping", and the collector has it.
    await until('the stop to be stored', async () =>
      (await machineLifecycle(agentId)).at(-1) === `stopping service_stop ${UPGRADE}` ? true : null,
    );
  }, 120_000);

  it('installed with agent.conf written first, enrolls; revoked, it exits 3 and systemd does not restart it', async () => {
    const second = await createSeatProject(collector!, {
      noticeText: 'This seat is monitored (systemd test, second enrollment).',
      policy: {},
    });
    fs.mkdirSync(box!.path('/etc/seatwatch'), { mode: 0o755 });
    fs.writeFileSync(
      box!.path(CONF),
      `server = ${collector!.url}\ntoken = ${second.token}\nseat = systemd-seat-2\nsessionUsers =\n`,
      { mode: 0o600 },
    );
    await installKeepingConf(debs.upgrade);
    await running('the newly installed agent to run');
    project = second;
    agentId = await until(
      'the machine to enroll again',
      () => fs.existsSync(box!.path(`${STATE}/agent.json`)) && enrolledId(),
    );
    await connectedAs(UPGRADE);

    await collector!.server.adminOk('POST', `/projects/${second.projectId}/agents/${agentId}/revoke`);
    const ended = await failed('the revoked agent to end');
    expect(ended.Result).toBe('exit-code');
    expect(ended.ExecMainStatus).toBe('3');
    expect(ended.SubState).toBe('failed');
    expect(ended.NRestarts).toBe('0');
  }, 180_000);
});
