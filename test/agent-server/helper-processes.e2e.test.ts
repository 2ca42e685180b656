/**
 * Helper processes never outlive the agent (issue #12): the agent CLI on an
 * X11 desktop (Xvfb + openbox + xterm) runs `xprop -spy` helpers for the
 * foreground window; killed with SIGKILL (no handler runs, as outside a
 * service manager), its helpers are gone within seconds, because each runs
 * under a wrapper that ends it when the agent's end of its stdin pipe closes.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Children, until } from '@seatwatch/testkit';
import {
  type AgentProcess,
  enrollWithLibrary,
  ProtocolPeer,
  startAgentProcess,
} from '@seatwatch/testkit/agent';
import { type SeatDesktop, startSeatDesktop } from '@seatwatch/testkit/desktop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const children = new Children();
let desktop: SeatDesktop;
let peer: ProtocolPeer;
let stateDir = '';

interface Proc {
  pid: number;
  ppid: number;
  state: string;
  comm: string;
}

function processes(): Proc[] {
  const list: Proc[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const close = stat.lastIndexOf(')');
      const [state, ppid] = stat.slice(close + 2).split(' ');
      list.push({
        pid: Number(name),
        ppid: Number(ppid),
        state: state!,
        comm: stat.slice(stat.indexOf('(') + 1, close),
      });
    } catch {
      // Ended while we looked.
    }
  }
  return list;
}

function descendants(root: number): Proc[] {
  const all = processes();
  const found: Proc[] = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const next = all.filter((p) => frontier.includes(p.ppid));
    found.push(...next);
    frontier = next.map((p) => p.pid);
  }
  return found;
}

/** Alive: present and not a zombie waiting for its parent to reap it. */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-e2e-helpers-'));
  desktop = await startSeatDesktop(children);
  await desktop.openWindow(`SEATWATCH_E2E_HELPERS_${process.pid}`);
  peer = await ProtocolPeer.start();
  await enrollWithLibrary({ server: peer.url, token: 'good-token', seat: 'desk-e2e-helpers', stateDir });
}, 120_000);

afterAll(async () => {
  await children.stopAll();
  await peer?.close();
  if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
}, 60_000);

describe('helper processes (CLI, Xvfb)', () => {
  it('die with the agent when it is killed with SIGKILL', async () => {
    const agent: AgentProcess = startAgentProcess(
      children,
      ['run', '--state-dir', stateDir, '--page-port', '0'],
      desktop.env,
    );
    await agent.waitForStdout(/Seatwatch agent \S+ running\./);
    const pid = agent.child.pid!;
    const helpers = await until('the agent to run its xprop helpers', () => {
      const found = descendants(pid);
      return found.filter((p) => p.comm === 'xprop').length >= 2 && found;
    });
    expect(helpers.length).toBeGreaterThan(0);

    agent.child.kill('SIGKILL');
    expect(await agent.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await until(
      'every helper (and its wrapper) to end after the agent was killed',
      () => helpers.every((p) => !alive(p.pid)),
      5000,
      50,
    );
  }, 120_000);

  it('a run ends the helpers a killed one left behind when their wrappers were killed too', async () => {
    const record = path.join(stateDir, 'helpers.json');
    const first = startAgentProcess(
      children,
      ['run', '--state-dir', stateDir, '--page-port', '0'],
      desktop.env,
    );
    await first.waitForStdout(/Seatwatch agent \S+ running\./);
    const pid = first.child.pid!;
    const running = await until('the xprop helpers and their wrappers, recorded in helpers.json', () => {
      const found = descendants(pid);
      const xprops = found.filter((p) => p.comm === 'xprop');
      if (xprops.length < 2 || !fs.existsSync(record)) return null;
      const recorded = (JSON.parse(fs.readFileSync(record, 'utf8')) as { helpers: { pid: number }[] })
        .helpers;
      const pids = new Set(recorded.map((h) => h.pid));
      return (
        xprops.every((p) => pids.has(p.pid)) && { xprops, wrappers: found.filter((p) => p.comm === 'sh') }
      );
    });
    expect(running.wrappers.length).toBeGreaterThan(0);

    // Everything of the agent killed at once, wrappers included (stopped first, so none can end its helper).
    for (const wrapper of running.wrappers) process.kill(wrapper.pid, 'SIGSTOP');
    first.child.kill('SIGKILL');
    await first.exited;
    for (const wrapper of running.wrappers) process.kill(wrapper.pid, 'SIGKILL');
    await until('the wrappers gone', () => running.wrappers.every((w) => !alive(w.pid)), 5000, 50);
    // The leftover: xprop helpers run on without anyone to end them (one may have been replaced
    // before the kill, when the focused window's spy followed a focus change).
    const leftover = running.xprops.filter((p) => alive(p.pid));
    expect(leftover.length).toBeGreaterThan(0);
    // Those may still end on their own before the next run looks: when X has something for one to
    // print, it writes into the dead agent's pipe and dies of SIGPIPE. So one more leftover, recorded
    // as a killed run records its helpers, whose output goes nowhere and which therefore never ends
    // by itself: the next run must end it.
    const quietArgv = ['xprop', '-spy', '-root', '_NET_ACTIVE_WINDOW'];
    const quiet = children.add(
      spawn(quietArgv[0]!, quietArgv.slice(1), { env: desktop.env, stdio: 'ignore' }),
    );
    await until(
      'the quiet leftover to run as recorded',
      () =>
        fs.existsSync(`/proc/${quiet.pid}/cmdline`) &&
        fs.readFileSync(`/proc/${quiet.pid}/cmdline`, 'utf8') === `${quietArgv.join('\0')}\0`,
      5000,
      20,
    );
    const recorded = JSON.parse(fs.readFileSync(record, 'utf8')) as {
      helpers: { pid: number; argv: string[] }[];
    };
    // What the killed run recorded (a spy that followed a focus change after the look above included).
    const recordedPids = recorded.helpers.map((h) => h.pid);
    recorded.helpers.push({ pid: quiet.pid!, argv: quietArgv });
    fs.writeFileSync(record, `${JSON.stringify(recorded)}\n`);

    const second = startAgentProcess(
      children,
      ['run', '--state-dir', stateDir, '--page-port', '0'],
      desktop.env,
    );
    await second.waitForStdout(/Seatwatch agent \S+ running\./);
    await until(
      'the leftover helpers ended by the new run',
      () => [...leftover, { pid: quiet.pid! }].every((p) => !alive(p.pid)),
      10_000,
      50,
    );
    const ended = second
      .logs()
      .filter((l) => l.message === 'ended a helper process left by a previous run')
      .map((l) => l.pid);
    expect(ended).toContain(quiet.pid);
    // Whatever else it ended was a helper the killed run recorded (never another process).
    expect([...recordedPids, quiet.pid]).toEqual(expect.arrayContaining(ended));
    // Its own helpers run; a clean stop leaves no record behind.
    await until(
      "the new run's own xprop helpers",
      () => descendants(second.child.pid!).filter((p) => p.comm === 'xprop').length >= 2,
    );
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    expect(fs.existsSync(record)).toBe(false);
  }, 180_000);
});
