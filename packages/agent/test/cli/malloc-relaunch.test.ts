/**
 * `run` started without the systemd unit's malloc settings (a terminal, an
 * autostart entry) starts itself again with them, once (issue #12): the
 * real CLI as a child process against the protocol peer. On Node 20 (no
 * process.execve) the first process stays as a launcher: stdio shared,
 * signals forwarded, exit code passed on, and the agent stops if the
 * launcher is killed outright.
 */
import fs from 'node:fs';
import { ProtocolPeer } from '@seatwatch/testkit/agent';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { readStatusFile } from '../../src/status/agent-status.js';
import { tempStateDir } from '../support/agent-harness.js';
import { runCliToEnd, startCli } from '../support/cli-process.js';

let peer: ProtocolPeer;
const dirs: string[] = [];
const hasExecve = typeof (process as unknown as { execve?: unknown }).execve === 'function';

beforeAll(async () => {
  peer = await ProtocolPeer.start();
});
afterAll(async () => {
  await peer.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function until<T>(
  what: string,
  check: () => T | null | false | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function enrolled(): Promise<string> {
  const dir = tempStateDir('agent-relaunch-');
  dirs.push(dir);
  const run = await runCliToEnd([
    'enroll',
    '--server',
    peer.url,
    '--token',
    'good-token',
    '--state-dir',
    dir,
  ]);
  expect(run.code).toBe(0);
  return dir;
}

const environ = (pid: number) => fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
const parentOf = (pid: number) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
};

describe('run relaunches itself with the malloc settings of the systemd unit', () => {
  it('from a plain environment: the agent runs with them; SIGTERM reaches it and its exit code comes back', async () => {
    const dir = await enrolled();
    const run = startCli(['run', '--state-dir', dir, '--page-port', '0'], {}, { unitMalloc: false });
    onTestFinished(() => {
      run.child.kill('SIGKILL');
    });
    await run.waitForOutput(/Local page: http/);
    const status = await until('the status file of this run', () => {
      const s = readStatusFile(dir);
      return s && s.stopped === null && s;
    });
    const env = environ(status.pid);
    expect(env).toContain('MALLOC_ARENA_MAX=2');
    expect(env).toContain('MALLOC_MMAP_THRESHOLD_=65536');
    if (hasExecve) {
      expect(status.pid).toBe(run.child.pid);
    } else {
      // Node 20: a child under the launcher, which holds nothing but the wait.
      expect(status.pid).not.toBe(run.child.pid);
      expect(parentOf(status.pid)).toBe(run.child.pid);
      expect(environ(run.child.pid!)).not.toContain('MALLOC_ARENA_MAX=2');
    }
    const stopping = peer.waitForEvent((e) => e.type === 'lifecycle' && e.phase === 'stopping');
    run.child.kill('SIGTERM');
    expect(await stopping).toMatchObject({ reason: 'signal', detail: 'SIGTERM' });
    expect((await run.result).code).toBe(0);
    expect(readStatusFile(dir)?.stopped?.reason).toBe('signal');
  }, 120_000);

  it('exit codes pass through the relaunch (2: not enrolled)', async () => {
    const dir = tempStateDir('agent-relaunch-');
    dirs.push(dir);
    const run = startCli(['run', '--state-dir', dir], {}, { unitMalloc: false });
    const end = await run.result;
    expect(end.code).toBe(2);
    expect(end.stderr).toMatch(/not enrolled/);
  }, 120_000);

  it('the launcher killed outright: the agent stops by itself (with execve there is no launcher)', async () => {
    const dir = await enrolled();
    const run = startCli(['run', '--state-dir', dir, '--page-port', '0'], {}, { unitMalloc: false });
    onTestFinished(() => {
      run.child.kill('SIGKILL');
    });
    await run.waitForOutput(/Local page: http/);
    const agentPid = (await until('the status file', () => readStatusFile(dir)))!.pid;
    if (hasExecve) {
      expect(agentPid).toBe(run.child.pid);
      return;
    }
    const stopping = peer.waitForEvent(
      (e) => e.type === 'lifecycle' && e.phase === 'stopping' && e.detail === 'the launching process ended',
    );
    run.child.kill('SIGKILL');
    await stopping;
    await until('the agent process gone', () => !fs.existsSync(`/proc/${agentPid}`));
  }, 120_000);

  it('with the settings already there (the unit, or a second start): no relaunch', async () => {
    const dir = await enrolled();
    const run = startCli(['run', '--state-dir', dir, '--page-port', '0']);
    onTestFinished(() => {
      run.child.kill('SIGKILL');
    });
    await run.waitForOutput(/Local page: http/);
    const status = await until('the status file', () => readStatusFile(dir));
    expect(status.pid).toBe(run.child.pid);
    run.child.kill('SIGTERM');
    expect((await run.result).code).toBe(0);
  }, 120_000);
});
