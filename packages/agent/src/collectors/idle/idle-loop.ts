/**
 * The shared shape of the idle adapters: a small OS command loops in a
 * long-lived helper and prints "<idleMs> <locked: 1|0|->" once a second; the
 * adapter reads the newest line. A stale line (helper hung) or a dead helper
 * is an error the collector reports, never a made-up reading.
 */
import type { IdleReading } from '../../core/idle-machine.js';
import { type LineHelper, startLineHelper } from '../line-helper.js';
import { available, errorMessage, type Probe, unavailable } from '../probe.js';
import type { IdleTimePort } from './idle-time.port.js';

const FIRST_LINE_TIMEOUT_MS = 8000;
const STALE_AFTER_MS = 10_000;

export function parseIdleLine(line: string): IdleReading | null {
  const [idle, lock] = line.trim().split(/\s+/);
  const idleMs = Number(idle);
  if (!idle || !Number.isFinite(idleMs) || idleMs < 0) return null;
  return { idleMs, locked: lock === '1' ? true : lock === '0' ? false : null };
}

export async function startIdleLoop(
  name: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  now: () => number = Date.now,
): Promise<Probe<IdleTimePort>> {
  let helper: LineHelper;
  try {
    helper = startLineHelper(command, args, { env, now });
  } catch (error) {
    return unavailable(`${name}: ${errorMessage(error)}`);
  }
  const first = await Promise.race([
    new Promise<'line'>((resolve) => {
      const poll = setInterval(() => {
        if (helper.latest()) {
          clearInterval(poll);
          resolve('line');
        }
      }, 50);
      helper.exited.then(() => clearInterval(poll));
    }),
    helper.exited.then((exit) => exit),
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), FIRST_LINE_TIMEOUT_MS).unref()),
  ]);
  if (first !== 'line' || !parseIdleLine(helper.latest()!.line)) {
    helper.close();
    const why =
      first === 'timeout'
        ? 'no reading within 8 s'
        : first === 'line'
          ? `unexpected output "${helper.latest()?.line.slice(0, 80)}"`
          : `exit ${first.code}: ${first.stderr || 'no output'}`;
    return unavailable(`${name} cannot read the idle time (${why})`);
  }
  return available({
    name,
    async read() {
      const latest = helper.latest();
      if (!helper.isRunning()) {
        const exit = await helper.exited;
        throw new Error(`${name} stopped (exit ${exit.code}): ${exit.stderr || 'no reason given'}`);
      }
      if (!latest || now() - latest.at > STALE_AFTER_MS)
        throw new Error(`${name} gave no reading for ${STALE_AFTER_MS} ms`);
      const reading = parseIdleLine(latest.line);
      if (!reading) throw new Error(`${name} printed "${latest.line.slice(0, 80)}"`);
      return reading;
    },
    close: () => helper.close(),
  });
}
