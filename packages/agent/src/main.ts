#!/usr/bin/env node
/**
 * The composition root of `seatwatch-agent`: the only place that reads the
 * process (argv, environment, terminal, signals) and picks the real OS
 * adapters. Everything else receives what it needs.
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { StopReason } from './agent.js';
import type { CliDeps } from './cli.js';
import { relaunch, relaunchEnv, watchLauncher } from './runtime/malloc-relaunch.js';

/** systemd stops user services with SIGTERM both on `systemctl stop` and at shutdown; ask which. */
function systemdStopReason(): Promise<StopReason> {
  return new Promise((resolve) => {
    execFile('systemctl', ['is-system-running'], { timeout: 1500 }, (_error, stdout) => {
      resolve(String(stdout).trim() === 'stopping' ? 'shutdown' : 'service_stop');
    });
  });
}

function onStop(handler: (reason: StopReason, detail: string) => void): void {
  let seen = false;
  const once = (reason: StopReason, detail: string) => {
    if (seen) return;
    seen = true;
    handler(reason, detail);
  };
  const underServiceManager = Boolean(process.env.INVOCATION_ID) || Boolean(process.env.SEATWATCH_SERVICE);
  process.on('SIGINT', () => once('signal', 'SIGINT'));
  // A terminal hang-up or the end of the login session.
  process.on('SIGHUP', () => once('logoff', 'SIGHUP'));
  // Relaunched with the malloc settings under a launcher that was then killed outright.
  watchLauncher(process.env, () => once('signal', 'the launching process ended'));
  process.on('SIGTERM', () => {
    if (!underServiceManager) {
      once('signal', 'SIGTERM');
      return;
    }
    systemdStopReason().then((reason) => once(reason, 'SIGTERM from the service manager'));
  });
  // Windows: Ctrl+Break, and the service wrapper's stop.
  if (process.platform === 'win32') process.on('SIGBREAK', () => once('service_stop', 'SIGBREAK'));
}

/** V8's gc() without a command-line flag, so the service files can start plain `node main.js run`. */
function fullGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

// `run` without the systemd unit's malloc settings starts again with them (runtime/malloc-relaunch.ts).
const relaunchWith = relaunchEnv(process.platform, process.argv.slice(2), process.env);
if (relaunchWith) process.exit(await relaunch(relaunchWith));
// Loaded only now: a launcher (Node 20) that just waits for the relaunched agent stays small.
const { runCli } = await import('./cli.js');
const { desktopNotifierFor } = await import('./notice/desktop-notification.commands.js');
const { selectNoticeChannels } = await import('./notice/select-notice-channels.js');

const deps: CliDeps = {
  argv: process.argv.slice(2),
  env: process.env,
  platform: process.platform,
  home: os.homedir(),
  hostname: os.hostname(),
  osUser: os.userInfo().username,
  uid: process.getuid?.() ?? null,
  osDescription: `${os.type()} ${os.release()} ${os.arch()}`,
  stdout: { write: (text) => process.stdout.write(text), isTTY: Boolean(process.stdout.isTTY) },
  stderr: { write: (text) => process.stderr.write(text), isTTY: Boolean(process.stderr.isTTY) },
  now: Date.now,
  fetch: globalThis.fetch,
  probeCollectors: async () =>
    (await import('./collectors/select-adapters.js')).probeCollectors(process.platform, process.env),
  desktopNotifier: () => desktopNotifierFor(process.platform),
  noticeChannels: (stateDir) =>
    selectNoticeChannels({
      platform: process.platform,
      env: process.env,
      stateDir,
      stdin: process.stdin,
      stdout: { write: (text) => process.stdout.write(text), isTTY: Boolean(process.stdout.isTTY) },
    }),
  releaseMemory: fullGc(),
  onStop,
};

const code = await runCli(deps);
// Helper processes and sockets are closed by now; exit explicitly so nothing stray keeps the process.
process.exit(code);
