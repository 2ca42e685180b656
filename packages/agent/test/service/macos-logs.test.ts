/**
 * Where the macOS launchd jobs write their logs: never a folder other
 * accounts can write (a shared /tmp file let anyone plant a link or read
 * another operator's log). The LaunchDaemon, as root, logs to /var/log; each
 * LaunchAgent, as the operator, to ~/Library/Logs/Seatwatch, which launchd
 * cannot name (it expands neither ~ nor $HOME), so the job's /bin/sh line
 * opens it. That line is run here for real under sh with a HOME of the
 * test's own: the folder and file are made private, the exit code and the
 * process (exec) are the agent's own, and without a HOME it runs unlogged.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentArgs, parseLaunchdPlist } from './restart-rules.js';

const SERVICE = path.join(import.meta.dirname, '../../service');
const job = (name: string) => parseLaunchdPlist(fs.readFileSync(path.join(SERVICE, name), 'utf8'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-macos-logs-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const AGENTS = [
  ['macos/com.seatwatch.agent.session.plist', 'agent-session.log'],
  ['com.seatwatch.agent.plist', 'agent.log'],
] as const;

/** Every path a job names for its output. */
const logPaths = (plist: Record<string, unknown>) =>
  [plist.StandardErrorPath, plist.StandardOutPath].filter((value) => value !== undefined);

/**
 * Runs the job's /bin/sh line as launchd would (umask from the job), with
 * `command` in place of node and the agent's arguments.
 */
function runWrapper(
  plist: Record<string, unknown>,
  env: Record<string, string>,
  command: string[],
  cwd = work,
): Promise<{ code: number | null; stderr: string; pid: number; childPid: string }> {
  const args = plist.ProgramArguments as string[];
  const umask = (plist.Umask as number).toString(8);
  // args: /bin/sh -c SCRIPT $0 node main.js ...; the agent's words are replaced by the command.
  const wrapped = [
    '-c',
    `umask ${umask}; exec "$@"`,
    'launchd',
    'sh',
    args[1]!,
    args[2]!,
    args[3]!,
    ...command,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('sh', wrapped, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, pid: child.pid!, childPid: stdout.trim() }));
  });
}

// Stands in for node: says its pid on stdout, writes a log line on stderr, ends with 3.
const FAKE_AGENT = [
  process.execPath,
  '-e',
  'process.stdout.write(String(process.pid)); console.error("log line"); process.exit(3)',
];

describe('the LaunchDaemon (root) logs to /var/log', () => {
  it('names /var/log/seatwatch-agent.log, a folder only root can write', () => {
    const daemon = job('macos/com.seatwatch.agent.service.plist');
    expect(logPaths(daemon)).toEqual(['/var/log/seatwatch-agent.log']);
    expect(daemon.Umask).toBe(0o077);
  });
});

describe.each(AGENTS)('the LaunchAgent %s logs to the operator’s own folder', (file, logName) => {
  const plist = job(file);

  it('names no log path itself (no shared file) and opens its log through /bin/sh', () => {
    expect(logPaths(plist)).toEqual([]);
    const args = plist.ProgramArguments as string[];
    expect(args.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(args[2]).toContain(`$HOME/Library/Logs/Seatwatch`);
    expect(args[2]).toContain(logName);
    expect(args[2]).not.toMatch(/\/tmp|\/Users\/Shared|\/Library\/Logs\/[^S]/);
    // The agent's own words follow, so the restart rule still sees its --service-manager mapping.
    expect(agentArgs(args).slice(-2)).toEqual(['--service-manager', 'launchd']);
  });

  it('makes ~/Library/Logs/Seatwatch 0700 and the log 0600, and passes the exit code through exec', async () => {
    const home = fs.mkdtempSync(path.join(work, 'home-'));
    const run = await runWrapper(
      plist,
      { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin' },
      FAKE_AGENT,
    );
    expect(run.code).toBe(3);
    // exec: the agent is the process launchd started, so its signals reach the agent itself.
    expect(run.childPid).toBe(String(run.pid));
    const folder = path.join(home, 'Library', 'Logs', 'Seatwatch');
    expect(fs.statSync(folder).mode & 0o777).toBe(0o700);
    const log = path.join(folder, logName);
    expect(fs.statSync(log).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(log, 'utf8')).toBe('log line\n');
    expect(run.stderr).toBe('');
    // A restart appends.
    await runWrapper(plist, { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin' }, FAKE_AGENT);
    expect(fs.readFileSync(log, 'utf8')).toBe('log line\nlog line\n');
  });

  it('without a HOME runs the agent unlogged rather than in a folder relative to /', async () => {
    const cwd = fs.mkdtempSync(path.join(work, 'nohome-'));
    const run = await runWrapper(plist, { PATH: process.env.PATH ?? '/usr/bin:/bin' }, FAKE_AGENT, cwd);
    expect(run.code).toBe(3);
    expect(run.childPid).toBe(String(run.pid));
    expect(run.stderr).toBe('log line\n');
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('when the log cannot be opened, still starts the agent (its stderr then goes where launchd sends it)', async () => {
    const home = fs.mkdtempSync(path.join(work, 'home-'));
    // A file where the folder should be: mkdir fails.
    fs.mkdirSync(path.join(home, 'Library', 'Logs'), { recursive: true });
    fs.writeFileSync(path.join(home, 'Library', 'Logs', 'Seatwatch'), '');
    const run = await runWrapper(
      plist,
      { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin' },
      FAKE_AGENT,
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('log line\n');
  });
});
