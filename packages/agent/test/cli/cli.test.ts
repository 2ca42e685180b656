/**
 * The seatwatch-agent command as an operator or a service manager runs it:
 * a real child process, real state folder, the protocol peer as collector.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ProtocolPeer } from '@seatwatch/testkit/agent';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { readStatusFile } from '../../src/status/agent-status.js';
import { tempStateDir } from '../support/agent-harness.js';
import { runCliToEnd, startCli } from '../support/cli-process.js';

let peer: ProtocolPeer;
const dirs: string[] = [];
const newDir = () => {
  const dir = tempStateDir('agent-cli-');
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

/** Polls state another process writes (the status file), against a deadline. */
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
  const dir = newDir();
  const run = await runCliToEnd([
    'enroll',
    '--server',
    peer.url,
    '--token',
    'good-token',
    '--seat',
    'seat-7',
    '--state-dir',
    dir,
  ]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return dir;
}

// Each test starts several Node processes through tsx (seconds each on a busy 2-core machine).
describe('seatwatch-agent CLI', { timeout: 120_000 }, () => {
  it('enrolls, keeps the key owner-only, and reports status and the notice', async () => {
    const dir = await enrolled();
    expect(fs.statSync(path.join(dir, 'agent.key')).mode & 0o777).toBe(0o600);
    const identity = JSON.parse(fs.readFileSync(path.join(dir, 'agent.json'), 'utf8'));
    expect(identity).toMatchObject({ seat: 'seat-7', serverUrl: peer.url, insecure: false, revoked: false });

    const status = await runCliToEnd(['status', '--state-dir', dir]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/Enrolled: yes/);
    expect(status.stdout).toMatch(/Running: no/);

    const notice = await runCliToEnd(['notice'], { SEATWATCH_AGENT_HOME: dir });
    expect(notice.code).toBe(0);
    expect(notice.stdout).toContain('SEATWATCH MONITORING NOTICE (version 1)');
    expect(notice.stdout).toContain('privacy@example.com');
    expect(notice.stdout).toMatch(/Screenshots of every monitor about every 5 min/);
    expect(notice.stdout).toMatch(/has not been shown/);

    const again = await runCliToEnd([
      'enroll',
      '--server',
      peer.url,
      '--token',
      'good-token',
      '--state-dir',
      dir,
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already enrolled/);
  });

  it('refuses a server URL without TLS that is not loopback, and a bad token', async () => {
    const dir = newDir();
    const plain = await runCliToEnd([
      'enroll',
      '--server',
      'http://10.20.30.40:8080',
      '--token',
      't',
      '--state-dir',
      dir,
    ]);
    // Refused before any request: a flag to fix, exit 2 as documented (it was 1, issue #12).
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/--server: refusing http:\/\/ to 10\.20\.30\.40: without TLS/);
    expect(plain.stderr).toMatch(/Usage: seatwatch-agent/);
    const notUrl = await runCliToEnd([
      'enroll',
      '--server',
      'collector.example',
      '--token',
      't',
      '--state-dir',
      dir,
    ]);
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toMatch(/--server: not a URL: collector\.example/);
    const badToken = await runCliToEnd([
      'enroll',
      '--server',
      peer.url,
      '--token',
      'wrong',
      '--state-dir',
      dir,
    ]);
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toMatch(/HTTP 401, token_invalid/);
    expect(fs.existsSync(path.join(dir, 'agent.json'))).toBe(false);
    const usage = await runCliToEnd(['enroll', '--token', 't', '--state-dir', dir]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--server/);
  });

  it('runs, shows the notice, connects, and on SIGTERM sends "stopping" before it exits', async () => {
    const dir = await enrolled();
    const hello = peer.waitFor('hello', (h) => h.info.osUser.length > 0);
    const run = startCli(['run', '--state-dir', dir, '--page-port', '0']);
    await run.waitForOutput(/SEATWATCH MONITORING NOTICE \(version 1\)/);
    await run.waitForOutput(/Local page: http:\/\/127\.0\.0\.1:\d+\//);
    const { agent } = await hello;
    const noticeAck = await peer.waitForEvent((e) => e.type === 'notice_ack' && e.noticeVersion === 1);
    expect(noticeAck).toMatchObject({ shownVia: ['page'] });

    const status = await runCliToEnd(['status', '--state-dir', dir, '--json']);
    const parsed = JSON.parse(status.stdout);
    expect(parsed).toMatchObject({ enrolled: true, running: true });
    expect(parsed.status.agentId).toBe(agent);

    const stopping = peer.waitFor('stored', (f) =>
      f.events.some((e) => e.type === 'lifecycle' && e.phase === 'stopping'),
    );
    run.child.kill('SIGTERM');
    const frame = await stopping;
    expect(frame.events.find((e) => e.type === 'lifecycle' && e.phase === 'stopping')).toMatchObject({
      reason: 'signal',
      detail: 'SIGTERM',
    });
    const end = await run.result;
    expect(end.code).toBe(0);
    const after = await runCliToEnd(['status', '--state-dir', dir]);
    expect(after.stdout).toMatch(/Running: no .*stopped: signal/);
  });

  it('refuses to start when the key is readable by others or the state is corrupt', async () => {
    const dir = await enrolled();
    const key = path.join(dir, 'agent.key');
    fs.chmodSync(key, 0o644);
    const open = await runCliToEnd(['run', '--state-dir', dir, '--page-port', '0']);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/can be read by other users \(mode 644\).*chmod 600/);

    fs.chmodSync(key, 0o600);
    fs.writeFileSync(path.join(dir, 'agent.json'), '{"version": 1, "agentId": ');
    const corrupt = await runCliToEnd(['run', '--state-dir', dir, '--page-port', '0']);
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toMatch(/corrupt: agent\.json is not valid JSON.*unenroll/);

    const notEnrolled = await runCliToEnd(['run', '--state-dir', newDir()]);
    expect(notEnrolled.code).toBe(2);
    expect(notEnrolled.stderr).toMatch(/not enrolled/);
  });

  it('unenrolls: says goodbye to the collector and removes the state', async () => {
    const dir = await enrolled();
    const goodbye = peer.waitFor('stored', (f) =>
      f.events.some((e) => e.type === 'lifecycle' && e.reason === 'unenroll'),
    );
    // Someone's own file in the folder given as --state-dir: unenroll deletes only what the agent wrote.
    fs.writeFileSync(path.join(dir, 'operator-notes.txt'), "not the agent's\n");
    const run = await runCliToEnd(['unenroll', '--state-dir', dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/everything queued was delivered first/);
    expect(run.stdout).toMatch(/the folder stays: it also holds operator-notes\.txt/);
    await goodbye;
    expect(fs.readdirSync(dir)).toEqual(['operator-notes.txt']);
    const status = await runCliToEnd(['status', '--state-dir', dir]);
    expect(status.code).toBe(2);
    expect(status.stdout).toMatch(/Not enrolled/);
  });

  it('after a restart without the collector, status says what it knows (no "never"); unenroll removes the whole folder', async () => {
    const own = await ProtocolPeer.start();
    const dir = newDir();
    const enrolledRun = await runCliToEnd([
      'enroll',
      '--server',
      own.url,
      '--token',
      'good-token',
      '--state-dir',
      dir,
    ]);
    expect(enrolledRun.code).toBe(0);
    const first = startCli(['run', '--state-dir', dir, '--page-port', '0']);
    onTestFinished(() => {
      first.child.kill('SIGKILL');
    });
    await own.waitForEvent((e) => e.type === 'notice_ack');
    const acked = await until('an acknowledgement in the status file', () => {
      const s = readStatusFile(dir);
      return s && s.outbox.ackedSeq > 0 && s.outbox.lastAckAt !== null ? s : null;
    });
    first.child.kill('SIGTERM');
    expect((await first.result).code).toBe(0);
    await own.close();

    // The collector is gone; the agent starts again.
    const second = startCli(['run', '--state-dir', dir, '--page-port', '0']);
    onTestFinished(() => {
      second.child.kill('SIGKILL');
    });
    await second.waitForOutput(/Local page: http/);
    await until('the second run in the status file', () => readStatusFile(dir)?.pid === second.child.pid);
    const status = await runCliToEnd(['status', '--state-dir', dir]);
    expect(status.code).toBe(0);
    expect(status.stdout).not.toMatch(/never/);
    const known =
      /last acknowledged seq (\d+), before the start at \S+; nothing acknowledged since \(not connected since start\)/.exec(
        status.stdout,
      );
    expect(known, status.stdout).not.toBeNull();
    expect(Number(known![1])).toBeGreaterThanOrEqual(acked.outbox.ackedSeq);
    expect(status.stdout).toMatch(/Notice: version 1, shown \d{4}-/);
    second.child.kill('SIGTERM');
    expect((await second.result).code).toBe(0);

    expect(fs.readdirSync(dir)).toContain('page-token');
    const unenroll = await runCliToEnd(['unenroll', '--state-dir', dir]);
    expect(unenroll.code).toBe(0);
    expect(unenroll.stdout).toMatch(/the agent state folder .* is removed/);
    expect(fs.existsSync(dir)).toBe(false);
  });
});
