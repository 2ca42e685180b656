/**
 * `seatwatch-agent service` and `seatwatch-agent enroll --machine` (issue
 * #14): the machine service of a computer shared by every shift, started by
 * the system (root) once per machine, and its enrollment, by an
 * administrator or non-interactively from the configuration file. The
 * enrollment token comes from the configuration file or
 * SEATWATCH_ENROLL_TOKEN, never from the command line (process lists and
 * shell history).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CliDeps } from '../cli.js';
import type { CollectorProbes } from '../collectors/collector-supervisor.js';
import { unavailable } from '../collectors/probe.js';
import { checkServerUrl } from '../core/server-url.js';
import { enroll } from '../identity/enroll.js';
import { isEnrolled, loadIdentity, StateError } from '../identity/identity-store.js';
import { createPipeChannel, runProgram } from '../local-channel/user-pipe.windows.js';
import { jsonLineLogger, type LogLevel } from '../runtime/logger.js';
import { AGENT_VERSION } from '../version.js';
import { type MachineConfig, parseMachineConfig } from './machine-config.js';
import { createMachineService } from './machine-service.js';
import {
  consoleSessionUsers,
  logindSessionUsers,
  namedMacUsers,
  namedSessionUsers,
  quserSessionUsers,
  type SessionUsersSource,
} from './session-users.js';

export const DEFAULT_CONFIG_FILE = '/etc/seatwatch/agent.conf';
export const DEFAULT_MACHINE_STATE_DIR = '/var/lib/seatwatch-agent';
export const DEFAULT_SOCKET_DIR = '/run/seatwatch-agent/sessions';
/** macOS has no /run (and its system volume is read-only): /var/run is there on both. */
const MACOS_SOCKET_DIR = '/var/run/seatwatch-agent/sessions';
/** Windows: the folder of the per-account secret files (the channel itself is one named pipe). */
const WINDOWS_SECRET_DIR = 'C:\\ProgramData\\Seatwatch\\sessions';

/** Where the service puts each account's end of the channel, and where the session part looks for it. */
export function defaultSocketDir(platform: NodeJS.Platform): string {
  return platform === 'win32'
    ? WINDOWS_SECRET_DIR
    : platform === 'darwin'
      ? MACOS_SOCKET_DIR
      : DEFAULT_SOCKET_DIR;
}

function sessionUsersFor(platform: NodeJS.Platform, config: MachineConfig): SessionUsersSource {
  if (platform === 'win32')
    return config.sessionUsers
      ? async () => config.sessionUsers!.map((name) => ({ name, uid: -1, gid: -1 }))
      : quserSessionUsers();
  if (platform === 'darwin')
    return config.sessionUsers ? namedMacUsers(config.sessionUsers) : consoleSessionUsers();
  return config.sessionUsers ? namedSessionUsers(config.sessionUsers) : logindSessionUsers();
}

const IN_SESSIONS = 'collected in each desktop session by its session part (seatwatch-agent session)';

function flags(args: readonly string[], extra: Record<string, { type: 'string' | 'boolean' }>) {
  try {
    return parseArgs({
      args: [...args],
      options: { 'state-dir': { type: 'string' }, config: { type: 'string' }, ...extra },
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new StateError(error instanceof Error ? error.message : String(error));
  }
}

/** The configuration file: --config, else SEATWATCH_AGENT_CONFIG, else /etc/seatwatch/agent.conf (may be absent). */
export function readMachineConfig(deps: CliDeps, flag: string | undefined): MachineConfig {
  const file = flag ?? deps.env.SEATWATCH_AGENT_CONFIG ?? DEFAULT_CONFIG_FILE;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && flag === undefined) return {};
    throw new StateError(`cannot read the configuration file ${file}: ${(error as Error).message}`);
  }
  const parsed = parseMachineConfig(text, file);
  if (!parsed.ok)
    throw new StateError(`the configuration file has problems:\n  ${parsed.problems.join('\n  ')}`);
  return parsed.config;
}

function machineStateDir(
  values: Record<string, string | boolean | undefined>,
  config: MachineConfig,
): string {
  return path.resolve(
    (values['state-dir'] as string | undefined) ?? config.stateDir ?? DEFAULT_MACHINE_STATE_DIR,
  );
}

async function enrollMachine(
  deps: CliDeps,
  stateDir: string,
  config: MachineConfig,
  server: string | undefined,
) {
  const url = server ?? config.server;
  const token = deps.env.SEATWATCH_ENROLL_TOKEN ?? config.token;
  if (!url || !token)
    throw new StateError(
      'this machine is not enrolled: put "server" and "token" in the configuration file (or the token in SEATWATCH_ENROLL_TOKEN) and start again',
    );
  const checked = checkServerUrl(url, config.insecure === true);
  if (!checked.ok) throw new StateError(`server: ${checked.reason}`);
  return enroll({
    stateDir,
    serverUrl: url,
    token,
    seat: config.seat,
    insecure: config.insecure === true,
    hostname: deps.hostname,
    os: deps.osDescription,
    // A machine has no one operator (see machine-service.ts).
    osUser: '',
    agentVersion: AGENT_VERSION,
    now: deps.now,
    fetch: deps.fetch,
  });
}

/** `enroll --machine [--server URL] [--config FILE] [--state-dir DIR]`. */
export async function machineEnrollCommand(deps: CliDeps, args: readonly string[]): Promise<number> {
  const values = flags(args, { machine: { type: 'boolean' }, server: { type: 'string' } });
  const config = readMachineConfig(deps, values.config as string | undefined);
  const stateDir = machineStateDir(values, config);
  const identity = await enrollMachine(deps, stateDir, config, values.server as string | undefined);
  deps.stdout.write(
    `Enrolled this machine: agent ${identity.agentId} in project ${identity.projectId}, server ${identity.serverUrl}.\n` +
      `State: ${stateDir}\nStart the machine service (seatwatch-agent service); each desktop session runs seatwatch-agent session.\n`,
  );
  return 0;
}

/** `service [--config FILE] [--state-dir DIR] [--socket-dir DIR] [--log-level L]`: runs until stopped. */
export async function serviceCommand(deps: CliDeps, args: readonly string[]): Promise<number> {
  const values = flags(args, {
    'socket-dir': { type: 'string' },
    'log-level': { type: 'string' },
    'service-manager': { type: 'string' },
  });
  const level = (values['log-level'] as string | undefined) ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(level))
    throw new StateError('--log-level must be debug, info, warn or error');
  const log = jsonLineLogger((line) => deps.stderr.write(line), level as LogLevel, deps.now);
  const config = readMachineConfig(deps, values.config as string | undefined);
  const stateDir = machineStateDir(values, config);
  if (!isEnrolled(stateDir)) {
    const identity = await enrollMachine(deps, stateDir, config, undefined);
    log.log('info', 'enrolled this machine from the configuration; the token is not needed again', {
      agentId: identity.agentId,
    });
  }
  // Root made it; the key and the outbox are the machine's, never an operator's to read.
  fs.chmodSync(stateDir, 0o700);
  const identity = loadIdentity(stateDir);
  const probed = await deps.probeCollectors();
  const collectors: CollectorProbes = {
    ...probed,
    activeWindow: unavailable(IN_SESSIONS),
    idleTime: unavailable(IN_SESSIONS),
    screen: unavailable(IN_SESSIONS),
    encoder: unavailable(IN_SESSIONS),
  };
  const socketRoot = path.resolve(
    (values['socket-dir'] as string | undefined) ?? config.socketDir ?? defaultSocketDir(deps.platform),
  );
  const service = createMachineService({
    stateDir,
    identity,
    collectors,
    machineAccount: deps.osUser,
    hostname: deps.hostname,
    socketRoot,
    sessionUsers: sessionUsersFor(deps.platform, config),
    ...(deps.platform === 'win32'
      ? {
          listen: createPipeChannel({
            run: runProgram,
            onRefused: (reason) =>
              log.log('warn', 'a connection to the session pipe was refused', { reason }),
          }),
        }
      : {}),
    log,
  });
  const finished = new Promise<number>((resolve) => {
    deps.onStop((reason, detail) => {
      service.stop(reason, detail).then(
        () => resolve(0),
        () => resolve(1),
      );
    });
    service.agent.events.on('revoked', () => {
      deps.stderr.write(
        'seatwatch-agent: this machine was revoked by an administrator; the service stops now.\n',
      );
      service.stop('revoked', 'revoked by the server').then(() => resolve(3));
    });
  });
  // The service runs until stopped. While the collector is unreachable and no session socket is open,
  // nothing else holds the event loop (the reconnect timer does not), and Node would end the process
  // with 13 (unsettled top-level await): under systemd, a restart every 10 s until the unit gives up.
  const alive = setInterval(() => {}, 2 ** 31 - 1);
  try {
    await service.start();
  } catch (error) {
    clearInterval(alive);
    throw error;
  }
  deps.stdout.write(
    `Seatwatch machine service ${AGENT_VERSION} running. State: ${stateDir}. Session sockets under ${socketRoot}.\n`,
  );
  return finished.finally(() => clearInterval(alive));
}
