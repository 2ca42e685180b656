/**
 * `seatwatch-agent session`: the per-session part (issue #14), started in
 * every desktop session as the logged-in operator (an XDG autostart entry or
 * a systemd user unit, a LaunchAgent, a logon task). It connects to the
 * machine service's socket for this account,
 * `/run/seatwatch-agent/sessions/<uid>/agent.sock` (macOS: under /var/run);
 * on Windows to the service's pipe, presenting this account's secret first.
 */
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CliDeps } from '../cli.js';
import { ensureStateDir, StateError } from '../identity/identity-store.js';
import { resolveStateDir } from '../identity/state-dir.js';
import { connectWithSecret } from '../local-channel/session-secret.js';
import { userSecretPath, WINDOWS_PIPE } from '../local-channel/user-pipe.windows.js';
import { userSocketPath } from '../local-channel/user-socket.unix.js';
import { defaultSocketDir } from '../machine-service/service-command.js';
import { DEFAULT_PAGE_PORT } from '../notice/transparency-page.js';
import { jsonLineLogger, type LogLevel } from '../runtime/logger.js';
import { createSessionPart } from './session-part.js';

export async function sessionCommand(deps: CliDeps, args: readonly string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...args],
      options: {
        'state-dir': { type: 'string' },
        socket: { type: 'string' },
        'page-port': { type: 'string' },
        'log-level': { type: 'string' },
        // Read by the CLI's exit-code mapping (cli.ts): launchd and Task Scheduler see 0 for 2 and 3.
        'service-manager': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new StateError(error instanceof Error ? error.message : String(error));
  }
  const level = (values['log-level'] as string | undefined) ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(level))
    throw new StateError('--log-level must be debug, info, warn or error');
  const pagePort = values['page-port'] === undefined ? DEFAULT_PAGE_PORT : Number(values['page-port']);
  if (!Number.isInteger(pagePort) || pagePort < 0 || pagePort > 65535)
    throw new StateError('--page-port must be 0–65535');
  const channelDir = deps.env.SEATWATCH_SOCKET_DIR ?? defaultSocketDir(deps.platform);
  let socketPath: string;
  let connect: (file: string) => net.Socket = (file) => net.createConnection(file);
  if (deps.platform === 'win32') {
    // One pipe for every session; this account's secret, read at each connection (the service makes a
    // new one when it starts), says whose connection it is (local-channel/user-pipe.windows.ts).
    socketPath = (values.socket as string | undefined) ?? WINDOWS_PIPE;
    const secretFile = userSecretPath(channelDir, deps.osUser);
    connect = (pipe) => connectWithSecret(pipe, secretFile);
  } else {
    const uid = deps.uid ?? null;
    if (uid === null && values.socket === undefined)
      throw new StateError('--socket is needed where the account has no numeric id');
    socketPath = path.resolve((values.socket as string | undefined) ?? userSocketPath(channelDir, uid ?? 0));
  }
  const stateDir = resolveStateDir(
    values['state-dir'] as string | undefined,
    deps.env,
    deps.platform,
    deps.home,
  );
  ensureStateDir(stateDir);
  const log = jsonLineLogger((line) => deps.stderr.write(line), level as LogLevel, deps.now);
  const probed = await deps.probeCollectors();
  for (const name of ['activeWindow', 'idleTime', 'screen', 'encoder'] as const) {
    const probe = probed[name];
    if (!probe.ok) log.log('warn', 'collector unavailable', { collector: name, reason: probe.reason });
  }
  const selected = deps.noticeChannels(stateDir);
  const part = createSessionPart({
    stateDir,
    socketPath,
    osUser: deps.osUser,
    collectors: probed,
    connect,
    log,
    terminal: deps.stdout,
    noticeChannels: selected.channels,
    noDialogReason: selected.noDialogReason,
    desktopNotifier: deps.desktopNotifier(),
    page: { port: pagePort },
    ...(deps.releaseMemory ? { releaseMemory: deps.releaseMemory } : {}),
  });
  const finished = new Promise<number>((resolve) => {
    deps.onStop(() => {
      part.stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    });
  });
  // Runs until stopped. While the machine service is not there yet, only the (unreferenced) retry timer
  // is pending, and Node would end the process with 13 (unsettled top-level await).
  const alive = setInterval(() => {}, 2 ** 31 - 1);
  await part.start();
  deps.stdout.write(
    `Seatwatch session part running for ${deps.osUser}; machine service socket ${socketPath}.\n`,
  );
  return finished.finally(() => clearInterval(alive));
}
