/**
 * `seatwatch-agent service`, `session` and `enroll --machine` as real child
 * processes (issue #14): what they refuse, and a session part started before
 * its machine service waits for it instead of ending.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_POLICY } from '@seatwatch/shared';
import { until } from '@seatwatch/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/local-channel/channel-frames.js';
import { startCli } from '../support/cli-process.js';

const folders: string[] = [];
const servers: net.Server[] = [];
const connections: net.Socket[] = [];
const temp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'machine-cli-'));
  folders.push(dir);
  return dir;
};

afterEach(async () => {
  for (const connection of connections.splice(0)) connection.destroy();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  for (const dir of folders.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the machine mode commands', () => {
  it('service refuses to start unenrolled without server and token, saying where to put them', async () => {
    const dir = temp();
    const config = path.join(dir, 'agent.conf');
    fs.writeFileSync(
      config,
      `stateDir = ${path.join(dir, 'state')}\nsocketDir = ${path.join(dir, 'sockets')}\n`,
    );
    const run = await startCli(['service', '--config', config]).result;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'this machine is not enrolled: put "server" and "token" in the configuration file',
    );
  });

  it('service names every problem of its configuration file with its line', async () => {
    const dir = temp();
    const config = path.join(dir, 'agent.conf');
    fs.writeFileSync(config, 'server = http://127.0.0.1:1\nsocketdir = /tmp/x\n');
    const run = await startCli(['service', '--config', config]).result;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${config}:2: unknown setting "socketdir"`);
  });

  it('enroll --machine takes no token on the command line', async () => {
    const dir = temp();
    const run = await startCli([
      'enroll',
      '--machine',
      '--server',
      'http://127.0.0.1:1',
      '--token',
      'secret-on-the-command-line',
      '--state-dir',
      dir,
    ]).result;
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Unknown option '--token'/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('session, started before its machine service, waits for it and then runs', async () => {
    const dir = temp();
    const socket = path.join(dir, 'agent.sock');
    const cli = startCli([
      'session',
      '--socket',
      socket,
      '--state-dir',
      path.join(dir, 'home'),
      '--page-port',
      '0',
    ]);
    let stderr = '';
    cli.child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await until('a first attempt to fail', () => stderr.includes('the machine service is not reachable'));
    // A stand-in for the service: it welcomes the session part with the policy and notice in force.
    const server = net.createServer((connection) => {
      connections.push(connection);
      connection.write(
        encodeFrame({
          t: 'welcome',
          agentId: 'agent-1',
          seat: null,
          server: 'http://127.0.0.1:1',
          account: 'operator1',
          policy: DEFAULT_POLICY,
          notice: { version: 1, text: 'This computer is monitored. Questions: privacy@example.com' },
          acknowledged: false,
        }),
      );
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    await cli.waitForOutput(/Local page: http:\/\/127\.0\.0\.1:\d+\//);
    cli.child.kill('SIGTERM');
    const run = await cli.result;
    expect(run.code, run.stderr).toBe(0);
  });
});
