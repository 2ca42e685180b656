/**
 * The definitions the packages install (packaging/, issue #14): the machine
 * part (`seatwatch-agent service`) and the per-session part (`seatwatch-agent
 * session`) on each OS. Each is parsed and judged by its manager's documented
 * rule (restart-rules.ts): restart after a crash, never after exit 2 or 3.
 * The session launcher's one-per-session guard is run for real, with a
 * stand-in agent and systemctl; nothing runs as a service here.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Children, until } from '@seatwatch/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import {
  agentArgs,
  launchdRestarts,
  type Outcome,
  parseLaunchdPlist,
  parseTaskXml,
  parseUnit,
  systemdRestarts,
  taskDefinition,
  taskSchedulerRestarts,
  unitAgentArgs,
  unitValue,
  windowsArgs,
} from './restart-rules.js';

const run = promisify(execFile);
const SERVICE = path.join(import.meta.dirname, '../../service');
const read = (name: string) => fs.readFileSync(path.join(SERVICE, name), 'utf8');

const RULE: [string, Outcome, boolean][] = [
  ['a crash (SIGSEGV)', { signal: 'SIGSEGV' }, true],
  ['an uncaught error (exit 1)', { exit: 1 }, true],
  ['a clean stop (exit 0)', { exit: 0 }, false],
  ['not enrolled, bad state, config or flags (exit 2)', { exit: 2 }, false],
  ['revoked (exit 3)', { exit: 3 }, false],
];

describe('Linux machine part: systemd system unit (linux/seatwatch-agent.service)', () => {
  const unit = parseUnit(read('linux/seatwatch-agent.service'));

  it.each(RULE)('after %s, restarts: %s', (_what, outcome, restarts) => {
    expect(systemdRestarts(unit, outcome)).toBe(restarts);
  });

  it('runs the packaged service command at boot, with its state folder under /var/lib', () => {
    expect(unitValue(unit, 'Service', 'ExecStart')).toBe('/opt/seatwatch-agent/bin/seatwatch-agent service');
    expect(unitAgentArgs(unit)).toEqual(['service']);
    expect(unitValue(unit, 'Service', 'StateDirectory')).toBe('seatwatch-agent');
    expect(unitValue(unit, 'Service', 'StateDirectoryMode')).toBe('0700');
    expect(unitValue(unit, 'Install', 'WantedBy')).toBe('multi-user.target');
    const burst = Number(unitValue(unit, 'Unit', 'StartLimitBurst'));
    expect(burst * Number(unitValue(unit, 'Service', 'RestartSec'))).toBeLessThan(
      Number(unitValue(unit, 'Unit', 'StartLimitIntervalSec')),
    );
  });
});

describe('Linux session part: systemd user unit and XDG autostart', () => {
  const unit = parseUnit(read('linux/seatwatch-agent-session.service'));

  it.each(RULE)('the user unit, after %s, restarts: %s', (_what, outcome, restarts) => {
    expect(systemdRestarts(unit, outcome)).toBe(restarts);
  });

  it('both start the launcher, which runs `seatwatch-agent session` in the graphical session', () => {
    expect(unitValue(unit, 'Service', 'ExecStart')).toBe(
      '/opt/seatwatch-agent/bin/seatwatch-agent-session-launch systemd',
    );
    expect(unitValue(unit, 'Install', 'WantedBy')).toBe('graphical-session.target');
    const desktop = parseUnit(read('linux/seatwatch-agent-session.desktop'));
    expect(unitValue(desktop, 'Desktop Entry', 'Type')).toBe('Application');
    expect(unitValue(desktop, 'Desktop Entry', 'Exec')).toBe(
      '/opt/seatwatch-agent/bin/seatwatch-agent-session-launch autostart',
    );
    const exec = read('linux/seatwatch-agent-session-launch')
      .split('\n')
      .filter((line) => line.startsWith('exec '));
    expect(exec).toHaveLength(1);
    expect(exec[0]).toMatch(/"\$here\/seatwatch-agent" session$/);
  });
});

describe('the session launcher runs one session part per session', () => {
  const children = new Children();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-launcher-'));
  const bin = path.join(dir, 'bin');
  const fakeSystemd = path.join(dir, 'systemd-bin');
  const runtime = path.join(dir, 'runtime');
  const started = path.join(dir, 'started');
  fs.mkdirSync(bin);
  fs.mkdirSync(fakeSystemd);
  fs.mkdirSync(runtime);
  fs.copyFileSync(path.join(SERVICE, 'linux/seatwatch-agent-session-launch'), path.join(bin, 'launch'));
  fs.chmodSync(path.join(bin, 'launch'), 0o755);
  // The stand-in agent: notes how it was started, then runs until stopped, as the session part does.
  fs.writeFileSync(
    path.join(bin, 'seatwatch-agent'),
    `#!/bin/sh\necho "$*" >> "${started}"\nexec sleep 300\n`,
    { mode: 0o755 },
  );
  // The stand-in user manager: the graphical session target is active when this file exists.
  const targetActive = path.join(dir, 'graphical-session-active');
  fs.writeFileSync(
    path.join(fakeSystemd, 'systemctl'),
    `#!/bin/sh\ncase "$*" in *graphical-session.target*) [ -e "${targetActive}" ] ;; *) exit 3 ;; esac\n`,
    { mode: 0o755 },
  );
  const env = (withSystemd: boolean, display: string) => ({
    PATH: `${withSystemd ? `${fakeSystemd}:` : ''}/usr/bin:/bin`,
    XDG_RUNTIME_DIR: runtime,
    DISPLAY: display,
  });
  const launch = (from: string, withSystemd: boolean, display: string) =>
    children.add(
      spawn(path.join(bin, 'launch'), [from], { env: env(withSystemd, display), stdio: 'ignore' }),
    );
  const exitOf = (child: ReturnType<typeof launch>) =>
    new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const startedLines = () =>
    fs.existsSync(started) ? fs.readFileSync(started, 'utf8').trim().split('\n') : [];

  afterAll(async () => {
    await children.stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('autostart steps aside when the user manager runs the graphical session (the unit starts it)', async () => {
    fs.writeFileSync(targetActive, '');
    const child = launch('autostart', true, ':71');
    expect(await exitOf(child)).toBe(0);
    expect(startedLines()).toEqual([]);
    fs.rmSync(targetActive);
  });

  it('without a user manager autostart starts it; a second start in the same session exits 0 at once', async () => {
    const first = launch('autostart', false, ':72');
    await until('the session part to start', () => startedLines().length === 1);
    expect(startedLines()).toEqual(['session']);
    const second = launch('systemd', true, ':72');
    expect(await exitOf(second)).toBe(0);
    expect(startedLines()).toEqual(['session']);
    // Another display (another session of the account) gets its own.
    const other = launch('autostart', false, ':73');
    await until('the other session part to start', () => startedLines().length === 2);
    expect(first.exitCode).toBeNull();
    expect(other.exitCode).toBeNull();
  });

  it('is valid sh', async () => {
    await run('sh', ['-n', path.join(bin, 'launch')]);
  });
});

describe('macOS: LaunchDaemon (machine part) and LaunchAgent (session part)', () => {
  const daemon = parseLaunchdPlist(read('macos/com.seatwatch.agent.service.plist'));
  const agent = parseLaunchdPlist(read('macos/com.seatwatch.agent.session.plist'));

  it.each(RULE)('the LaunchDaemon, after %s, restarts: %s', (_what, outcome, restarts) => {
    expect(launchdRestarts(daemon, outcome)).toBe(restarts);
  });

  it.each(RULE)('the LaunchAgent, after %s, restarts: %s', (_what, outcome, restarts) => {
    expect(launchdRestarts(agent, outcome)).toBe(restarts);
  });

  it('run the packaged runtime: the daemon for the machine, the agent in each GUI session', () => {
    expect(agentArgs(daemon.ProgramArguments as string[])).toEqual([
      'service',
      '--service-manager',
      'launchd',
    ]);
    expect(agentArgs(agent.ProgramArguments as string[])).toEqual([
      'session',
      '--service-manager',
      'launchd',
    ]);
    // The daemon runs node itself; the agent through the /bin/sh line that opens its per-user log
    // (macos-logs.test.ts runs that line).
    expect((daemon.ProgramArguments as string[])[0]).toBe('/opt/seatwatch-agent/node/bin/node');
    expect((agent.ProgramArguments as string[]).slice(0, 2)).toEqual(['/bin/sh', '-c']);
    for (const job of [daemon, agent]) {
      const args = job.ProgramArguments as string[];
      expect(args[args.indexOf('/opt/seatwatch-agent/node/bin/node') + 1]).toBe(
        '/opt/seatwatch-agent/app/dist/main.js',
      );
      expect(job.ThrottleInterval).toBeGreaterThanOrEqual(10);
      expect(job.RunAtLoad).toBe(true);
    }
    expect(daemon.LimitLoadToSessionType).toBeUndefined();
    expect(agent.LimitLoadToSessionType).toBe('Aqua');
  });
});

describe('Windows: boot task as LocalSystem (machine part) and logon task (session part)', () => {
  const service = parseTaskXml(read('windows/seatwatch-agent-service.task.xml'));
  const session = parseTaskXml(read('windows/seatwatch-agent-session.task.xml'));
  const serviceTask = taskDefinition(service);
  const sessionTask = taskDefinition(session);

  it.each(RULE)('the machine task, after %s, restarts: %s', (_what, outcome, restarts) => {
    expect(taskSchedulerRestarts(serviceTask, outcome)).toBe(restarts);
  });

  it.each(RULE)('the session task, after %s, restarts: %s', (_what, outcome, restarts) => {
    expect(taskSchedulerRestarts(sessionTask, outcome)).toBe(restarts);
  });

  it('start at boot as LocalSystem and at logon as the operator, with the packaged runtime', () => {
    const task = (xml: Record<string, unknown>) => xml.Task as Record<string, Record<string, unknown>>;
    expect(task(service).Triggers).toHaveProperty('BootTrigger');
    expect((task(service).Principals!.Principal as Record<string, unknown>).UserId).toBe('S-1-5-18');
    expect(task(session).Triggers).toHaveProperty('LogonTrigger');
    expect((task(session).Principals!.Principal as Record<string, unknown>).GroupId).toBe('S-1-5-32-545');
    expect(windowsArgs(serviceTask.exec.Command)).toEqual([
      'C:\\Program Files\\Seatwatch Agent\\node\\node.exe',
    ]);
    const serviceArgs = agentArgs(windowsArgs(serviceTask.exec.Arguments));
    expect(serviceArgs[0]).toBe('service');
    expect(serviceArgs.slice(-2)).toEqual(['--service-manager', 'task-scheduler']);
    expect(serviceArgs).toContain('C:\\ProgramData\\Seatwatch\\agent.conf');
    expect(agentArgs(windowsArgs(sessionTask.exec.Arguments))).toEqual([
      'session',
      '--service-manager',
      'task-scheduler',
    ]);
  });
});
