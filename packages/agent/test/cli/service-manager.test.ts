/**
 * `run --service-manager launchd|task-scheduler`: those managers restart on
 * any non-zero exit, so the real agent (a child process) ends with 0 instead
 * of 2 or 3 and says why; under systemd, or without the flag, the codes stay.
 */
import fs from 'node:fs';
import { ProtocolPeer } from '@seatwatch/testkit/agent';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { tempStateDir } from '../support/agent-harness.js';
import { runCliToEnd, startCli } from '../support/cli-process.js';

let peer: ProtocolPeer;
const dirs: string[] = [];
const newDir = () => {
  const dir = tempStateDir('agent-service-manager-');
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  peer = await ProtocolPeer.start();
});
afterAll(async () => {
  await peer.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

// Each test starts Node processes through tsx (seconds each on a busy 2-core machine).
describe('seatwatch-agent run under a service manager', { timeout: 120_000 }, () => {
  it('not enrolled: exit 0 under launchd and task-scheduler, 2 under systemd and for a manager it does not know', async () => {
    const launchd = await runCliToEnd(['run', '--state-dir', newDir(), '--service-manager', 'launchd']);
    expect(launchd.code).toBe(0);
    expect(launchd.stderr).toMatch(/not enrolled/);
    expect(launchd.stderr).toMatch(/exits 0 instead of 2 \(.*\) so that launchd does not restart it/);

    const task = await runCliToEnd(['run', '--state-dir', newDir(), '--service-manager=task-scheduler']);
    expect(task.code).toBe(0);
    expect(task.stderr).toMatch(/so that task-scheduler does not restart it/);

    const systemd = await runCliToEnd(['run', '--state-dir', newDir(), '--service-manager', 'systemd']);
    expect(systemd.code).toBe(2);
    expect(systemd.stderr).toMatch(/not enrolled/);
    expect(systemd.stderr).not.toMatch(/instead of/);

    const unknown = await runCliToEnd(['run', '--state-dir', newDir(), '--service-manager', 'upstart']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--service-manager must be systemd, launchd or task-scheduler/);
  });

  it('revoked while running under launchd: stops and exits 0 instead of 3', async () => {
    const dir = newDir();
    const enroll = await runCliToEnd([
      'enroll',
      '--server',
      peer.url,
      '--token',
      'good-token',
      '--state-dir',
      dir,
    ]);
    expect(enroll.code).toBe(0);
    const run = startCli(['run', '--state-dir', dir, '--page-port', '0', '--service-manager', 'launchd']);
    onTestFinished(() => {
      run.child.kill('SIGKILL');
    });
    await peer.waitForEvent((e) => e.type === 'notice_ack');
    peer.sendCommand('revoke');
    const end = await run.result;
    expect(end.stderr).toMatch(/this agent was revoked by an administrator/);
    expect(end.stderr).toMatch(/exits 0 instead of 3 \(revoked\) so that launchd does not restart it/);
    expect(end.code).toBe(0);
  });
});
