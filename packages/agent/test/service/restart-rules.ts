/**
 * What each service manager does when the agent's process ends, written from
 * the managers' manuals (systemd.service(5), launchd.plist(5), Task
 * Scheduler's RestartOnFailure), read from the parsed definition. A setting
 * these models do not know makes them throw, so a definition cannot drift
 * into something the tests would misjudge.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parse as parsePlist } from 'plist';
import { exitCodeForServiceManager } from '../../src/cli.js';

/** How the agent's process ended: an exit code, or a signal it did not handle. */
export type Outcome = { exit: number } | { signal: 'SIGSEGV' | 'SIGABRT' | 'SIGKILL' | 'SIGTERM' };

// --- systemd ---------------------------------------------------------------

export type UnitFile = Map<string, Map<string, string[]>>;

/** systemd's unit syntax: [Section], Key=value, # and ; comments, repeated keys accumulate, an empty value resets. */
export function parseUnit(text: string): UnitFile {
  const sections: UnitFile = new Map();
  let current: Map<string, string[]> | null = null;
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[([^\]]+)\]$/.exec(line);
    if (section) {
      current = sections.get(section[1]!) ?? new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current === null || eq <= 0)
      throw new Error(`unit line ${index + 1} is not Key=value in a section: ${raw}`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    current.set(key, value === '' ? [] : [...(current.get(key) ?? []), value]);
  }
  return sections;
}

export function unitValue(unit: UnitFile, section: string, key: string): string | undefined {
  return unit.get(section)?.get(key)?.at(-1);
}

function unitList(unit: UnitFile, section: string, key: string): string[] {
  return (unit.get(section)?.get(key) ?? []).flatMap((value) => value.split(/\s+/));
}

// systemd.service(5): for Restart=on-failure these signals end a service cleanly.
const SYSTEMD_CLEAN_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGPIPE'];
const ABORT_SIGNALS = ['SIGSEGV', 'SIGABRT', 'SIGKILL'];

export function systemdRestarts(unit: UnitFile, outcome: Outcome): boolean {
  const known = new Set(['Restart', 'RestartSec', 'RestartPreventExitStatus', 'SuccessExitStatus']);
  for (const key of unit.get('Service')?.keys() ?? []) {
    if (/^Restart|ExitStatus$/.test(key) && !known.has(key)) throw new Error(`not modelled: ${key}`);
  }
  const restart = unitValue(unit, 'Service', 'Restart') ?? 'no';
  const prevent = unitList(unit, 'Service', 'RestartPreventExitStatus');
  const success = ['0', ...unitList(unit, 'Service', 'SuccessExitStatus')];
  const status = 'exit' in outcome ? String(outcome.exit) : outcome.signal;
  if (prevent.includes(status)) return false;
  const clean = 'exit' in outcome ? success.includes(status) : SYSTEMD_CLEAN_SIGNALS.includes(status);
  switch (restart) {
    case 'no':
      return false;
    case 'always':
      return true;
    case 'on-success':
      return clean;
    case 'on-failure':
      return !clean;
    case 'on-abnormal':
      return 'signal' in outcome && !clean;
    case 'on-abort':
      return 'signal' in outcome && ABORT_SIGNALS.includes(outcome.signal);
    default:
      throw new Error(`not modelled: Restart=${restart}`);
  }
}

/** The arguments the agent itself receives from a unit's ExecStart (after main.js). */
export function unitAgentArgs(unit: UnitFile): string[] {
  return agentArgs((unitValue(unit, 'Service', 'ExecStart') ?? '').split(/\s+/));
}

// --- launchd ---------------------------------------------------------------

export type Plist = Record<string, unknown>;

export function parseLaunchdPlist(text: string): Plist {
  const value = parsePlist(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('plist is not a dict');
  return value as Plist;
}

// launchd.plist(5): "Crashed" means a signal typically associated with a crash.
const CRASH_SIGNALS = ['SIGILL', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGABRT', 'SIGTRAP', 'SIGSYS'];

export function launchdRestarts(job: Plist, outcome: Outcome): boolean {
  const keepAlive = job.KeepAlive;
  if (keepAlive === undefined || typeof keepAlive === 'boolean') return keepAlive === true;
  if (typeof keepAlive !== 'object' || keepAlive === null)
    throw new Error('KeepAlive is neither bool nor dict');
  const conditions = keepAlive as Record<string, unknown>;
  for (const key of Object.keys(conditions)) {
    if (key !== 'SuccessfulExit' && key !== 'Crashed') throw new Error(`not modelled: KeepAlive.${key}`);
  }
  const args = agentArgs(job.ProgramArguments as string[]);
  // What launchd sees: the agent's own exit code, after its --service-manager mapping.
  const exitedZero = 'exit' in outcome && exitCodeForServiceManager(args, outcome.exit).code === 0;
  const crashed = 'signal' in outcome && CRASH_SIGNALS.includes(outcome.signal);
  const { SuccessfulExit, Crashed } = conditions;
  if (typeof SuccessfulExit === 'boolean' && exitedZero === SuccessfulExit) return true;
  if (typeof Crashed === 'boolean' && crashed === Crashed) return true;
  return false;
}

// --- Task Scheduler ----------------------------------------------------------

export function parseTaskXml(text: string): Record<string, unknown> {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new Error(`task XML does not parse: ${valid.err.msg} (line ${valid.err.line})`);
  // Values stay strings ("PT1M", "10"), as Task Scheduler's schema types them.
  return new XMLParser({ ignoreAttributes: false, parseTagValue: false }).parse(text) as Record<
    string,
    unknown
  >;
}

export interface TaskDefinition {
  readonly settings: Record<string, unknown>;
  readonly exec: { Command: string; Arguments: string };
}

export function taskDefinition(xml: Record<string, unknown>): TaskDefinition {
  const task = xml.Task as Record<string, unknown>;
  const actions = task.Actions as Record<string, unknown>;
  return { settings: task.Settings as Record<string, unknown>, exec: actions.Exec as TaskDefinition['exec'] };
}

/** An ISO 8601 duration as Task Scheduler writes it (PT1M, PT10S, P1D) in seconds. */
export function isoDurationSeconds(duration: string): number {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(duration);
  if (!match) throw new Error(`not an ISO 8601 duration: ${duration}`);
  const [, d = '0', h = '0', m = '0', s = '0'] = match;
  return ((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(s);
}

/** Windows command-line words: spaces split, double quotes group (enough for our Arguments). */
export function windowsArgs(commandLine: string): string[] {
  return [...commandLine.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

/**
 * Task Scheduler documents RestartOnFailure as "if the task fails". Whether a
 * non-zero exit code of the action counts as a failure is not documented
 * clearly, so this model takes the reading that restarts most: any non-zero
 * exit or crash is a failure. The agent's 2 and 3 must then arrive as 0.
 */
export function taskSchedulerRestarts(task: TaskDefinition, outcome: Outcome): boolean {
  const onFailure = task.settings.RestartOnFailure as { Interval?: string; Count?: string } | undefined;
  if (onFailure === undefined || Number(onFailure.Count ?? 0) === 0) return false;
  if ('signal' in outcome) return true;
  const args = agentArgs(windowsArgs(task.exec.Arguments));
  return exitCodeForServiceManager(args, outcome.exit).code !== 0;
}

/**
 * The agent's own arguments in a command line: after main.js, or after the
 * packaged wrapper (bin/seatwatch-agent), which passes its arguments on.
 */
export function agentArgs(words: readonly string[]): string[] {
  const main = words.findIndex((word) => /[\\/]main\.js$|[\\/]bin[\\/]seatwatch-agent$/.test(word));
  if (main < 0) throw new Error(`no main.js or seatwatch-agent among ${JSON.stringify(words)}`);
  return words.slice(main + 1);
}
