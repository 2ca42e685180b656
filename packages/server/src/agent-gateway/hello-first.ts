/**
 * Hellos before data frames (issue #15, the connect storm). After a
 * collector restart thousands of agents come back within seconds, and each
 * resends what it holds as soon as it is welcomed. Handled in arrival order,
 * the hellos of the agents still outside queue behind the resent frames of
 * those already in (their verification on this one thread, their commits in
 * PostgreSQL): handshakes took 10 s where hellos alone take a tenth of one.
 *
 * So while this process is handling a hello, data frames wait before they
 * are verified; a frame that waits makes no new work, and the socket pauses
 * once enough wait behind it (AgentConnection's backpressure). A wait ends
 * when no hello is left, or after maxHoldMs: a stream of hellos, real or
 * bogus, can delay data but never stop it.
 */

export interface HelloFirst {
  /** A hello arrived on a connection: frames wait from now until it is handled. */
  helloStarted(): void;
  /** That hello was answered (welcomed or refused) or its connection closed. */
  helloEnded(): void;
  /** Null when a data frame may go on now; otherwise a promise that settles when it may. */
  room(): Promise<void> | null;
  /** Hellos being handled now. */
  readonly inFlight: number;
}

export interface HelloFirstTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const nodeTimers: HelloFirstTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export function createHelloFirst(maxHoldMs: number, timers: HelloFirstTimers = nodeTimers): HelloFirst {
  let inFlight = 0;
  /** The wait frames share, with what ends it; null while frames go on. */
  let gate: { promise: Promise<void>; open: () => void; timer: unknown } | null = null;

  const open = () => {
    if (!gate) return;
    const { open: release, timer } = gate;
    gate = null;
    timers.clearTimeout(timer);
    release();
  };

  return {
    helloStarted() {
      inFlight++;
    },
    helloEnded() {
      inFlight = Math.max(0, inFlight - 1);
      if (inFlight === 0) open();
    },
    room() {
      if (inFlight === 0) return null;
      if (!gate) {
        let release!: () => void;
        const promise = new Promise<void>((resolve) => {
          release = resolve;
        });
        gate = { promise, open: release, timer: timers.setTimeout(open, maxHoldMs) };
      }
      return gate.promise;
    },
    get inFlight() {
      return inFlight;
    },
  };
}
