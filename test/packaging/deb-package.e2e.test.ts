/**
 * The seat agent's Debian package, built by `pnpm package` (packaging/package.ts)
 * twice, the second time with a bumped version (once per run for both packaging
 * files: support/agent-packages.ts), then:
 *  - inspected with dpkg-deb (control, conffiles, maintainer scripts, layout,
 *    the Node runtime inside runs);
 *  - installed into a clean Debian bookworm (debootstrap, chroot), where the
 *    packaged machine part (`seatwatch-agent service`, as the systemd unit runs
 *    it) enrolls from agent.conf with a real collector on this machine's loopback
 *    and delivers; the collector goes down, the package is upgraded meanwhile,
 *    the collector comes back and every frame arrives exactly once, the last
 *    ones from the new version;
 *  - removed (state and configuration stay) and purged (both go).
 * The Linux tarball of the same build is installed by its install.sh into a
 * second clean root, installed again, uninstalled and purged.
 * No systemd runs in the chroot: where the unit would stop and start the agent
 * (prerm, postinst), the test does it with the same command and environment
 * the unit gives (seatwatch-agent.service). The units are checked by parsing in
 * packages/agent/test/service, and run by a real systemd in deb-systemd.e2e.test.ts. Needs root, dpkg-deb, debootstrap (and a Debian
 * mirror the first time), PostgreSQL.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Children, hasExited, until } from '@seatwatch/testkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type Collector,
  createSeatProject,
  startCollector,
  storedEvents,
} from '../agent-server/support/collector.js';
import { FIRST, UPGRADE } from './support/agent-packages.js';
import { createDebianRoot, type DebianRoot } from './support/debian-root.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const STATE = '/var/lib/seatwatch-agent';
/** What the systemd unit sets for `seatwatch-agent service` (packages/agent/service/linux/seatwatch-agent.service). */
const UNIT_ENV = { SEATWATCH_SERVICE: '1', MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536' };

const children = new Children();
let out = '';
/** Built once per run for both packaging files (support/agent-packages.ts). */
const debs = inject('agentPackages');
const { tarball } = debs;
let root: DebianRoot | null = null;
let collector: Collector | null = null;

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

interface StatusReport {
  running: boolean;
  status: {
    connection: { state: string };
    outbox: { depth: number; lastSeq: number; ackedSeq: number };
  };
}

async function status(): Promise<StatusReport> {
  const { stdout } = await root!.exec(['seatwatch-agent', 'status', '--json', '--state-dir', STATE]);
  return JSON.parse(stdout) as StatusReport;
}

/** The packaged machine part in the chroot, as the unit runs it; the pid is node's (chroot and the wrapper exec). */
function startAgent() {
  const agent = root!.spawn(['/opt/seatwatch-agent/bin/seatwatch-agent', 'service'], UNIT_ENV);
  const log: string[] = [];
  agent.stdout?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  agent.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  const exited = new Promise<string>((resolve) =>
    agent.once('exit', (code, signal) => resolve(code === null ? String(signal) : `exit ${code}`)),
  );
  return { agent, log, exited };
}

/** What prerm's `systemctl stop` does: SIGTERM, and the agent ends by itself; how it ended, and its log. */
async function stopAgent(running: ReturnType<typeof startAgent>): Promise<{ ended: string; log: string }> {
  if (!hasExited(running.agent)) running.agent.kill('SIGTERM');
  return { ended: await running.exited, log: running.log.join('') };
}

beforeAll(async () => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-deb-'));
  const [debian, started] = await Promise.all([
    createDebianRoot(children, (line) => process.stderr.write(`${line}\n`)),
    startCollector(),
  ]);
  root = debian;
  collector = started;
  for (const deb of [debs.first, debs.upgrade]) fs.copyFileSync(deb, root.path(`/tmp/${path.basename(deb)}`));
}, 900_000);

afterAll(async () => {
  await children.stopAll();
  await collector?.close();
  await root?.remove();
  if (out) fs.rmSync(out, { recursive: true, force: true });
}, 120_000);

describe('the .deb, as dpkg-deb sees it', () => {
  it('declares the package, its one conffile and its maintainer scripts', async () => {
    const info = (await run('dpkg-deb', ['--info', debs.first])).stdout;
    const field = (name: string) => new RegExp(`^ ${name}: (.*)$`, 'm').exec(info)?.[1];
    expect(field('Package')).toBe('seatwatch-agent');
    expect(field('Version')).toBe(FIRST);
    expect(field('Architecture')).toBe('amd64');
    expect(field('Depends')).toContain('libxcb1');
    const conffiles = (await run('dpkg-deb', ['--ctrl-tarfile', debs.first])).stdout;
    expect(conffiles).toContain('conffiles');
    const control = fs.mkdtempSync(path.join(out, 'control-'));
    await run('dpkg-deb', ['--control', debs.first, control]);
    expect(fs.readFileSync(path.join(control, 'conffiles'), 'utf8')).toBe('/etc/seatwatch/agent.conf\n');
    for (const script of ['postinst', 'prerm', 'postrm']) {
      const file = path.join(control, script);
      expect(fs.statSync(file).mode & 0o111, `${script} is executable`).not.toBe(0);
      expect(fs.readFileSync(file, 'utf8')).toBe(
        fs.readFileSync(path.join(ROOT, 'packaging/debian', script), 'utf8'),
      );
      await run('sh', ['-n', file]);
    }
  });

  it('lays the agent out under /opt with its runtime, units and config, and nothing of the state', async () => {
    const listing = (await run('dpkg-deb', ['--contents', debs.first], { maxBuffer: 64 * 1024 * 1024 }))
      .stdout;
    const entries = listing
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [mode, owner] = line.split(/\s+/);
        const name = line.slice(line.indexOf('./') + 1).replace(/ -> .*$/, '');
        return { mode: mode!, owner: owner!, name: name.replace(/\/$/, '') || '/' };
      });
    const names = new Set(entries.map((entry) => entry.name));
    for (const expected of [
      '/opt/seatwatch-agent/node/bin/node',
      '/opt/seatwatch-agent/app/dist/main.js',
      '/opt/seatwatch-agent/bin/seatwatch-agent',
      '/opt/seatwatch-agent/bin/seatwatch-agent-session-launch',
      '/usr/bin/seatwatch-agent',
      '/usr/lib/systemd/system/seatwatch-agent.service',
      '/usr/lib/systemd/user/seatwatch-agent-session.service',
      '/etc/xdg/autostart/seatwatch-agent-session.desktop',
      '/etc/seatwatch/agent.conf',
      // The native addons the agent loads on Linux, built for this platform.
      '/opt/seatwatch-agent/app/node_modules/sharp/package.json',
      '/opt/seatwatch-agent/app/node_modules/@img/sharp-linux-x64/package.json',
      '/opt/seatwatch-agent/app/node_modules/node-screenshots-linux-x64-gnu/package.json',
      '/opt/seatwatch-agent/app/node_modules/x11/package.json',
      '/opt/seatwatch-agent/app/node_modules/@seatwatch/shared/dist/index.js',
    ])
      expect(names, expected).toContain(expected);
    expect(entries.every((entry) => entry.owner === 'root/root')).toBe(true);
    expect(entries.find((entry) => entry.name === '/etc/seatwatch/agent.conf')?.mode).toBe('-rw-------');
    // Production dependencies only; no sources, tests, dev tools or other platforms' binaries.
    const unwanted = [...names].filter((name) =>
      /\/app\/(src|test)\/|node_modules\/(vitest|typescript|tsx|@types|fast-xml-parser|plist|get-windows|node-gyp)\/|node_modules\/(@[^/]+\/)?[^/]*(win32|darwin)|^\/var\//.test(
        name,
      ),
    );
    expect(unwanted).toEqual([]);
  });

  it('carries a Node runtime that runs', async () => {
    const extracted = fs.mkdtempSync(path.join(out, 'x-'));
    await run('dpkg-deb', ['-x', debs.first, extracted]);
    const node = path.join(extracted, 'opt/seatwatch-agent/node/bin/node');
    expect((await run(node, ['--version'], { env: {} })).stdout.trim()).toBe(process.version);
    const agent = path.join(extracted, 'opt/seatwatch-agent/app/dist/main.js');
    expect((await run(node, [agent, '--version'], { env: {} })).stdout.trim()).toBe(FIRST);
  });
});

describe('installed on a clean Debian: enroll, deliver, upgrade while the collector is down, purge', () => {
  it('keeps identity and queue across the upgrade and delivers every frame once', async () => {
    const debian = root!;
    const seat = collector!;
    await debian.exec(['dpkg', '-i', `/tmp/${path.basename(debs.first)}`]);
    expect((await debian.exec(['seatwatch-agent', '--version'])).stdout.trim()).toBe(FIRST);
    expect(fs.statSync(debian.path(STATE)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(debian.path('/etc/seatwatch/agent.conf')).mode & 0o777).toBe(0o600);

    const project = await createSeatProject(seat, {
      noticeText: 'This seat is monitored (end-to-end test of the Debian package). Questions: it@example.com',
      policy: {},
    });
    // What a software-distribution tool sets: the collector and a token, in the conffile. No session
    // accounts here (no logind in the chroot): the machine part alone queues and delivers.
    const conf = debian.path('/etc/seatwatch/agent.conf');
    const settings = `server = ${seat.url}\ntoken = ${project.token}\nseat = deb-e2e-seat\nsessionUsers =\n`;
    fs.appendFileSync(conf, settings);
    const agents = async () =>
      seat.server.adminOk<{ id: string; agentVersion: string; connected: boolean }[]>(
        'GET',
        `/projects/${project.projectId}/agents`,
      );

    // The first version enrolls itself from the configuration at its first start, and delivers.
    const first = startAgent();
    const agentId = await until('the machine to enroll', () => {
      if (hasExited(first.agent)) throw new Error(`the machine part ended: ${first.log.join('')}`);
      const file = debian.path(`${STATE}/agent.json`);
      return (
        fs.existsSync(file) && (JSON.parse(fs.readFileSync(file, 'utf8')) as { agentId: string }).agentId
      );
    });
    await until('the first version to connect', async () =>
      (await agents()).some((a) => a.id === agentId && a.connected && a.agentVersion === FIRST),
    );
    await until('its first frames to be acknowledged', async () => {
      const now = await status();
      return now.status.outbox.ackedSeq >= 1 && now.status.outbox.depth === 0;
    });

    // The collector goes down; then the upgrade stops the agent (prerm), which queues "stopping".
    await seat.stop();
    const firstStop = await stopAgent(first);
    expect(firstStop.ended, firstStop.log).toBe('exit 0');
    const beforeUpgrade = await status();
    expect(beforeUpgrade.running).toBe(false);
    expect(beforeUpgrade.status.outbox.depth).toBeGreaterThanOrEqual(1);
    const kept = ['agent.key', 'agent.json', 'outbox/journal.v1'].map((file) => [
      file,
      sha256(debian.path(`${STATE}/${file}`)),
    ]);

    const upgraded = await debian.exec(['dpkg', '-i', `/tmp/${path.basename(debs.upgrade)}`]);
    expect(upgraded.stdout).toContain(`over (${FIRST})`);
    expect((await debian.exec(['seatwatch-agent', '--version'])).stdout.trim()).toBe(UPGRADE);
    expect((await debian.exec(['dpkg-query', '--show', 'seatwatch-agent'])).stdout).toBe(
      `seatwatch-agent\t${UPGRADE}\n`,
    );
    for (const [file, hash] of kept) expect(sha256(debian.path(`${STATE}/${file}`)), file).toBe(hash);
    // The conffile as the administrator's tool left it, not the package's commented template.
    expect(fs.readFileSync(conf, 'utf8')).toContain(settings);

    // postinst starts the new version; the collector is still down, so it queues.
    const second = startAgent();
    await until('the new version to queue while the collector is down', async () => {
      const now = await status();
      return now.running && now.status.outbox.lastSeq > beforeUpgrade.status.outbox.lastSeq;
    });

    // The collector comes back on the same port: everything arrives.
    await seat.restart();
    const delivered = await until('the queue to drain', async () => {
      const now = await status();
      return now.status.connection.state === 'connected' &&
        now.status.outbox.depth === 0 &&
        now.status.outbox.ackedSeq === now.status.outbox.lastSeq
        ? now
        : null;
    });
    expect(delivered.status.outbox.ackedSeq).toBeGreaterThan(beforeUpgrade.status.outbox.lastSeq);
    const secondStop = await stopAgent(second);
    expect(secondStop.ended, secondStop.log).toBe('exit 0');
    const final = (await status()).status.outbox;
    expect(final.depth).toBe(0);

    const events = await storedEvents(seat, agentId);
    const keys = events.map((e) => `${e.seq}/${e.idx}`);
    expect(new Set(keys).size, 'no (seq, idx) stored twice').toBe(keys.length);
    const seqs = [...new Set(events.map((e) => e.seq))];
    expect(seqs).toEqual(Array.from({ length: final.lastSeq }, (_, i) => i + 1));
    const lifecycle = events
      .filter((e) => e.type === 'lifecycle')
      .map((e) => `${e.body.phase} ${e.body.reason} ${e.body.agentVersion}`);
    expect(lifecycle).toEqual([
      `starting start ${FIRST}`,
      `stopping service_stop ${FIRST}`,
      `starting start ${UPGRADE}`,
      `stopping service_stop ${UPGRADE}`,
    ]);
    // The administrators' view of versions per seat.
    expect((await agents()).find((a) => a.id === agentId)?.agentVersion).toBe(UPGRADE);

    // Remove keeps the seat's state and configuration; purge takes both.
    await debian.exec(['dpkg', '--remove', 'seatwatch-agent']);
    expect(fs.existsSync(debian.path('/opt/seatwatch-agent/app'))).toBe(false);
    expect(fs.existsSync(debian.path('/usr/bin/seatwatch-agent'))).toBe(false);
    expect(fs.existsSync(debian.path(`${STATE}/agent.key`))).toBe(true);
    expect(fs.existsSync(debian.path('/etc/seatwatch/agent.conf'))).toBe(true);
    await debian.exec(['dpkg', '--purge', 'seatwatch-agent']);
    expect(fs.existsSync(debian.path(STATE))).toBe(false);
    expect(fs.existsSync(debian.path('/etc/seatwatch'))).toBe(false);
    expect(fs.existsSync(debian.path('/opt/seatwatch-agent'))).toBe(false);
    await expect(debian.exec(['dpkg-query', '--status', 'seatwatch-agent'])).rejects.toThrow();
  }, 300_000);
});

describe('the tarball for other distributions, installed by its install.sh on a clean Debian', () => {
  it('installs the same tree and settings, keeps them on uninstall, and purges', async () => {
    expect(path.basename(tarball)).toBe(`seatwatch-agent-${FIRST}-linux-x64.tar.gz`);
    const other = await createDebianRoot(children);
    try {
      fs.copyFileSync(tarball, other.path('/tmp/agent.tar.gz'));
      await other.exec(['tar', '-xzf', '/tmp/agent.tar.gz', '-C', '/tmp']);
      const folder = `/tmp/seatwatch-agent-${FIRST}-linux-x64`;
      const token = 'swe_token_for_the_install_script';
      const installed = await other.exec([
        `${folder}/install.sh`,
        '--server',
        'https://collector.example.com',
        '--token',
        token,
        '--seat',
        'Floor 2 / 14',
      ]);
      expect(installed.stdout).toContain(`Seatwatch agent ${FIRST} installed.`);
      expect((await other.exec(['seatwatch-agent', '--version'])).stdout.trim()).toBe(FIRST);
      const conf = other.path('/etc/seatwatch/agent.conf');
      expect(fs.statSync(conf).mode & 0o777).toBe(0o600);
      const settings = fs
        .readFileSync(conf, 'utf8')
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#'));
      expect(settings).toEqual([
        'server = https://collector.example.com',
        `token = ${token}`,
        'seat = Floor 2 / 14',
      ]);
      for (const file of [
        '/etc/systemd/system/seatwatch-agent.service',
        '/etc/systemd/user/seatwatch-agent-session.service',
        '/etc/xdg/autostart/seatwatch-agent-session.desktop',
        '/opt/seatwatch-agent/bin/seatwatch-agent-session-launch',
      ])
        expect(fs.existsSync(other.path(file)), file).toBe(true);
      expect(fs.statSync(other.path('/var/lib/seatwatch-agent')).mode & 0o777).toBe(0o700);

      // Installing again (an upgrade) keeps what is set and what the seat holds.
      fs.writeFileSync(other.path('/var/lib/seatwatch-agent/agent.key'), 'kept\n', { mode: 0o600 });
      await other.exec([`${folder}/install.sh`]);
      expect(fs.readFileSync(conf, 'utf8').split('\n')).toContain(`token = ${token}`);
      expect(fs.readFileSync(other.path('/var/lib/seatwatch-agent/agent.key'), 'utf8')).toBe('kept\n');

      await other.exec(['/opt/seatwatch-agent/uninstall.sh']);
      expect(fs.existsSync(other.path('/opt/seatwatch-agent'))).toBe(false);
      expect(fs.existsSync(other.path('/usr/local/bin/seatwatch-agent'))).toBe(false);
      expect(fs.existsSync(other.path('/etc/systemd/system/seatwatch-agent.service'))).toBe(false);
      expect(fs.existsSync(conf)).toBe(true);
      expect(fs.existsSync(other.path('/var/lib/seatwatch-agent/agent.key'))).toBe(true);

      await other.exec([`${folder}/install.sh`]);
      await other.exec(['/opt/seatwatch-agent/uninstall.sh', '--purge']);
      expect(fs.existsSync(other.path('/var/lib/seatwatch-agent'))).toBe(false);
      expect(fs.existsSync(other.path('/etc/seatwatch'))).toBe(false);
    } finally {
      await other.remove();
    }
  }, 180_000);
});
