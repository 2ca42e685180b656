/**
 * The `seatwatch-agent` commands. Everything from the outside world (argv,
 * environment, terminal, OS probes, signals) arrives in CliDeps, built by
 * main.ts; this file decides what to do with it.
 *
 * Exit codes: 0 ok, 1 failure (server refused, unreachable), 2 state or usage
 * problem the operator must fix (not enrolled, key permissions, corrupt
 * state, bad flags), 3 revoked.
 */
import { parseArgs } from 'node:util';
import type { Agent, StopReason } from './agent.js';
import type { CollectorProbes } from './collectors/collector-supervisor.js';
import { unavailable } from './collectors/probe.js';
import { checkServerUrl } from './core/server-url.js';
import { EnrollError, enroll } from './identity/enroll.js';
import {
  isEnrolled,
  loadIdentity,
  NotEnrolledError,
  removeState,
  StateError,
} from './identity/identity-store.js';
import { resolveStateDir } from './identity/state-dir.js';
import type { DesktopNotifier } from './notice/desktop-notification.port.js';
import { loadNoticeState } from './notice/notice-state.js';
import { fullNoticeText } from './notice/notice-text.js';
import type { SelectedNoticeChannels } from './notice/select-notice-channels.js';
import { DEFAULT_PAGE_PORT } from './notice/transparency-page.js';
import { jsonLineLogger, type LogLevel } from './runtime/logger.js';
import { type AgentStatus, isProcessAlive, readStatusFile } from './status/agent-status.js';
import { AGENT_VERSION } from './version.js';

export interface Terminal {
  write(text: string): void;
  readonly isTTY: boolean;
}

export interface CliDeps {
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly platform: NodeJS.Platform;
  readonly home: string;
  readonly hostname: string;
  readonly osUser: string;
  readonly osDescription: string;
  /** The numeric id of the account this runs as (the session part's socket), null where there is none (Windows). */
  readonly uid?: number | null;
  readonly stdout: Terminal;
  readonly stderr: Terminal;
  readonly now: () => number;
  readonly fetch: typeof fetch;
  probeCollectors(): Promise<CollectorProbes>;
  desktopNotifier(): DesktopNotifier | null;
  /** Where the operator can see and confirm the notice in this session (a dialog, the terminal). */
  noticeChannels(stateDir: string): SelectedNoticeChannels;
  /** A full garbage collection, run after each screenshot (see AgentDeps.releaseMemory). */
  readonly releaseMemory?: () => void;
  /** Calls `handler` once for the first stop the process can see (signal, service stop, logoff, shutdown). */
  onStop(handler: (reason: StopReason, detail: string) => void): void;
}

const USAGE = `Usage: seatwatch-agent <command> [options]

Commands:
  enroll --server URL --token TOKEN [--seat NAME] [--insecure]
                     Enroll this seat with the collector (once).
                     The token may also come from SEATWATCH_ENROLL_TOKEN.
  run [--page-port N] [--log-level debug|info|warn|error]
      [--service-manager systemd|launchd|task-scheduler]
                     Run the agent: show the monitoring notice, collect, deliver.
                     Under launchd or task-scheduler, exit codes 2 and 3 become 0
                     (those managers restart on any non-zero exit).
  status [--json]    Enrolled? Connected? Outbox depth, last ack, what is collected and why anything is paused.
  notice             Print the current monitoring notice.
  unenroll           Deliver what is queued (10 s at most), then remove this seat's agent state.

A computer shared by every shift (one enrollment per machine, see docs/agent.md):
  enroll --machine [--server URL] [--config FILE]
                     Enroll the machine once (as root); the token from the configuration
                     file or SEATWATCH_ENROLL_TOKEN, never the command line.
  service [--config FILE] [--socket-dir DIR] [--log-level L]
                     The machine service (root, one per machine): enrolls itself at first
                     start from the configuration file, delivers for every session.
  session [--socket PATH] [--page-port N] [--log-level L]
                     The part in each desktop session (as the operator): shows the notice,
                     collects this session, hands it to the machine service.

Options for every command:
  --state-dir DIR    State folder (default: SEATWATCH_AGENT_HOME, else the OS default).
  --help             This text.
`;

class UsageError extends Error {}

export async function runCli(deps: CliDeps): Promise<number> {
  return forServiceManager(deps, await runCommandOf(deps));
}

/**
 * Service managers that restart on any non-zero exit (launchd's
 * KeepAlive.SuccessfulExit=false, Task Scheduler's RestartOnFailure) cannot be
 * told "not on 2 or 3" the way systemd's RestartPreventExitStatus can. The
 * service definitions start `run --service-manager launchd|task-scheduler`,
 * and then 2 (a person must fix the state) and 3 (revoked) end with 0, after
 * saying why on stderr, so the manager leaves the agent stopped.
 */
const NO_EXIT_CODE_FILTER = ['launchd', 'task-scheduler'];

/** The exit code a service manager sees for `argv` ending with `code`, and why it differs, if it does. */
export function exitCodeForServiceManager(
  argv: readonly string[],
  code: number,
): { code: number; because?: string } {
  const [command, ...rest] = argv;
  // The packaged definitions (service/) run all three under launchd and Task Scheduler.
  if (!['run', 'service', 'session'].includes(command ?? '') || (code !== 2 && code !== 3)) return { code };
  const manager = parseArgs({
    args: [...rest],
    options: { 'service-manager': { type: 'string' } },
    strict: false,
    allowPositionals: true,
  }).values['service-manager'];
  if (typeof manager !== 'string' || !NO_EXIT_CODE_FILTER.includes(manager)) return { code };
  const what = code === 3 ? 'revoked' : 'a person must fix the state or the flags';
  return { code: 0, because: `exits 0 instead of ${code} (${what}) so that ${manager} does not restart it` };
}

function forServiceManager(deps: CliDeps, code: number): number {
  const mapped = exitCodeForServiceManager(deps.argv, code);
  if (mapped.because) deps.stderr.write(`seatwatch-agent: ${mapped.because}.\n`);
  return mapped.code;
}

async function runCommandOf(deps: CliDeps): Promise<number> {
  const [command, ...rest] = deps.argv;
  try {
    switch (command) {
      case 'enroll':
        if (rest.includes('--machine'))
          return await (await import('./machine-service/service-command.js')).machineEnrollCommand(
            deps,
            rest,
          );
        return await enrollCommand(deps, rest);
      // Loaded when used, as the agent's modules are for run: status and notice start faster without them.
      case 'service':
        return await (await import('./machine-service/service-command.js')).serviceCommand(deps, rest);
      case 'session':
        return await (await import('./session-part/session-command.js')).sessionCommand(deps, rest);
      case 'run':
        return await runCommand(deps, rest);
      case 'status':
        return statusCommand(deps, rest);
      case 'notice':
        return noticeCommand(deps, rest);
      case 'unenroll':
        return await unenrollCommand(deps, rest);
      case undefined:
      case '--help':
      case 'help':
        deps.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      case '--version':
        deps.stdout.write(`${AGENT_VERSION}\n`);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      deps.stderr.write(`seatwatch-agent: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof StateError) {
      deps.stderr.write(`seatwatch-agent: ${error.message}\n`);
      return 2;
    }
    if (error instanceof EnrollError) {
      deps.stderr.write(`seatwatch-agent: ${error.message}\n`);
      return 1;
    }
    deps.stderr.write(`seatwatch-agent: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

type Flags = Record<string, { type: 'string' | 'boolean' }>;

function parse<F extends Flags>(args: readonly string[], flags: F) {
  try {
    return parseArgs({
      args: [...args],
      options: { 'state-dir': { type: 'string' }, help: { type: 'boolean' }, ...flags },
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function stateDirOf(deps: CliDeps, values: Record<string, string | boolean | undefined>): string {
  return resolveStateDir(values['state-dir'] as string | undefined, deps.env, deps.platform, deps.home);
}

async function enrollCommand(deps: CliDeps, args: readonly string[]): Promise<number> {
  const values = parse(args, {
    server: { type: 'string' },
    token: { type: 'string' },
    seat: { type: 'string' },
    insecure: { type: 'boolean' },
  });
  if (values.help) return help(deps);
  const server = values.server as string | undefined;
  const token = (values.token as string | undefined) ?? deps.env.SEATWATCH_ENROLL_TOKEN;
  if (!server) throw new UsageError('enroll needs --server URL');
  if (!token) throw new UsageError('enroll needs --token TOKEN (or SEATWATCH_ENROLL_TOKEN)');
  // A URL refused before any request is a flag to fix (exit 2), not a failure to reach the server (1).
  const url = checkServerUrl(server, values.insecure === true);
  if (!url.ok) throw new UsageError(`--server: ${url.reason}`);
  const stateDir = stateDirOf(deps, values);
  const identity = await enroll({
    stateDir,
    serverUrl: server,
    token,
    seat: values.seat as string | undefined,
    insecure: values.insecure === true,
    hostname: deps.hostname,
    os: deps.osDescription,
    osUser: deps.osUser,
    agentVersion: AGENT_VERSION,
    now: deps.now,
    fetch: deps.fetch,
  });
  deps.stdout.write(
    `Enrolled: agent ${identity.agentId} in project ${identity.projectId}, server ${identity.serverUrl}.\n` +
      `State: ${stateDir}\nThe monitoring notice is shown when the agent first runs: seatwatch-agent run\n`,
  );
  return 0;
}

async function runCommand(deps: CliDeps, args: readonly string[]): Promise<number> {
  const values = parse(args, {
    'page-port': { type: 'string' },
    'log-level': { type: 'string' },
    'service-manager': { type: 'string' },
  });
  if (values.help) return help(deps);
  const manager = values['service-manager'] as string | undefined;
  if (manager !== undefined && !['systemd', ...NO_EXIT_CODE_FILTER].includes(manager))
    throw new UsageError('--service-manager must be systemd, launchd or task-scheduler');
  const stateDir = stateDirOf(deps, values);
  const pagePort = values['page-port'] === undefined ? DEFAULT_PAGE_PORT : Number(values['page-port']);
  if (!Number.isInteger(pagePort) || pagePort < 0 || pagePort > 65535)
    throw new UsageError('--page-port must be 0–65535');
  const level = (values['log-level'] as string | undefined) ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(level))
    throw new UsageError('--log-level must be debug, info, warn or error');
  const identity = loadIdentity(stateDir);
  const log = jsonLineLogger((line) => deps.stderr.write(line), level as LogLevel, deps.now);
  // Loaded here, not at the top: status and notice start faster without the agent's modules.
  const { createAgent } = await import('./agent.js');
  // Before the probes start helpers: end any a killed run left behind, then record this run's.
  const stopHelperRecord = (await import('./collectors/helper-record.js')).keepHelperRecord(stateDir, log);
  const collectors = await deps.probeCollectors();
  for (const [name, probe] of Object.entries(collectors)) {
    if (!probe.ok) log.log('warn', 'collector unavailable', { collector: name, reason: probe.reason });
  }
  const agent = createAgent({
    stateDir,
    identity,
    collectors,
    osUser: deps.osUser,
    log,
    terminal: deps.stdout,
    desktopNotifier: deps.desktopNotifier(),
    ...noticeChannelDeps(deps.noticeChannels(stateDir)),
    page: { port: pagePort },
    ...(deps.releaseMemory ? { releaseMemory: deps.releaseMemory } : {}),
  });
  const finished = new Promise<number>((resolve) => {
    deps.onStop((reason, detail) => {
      agent.stop(reason, detail).then(
        () => resolve(0),
        () => resolve(1),
      );
    });
    agent.events.on('revoked', () => {
      deps.stderr.write('seatwatch-agent: this agent was revoked by an administrator; it stops now.\n');
      agent.stop('revoked', 'revoked by the server').then(() => resolve(3));
    });
  });
  await agent.start();
  deps.stdout.write(
    `Seatwatch agent ${AGENT_VERSION} running. Local page: ${agent.pageUrl ?? '(not available)'}\n`,
  );
  return finished.finally(stopHelperRecord);
}

function noticeChannelDeps(selected: SelectedNoticeChannels) {
  return { noticeChannels: selected.channels, noDialogReason: selected.noDialogReason };
}

function statusCommand(deps: CliDeps, args: readonly string[]): number {
  const values = parse(args, { json: { type: 'boolean' } });
  if (values.help) return help(deps);
  const stateDir = stateDirOf(deps, values);
  const enrolled = isEnrolled(stateDir);
  const status = enrolled ? readStatusFile(stateDir) : null;
  const running = status !== null && status.stopped === null && isProcessAlive(status.pid);
  if (values.json) {
    deps.stdout.write(`${JSON.stringify({ stateDir, enrolled, running, status }, null, 2)}\n`);
    return enrolled ? 0 : 2;
  }
  if (!enrolled) {
    deps.stdout.write(`Not enrolled (state folder ${stateDir}).\n`);
    return 2;
  }
  deps.stdout.write(renderStatus(stateDir, running, status));
  return 0;
}

function renderStatus(stateDir: string, running: boolean, status: AgentStatus | null): string {
  const when = (ms: number) => new Date(ms).toISOString();
  const lines = [`Enrolled: yes (state folder ${stateDir})`];
  if (!status) {
    lines.push('Running: no (the agent has not run yet)');
    return `${lines.join('\n')}\n`;
  }
  lines.push(
    `Agent: ${status.agentId}${status.seat ? ` (seat ${status.seat})` : ''}, version ${status.agentVersion}, server ${status.server}`,
  );
  lines.push(
    running
      ? `Running: yes (pid ${status.pid}, since ${when(status.startedAt)})`
      : `Running: no (last seen ${when(status.updatedAt)}${status.stopped ? `, stopped: ${status.stopped.reason}` : ', it did not stop cleanly'})`,
  );
  const c = status.connection;
  lines.push(
    `Connected: ${running && c.state === 'connected' ? `yes${c.connectedAt ? `, since ${when(c.connectedAt)}` : ''}` : `no (${running ? c.state : 'not running'})`}${c.explanation ? ` — ${c.explanation}` : ''}`,
  );
  if (running && c.retryAt) lines.push(`Next attempt: ${when(c.retryAt)}`);
  const o = status.outbox;
  // lastAckAt is this run's: after a restart the acknowledged seq is older than it (issue #12: "at never").
  const acked =
    o.lastAckAt !== null
      ? `last acknowledged seq ${o.ackedSeq} at ${when(o.lastAckAt)}`
      : o.ackedSeq === 0
        ? 'nothing acknowledged yet'
        : `last acknowledged seq ${o.ackedSeq}, before the start at ${when(status.startedAt)}; nothing acknowledged since (${running ? (c.state === 'connected' ? 'connected, waiting for the first acknowledgement' : 'not connected since start') : 'that run never connected'})`;
  lines.push(`Outbox: ${o.depth} item(s), ${o.bytes} bytes waiting; ${acked}`);
  if (o.droppedSinceStart > 0) lines.push(`Dropped since start (outbox full): ${o.droppedSinceStart}`);
  lines.push(
    `Notice: version ${status.notice.version}, ${status.notice.shownAt ? `shown ${when(status.notice.shownAt)}` : status.notice.waiting ? 'waiting for the operator to confirm it' : 'not shown yet'}${status.notice.shownVia.length ? ` via ${status.notice.shownVia.join(', ')}` : ''}${status.notice.confirmedVia ? `, confirmed (${status.notice.confirmedVia})` : ''}`,
  );
  lines.push('Collected now:');
  for (const [name, s] of Object.entries(status.collectors))
    lines.push(`  ${name}: ${s.state} — ${s.detail}`);
  lines.push(
    status.paused.length
      ? `Paused or unavailable:\n${status.paused.map((p) => `  - ${p}`).join('\n')}`
      : 'Nothing is paused.',
  );
  if (status.pageUrl) lines.push(`Local page: ${status.pageUrl}`);
  return `${lines.join('\n')}\n`;
}

function noticeCommand(deps: CliDeps, args: readonly string[]): number {
  const values = parse(args, {});
  if (values.help) return help(deps);
  const stateDir = stateDirOf(deps, values);
  const { identity } = loadIdentity(stateDir);
  const shown = loadNoticeState(stateDir);
  const pageUrl = readStatusFile(stateDir)?.pageUrl ?? null;
  deps.stdout.write(`${fullNoticeText(identity.notice, identity.policy, pageUrl)}\n`);
  deps.stdout.write(
    shown?.version === identity.notice.version
      ? `\n(This version was shown on ${new Date(shown.shownAt).toISOString()} to ${shown.osUser}.)\n`
      : '\n(This version has not been shown by the running agent yet; it will be at its next start.)\n',
  );
  return 0;
}

async function unenrollCommand(deps: CliDeps, args: readonly string[]): Promise<number> {
  const values = parse(args, {});
  if (values.help) return help(deps);
  const stateDir = stateDirOf(deps, values);
  if (!isEnrolled(stateDir)) throw new NotEnrolledError(stateDir);
  const status = readStatusFile(stateDir);
  if (status && status.stopped === null && isProcessAlive(status.pid)) {
    throw new StateError(
      `the agent is running (pid ${status.pid}); stop it (or its service) first, then unenroll`,
    );
  }
  let delivered = 'nothing was delivered (the collector was not reachable)';
  try {
    const loaded = loadIdentity(stateDir);
    if (!loaded.identity.revoked) delivered = await deliverAndSayGoodbye(deps, stateDir, loaded);
  } catch (error) {
    delivered = `nothing was delivered (${error instanceof Error ? error.message : String(error)})`;
  }
  const { leftOver } = removeState(stateDir);
  const removed = leftOver.length
    ? `the agent state in ${stateDir} is removed (the folder stays: it also holds ${leftOver.join(', ')}, which the agent did not write)`
    : `the agent state folder ${stateDir} is removed`;
  deps.stdout.write(
    `Unenrolled: ${removed}; ${delivered}.\nAsk an administrator to revoke this agent on the server.\n`,
  );
  return 0;
}

/** A short session without collection: flushes the outbox and sends "stopping: unenroll". */
async function deliverAndSayGoodbye(
  deps: CliDeps,
  stateDir: string,
  loaded: ReturnType<typeof loadIdentity>,
): Promise<string> {
  const off = unavailable<never>('unenrolling: nothing is collected');
  const { createAgent } = await import('./agent.js');
  const agent: Agent = createAgent({
    stateDir,
    identity: loaded,
    collectors: { activeWindow: off, idleTime: off, screen: off, encoder: off, devices: off, network: off },
    osUser: deps.osUser,
    mode: 'deliver-only',
    page: null,
  });
  const connected = agent.events.waitFor('connected', undefined, 10_000).then(
    () => true,
    () => false,
  );
  await agent.start();
  const ok = await connected;
  await agent.stop('unenroll', 'seatwatch-agent unenroll');
  const { depth } = agent.outbox;
  return ok && depth === 0
    ? 'everything queued was delivered first'
    : `${depth} queued item(s) could not be delivered and are discarded`;
}

function help(deps: CliDeps): number {
  deps.stdout.write(USAGE);
  return 0;
}
