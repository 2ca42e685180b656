/**
 * Time for the anomaly engine and the alert dispatcher: the clock and the
 * timers for things that did not happen (silence, long idle, a close with
 * no stop event, a retry that is due). Passed in, so tests move a fake clock
 * instead of sleeping.
 */
export interface Scheduler {
  now(): number;
  /** Calls `run` every `ms` until the returned function is called. */
  every(ms: number, run: () => void): () => void;
  /** Calls `run` once after `ms` unless the returned function is called first. */
  after(ms: number, run: () => void): () => void;
}

/** Real timers; they never keep the process alive on their own. */
export function systemScheduler(now: () => number = Date.now): Scheduler {
  return {
    now,
    every(ms, run) {
      const timer = setInterval(run, ms);
      timer.unref();
      return () => clearInterval(timer);
    },
    after(ms, run) {
      const timer = setTimeout(run, ms);
      timer.unref();
      return () => clearTimeout(timer);
    },
  };
}
