/**
 * The record of helper processes in the state folder (`helpers.json`), so a
 * run can end what a killed one left behind (issue #12). The wrapper of
 * line-helper.ts ends a helper when the agent dies; this covers the case
 * where the wrapper was killed as well. A recorded process is ended only if
 * its command line (/proc/<pid>/cmdline) is still exactly the one recorded:
 * a pid reused by anything else is left alone. Linux only (where the
 * wrappers and /proc exist); elsewhere there is nothing to compare with.
 */
import fs from 'node:fs';
import path from 'node:path';
import { STATE_FILES } from '../identity/state-dir.js';
import { writeFileAtomic } from '../runtime/atomic-file.js';
import type { Logger } from '../runtime/logger.js';
import { endIfOurs, type HelperProcess, helperProcesses, onHelpersChanged } from './line-helper.js';

function readRecord(file: string): HelperProcess[] {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { helpers?: unknown };
    if (!Array.isArray(parsed.helpers)) return [];
    return parsed.helpers.filter(
      (h): h is HelperProcess =>
        typeof h === 'object' &&
        h !== null &&
        Number.isInteger((h as HelperProcess).pid) &&
        (h as HelperProcess).pid > 1 &&
        Array.isArray((h as HelperProcess).argv) &&
        (h as HelperProcess).argv.every((a) => typeof a === 'string'),
    );
  } catch {
    // None recorded (first run, or a clean stop removed it).
    return [];
  }
}

/**
 * At `run`, before any helper starts: ends the helpers a previous run left
 * running, then keeps the record of this run's helpers up to date. The
 * returned function stops recording and removes the record (a clean stop
 * leaves no helper behind).
 */
export function keepHelperRecord(stateDir: string, log: Logger): () => void {
  const file = path.join(stateDir, STATE_FILES.helpers);
  for (const left of readRecord(file)) {
    if (endIfOurs(left))
      log.log('warn', 'ended a helper process left by a previous run', { pid: left.pid, argv: left.argv });
  }
  const write = () => {
    try {
      writeFileAtomic(file, `${JSON.stringify({ helpers: helperProcesses() })}\n`);
    } catch (error) {
      log.log('warn', 'could not record the helper processes', { error: String(error) });
    }
  };
  write();
  const unsubscribe = onHelpersChanged(write);
  return () => {
    unsubscribe();
    fs.rmSync(file, { force: true });
  };
}
