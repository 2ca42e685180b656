/**
 * The service definitions in packages/agent/service/ follow docs/agent.md:
 * restart after a crash, never after exit code 2 (a person must fix the
 * state) or 3 (revoked). Each file is parsed with a real parser and judged by
 * its manager's documented rule (restart-rules.ts); nothing is run as a service.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isoDurationSeconds,
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

const SERVICE = path.join(import.meta.dirname, '../../service');
const read = (name: string) => fs.readFileSync(path.join(SERVICE, name), 'utf8');

const RULE: [string, Outcome, boolean][] = [
  ['a crash (SIGSEGV)', { signal: 'SIGSEGV' }, true],
  ['an abort (SIGABRT)', { signal: 'SIGABRT' }, true],
  ['an uncaught error (exit 1)', { exit: 1 }, true],
  ['a clean stop (exit 0)', { exit: 0 }, false],
  ['not enrolled, bad state or flags (exit 2)', { exit: 2 }, false],
  ['revoked (exit 3)', { exit: 3 }, false],
];

describe('systemd user unit (seatwatch-agent.service)', () => {
  const unit = parseUnit(read('seatwatch-agent.service'));

  it.each(RULE)('after %s, restarts: %s', (_what, outcome, restarts) => {
    expect(systemdRestarts(unit, outcome)).toBe(restarts);
  });

  it('waits between restarts and gives up on a crash loop', () => {
    expect(Number(unitValue(unit, 'Service', 'RestartSec'))).toBeGreaterThanOrEqual(5);
    const interval = Number(unitValue(unit, 'Unit', 'StartLimitIntervalSec'));
    const burst = Number(unitValue(unit, 'Unit', 'StartLimitBurst'));
    // The limit must be reachable at the restart pace, or it never stops a loop.
    expect(burst * Number(unitValue(unit, 'Service', 'RestartSec'))).toBeLessThan(interval);
    expect(burst).toBeGreaterThan(1);
  });

  it('runs the agent, which needs no mapping under systemd', () => {
    expect(unitAgentArgs(unit)[0]).toBe('run');
  });

  it('the rule is what RestartPreventExitStatus gives: without it, 2 and 3 would restart', () => {
    const unfiltered = parseUnit(
      read('seatwatch-agent.service').replace(/^RestartPreventExitStatus=.*$/m, ''),
    );
    expect(systemdRestarts(unfiltered, { exit: 2 })).toBe(true);
    expect(systemdRestarts(unfiltered, { exit: 3 })).toBe(true);
  });
});

describe('macOS LaunchAgent (com.seatwatch.agent.plist)', () => {
  const job = parseLaunchdPlist(read('com.seatwatch.agent.plist'));

  it.each(RULE)('after %s, restarts: %s', (_what, outcome, restarts) => {
    expect(launchdRestarts(job, outcome)).toBe(restarts);
  });

  it('runs the agent with the launchd mapping and at most one start per 10 s', () => {
    const args = job.ProgramArguments as string[];
    expect(args.slice(-3)).toEqual(['run', '--service-manager', 'launchd']);
    expect(job.ThrottleInterval).toBeGreaterThanOrEqual(10);
    expect(job.RunAtLoad).toBe(true);
  });

  it('the rule depends on the mapping: without the flag, 2 and 3 would restart', () => {
    const unmapped = { ...job, ProgramArguments: (job.ProgramArguments as string[]).slice(0, -2) };
    expect(launchdRestarts(unmapped, { exit: 2 })).toBe(true);
    expect(launchdRestarts(unmapped, { exit: 3 })).toBe(true);
  });
});

describe('Windows logon task (seatwatch-agent.task.xml)', () => {
  const task = taskDefinition(parseTaskXml(read('seatwatch-agent.task.xml')));

  it.each(RULE)('after %s, restarts: %s', (_what, outcome, restarts) => {
    expect(taskSchedulerRestarts(task, outcome)).toBe(restarts);
  });

  it('runs the agent with the task-scheduler mapping and a bounded, spaced retry', () => {
    expect(windowsArgs(task.exec.Arguments).slice(-3)).toEqual([
      'run',
      '--service-manager',
      'task-scheduler',
    ]);
    const onFailure = task.settings.RestartOnFailure as { Interval: string; Count: string };
    expect(isoDurationSeconds(onFailure.Interval)).toBeGreaterThanOrEqual(60);
    expect(Number(onFailure.Count)).toBeGreaterThan(0);
    expect(Number(onFailure.Count)).toBeLessThanOrEqual(10);
  });

  it('the rule depends on the mapping: without the flag, 2 and 3 would restart', () => {
    const unmapped = {
      ...task,
      exec: { ...task.exec, Arguments: task.exec.Arguments.replace(' --service-manager task-scheduler', '') },
    };
    expect(unmapped.exec.Arguments).not.toContain('--service-manager');
    expect(taskSchedulerRestarts(unmapped, { exit: 2 })).toBe(true);
    expect(taskSchedulerRestarts(unmapped, { exit: 3 })).toBe(true);
  });
});
