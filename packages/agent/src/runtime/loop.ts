/**
 * A repeating task on the injected clock: runs `tick`, waits for it to settle,
 * then schedules the next run, so a slow OS call never piles up overlapping
 * runs. The interval is read before each wait, so a policy change applies
 * from the next tick on.
 */
import type { Clock, TimerHandle } from './clock.js';

export interface Loop {
  stop(): void;
}

export function startLoop(
  clock: Clock,
  intervalMs: () => number,
  tick: () => Promise<void>,
  firstDelayMs = 0,
): Loop {
  let timer: TimerHandle | null = null;
  let stopped = false;
  let running = false;
  const schedule = (ms: number) => {
    clock.clearTimeout(timer);
    timer = clock.setTimeout(run, ms);
  };
  const run = () => {
    if (stopped || running) return;
    running = true;
    tick()
      .catch(() => {})
      .finally(() => {
        running = false;
        if (!stopped) schedule(intervalMs());
      });
  };
  schedule(firstDelayMs);
  return {
    stop() {
      stopped = true;
      clock.clearTimeout(timer);
    },
  };
}
