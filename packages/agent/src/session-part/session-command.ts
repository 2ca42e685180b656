/**
 * `seatwatch-agent session`: the per-session part (issue #14), started in
 * every desktop session as the logged-in operator (an XDG autostart entry or
 * a systemd user unit). It connects to the machine service's socket for
 * this account, `/run/seatwatch-agent/sessions/<uid>/agent.sock`.
 */
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CliDeps } from '../cli.js';
import { ensureStateDir, StateError } from '../identity/identity-store.js';
import { resolveStateDir } from '../identity/state-dir.js';
import { userSocketPath } from '../local-channel/user-socket.unix.js';
import { DEFAULT_SOCKET_DIR } from '../machine-service/service-command.js';
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
  if (deps.platform === 'win32')
    throw new StateError(
      'the session part on Windows (a named pipe per session) is not available yet; use run',
    );
  const level = (values['log-level'] as string | undefined) ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(level))
    throw new StateError('--log-level must be debug, info, warn or error');
  const pagePort = values['page-port'] === undefined ? DEFAULT_PAGE_PORT : Number(values['page-port']);
  if (!Number.isInteger(pagePort) || pagePort < 0 || pagePort > 65535)
    throw new StateError('--page-port must be 0–65535');
  const uid = deps.uid ?? null;
  if (uid === null && values.socket === undefined)
    throw new StateError('--socket is needed where the account has no numeric id');
  const socketPath = path.resolve(
    (values.socket as string | undefined) ??
      userSocketPath(deps.env.SEATWATCH_SOCKET_DIR ?? DEFAULT_SOCKET_DIR, uid ?? 0),
  );
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
    connect: (file) => net.createConnection(file),
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
