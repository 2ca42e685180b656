/** Time, passed in so that tests move a clock instead of sleeping. */
export interface TimerHandle {
  readonly id: unknown;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | null | undefined): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const id = setTimeout(fn, ms);
    // Timers must not keep a stopping agent alive; sockets and servers do that.
    id.unref();
    return { id };
  },
  clearTimeout: (handle) => {
    if (handle) clearTimeout(handle.id as NodeJS.Timeout);
  },
};
