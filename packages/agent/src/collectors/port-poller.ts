/**
 * What every collector that polls one port shares (activity, idle, devices,
 * network): the loop on the injected clock, never started without a port;
 * reads bounded by a timeout, whose failure is reported (collectors fail
 * alone, as data) and shown in the status until a read succeeds; and that
 * status.
 */
import { type Loop, startLoop } from '../runtime/loop.js';
import type { CollectorContext, CollectorStatus } from './collector.js';
import { errorMessage, type Probe, withTimeout } from './probe.js';

/** What `read` yields when the port failed or there is none. */
export const READ_FAILED: unique symbol = Symbol('read failed');

export interface PortPoller<T> {
  readonly running: boolean;
  /** Starts the loop; nothing happens while it runs or when there is no port. */
  start(intervalMs: () => number, tick: (port: T) => Promise<void>): void;
  stop(): void;
  read<R>(call: (port: T) => Promise<R>, timeoutMs: number, what: string): Promise<R | typeof READ_FAILED>;
  /** No port, not started, failing, or running as `running` describes it. */
  status(running: (port: T) => string): CollectorStatus;
}

export function pollPort<T>(ctx: CollectorContext, collector: string, probe: Probe<T>): PortPoller<T> {
  let loop: Loop | null = null;
  let failing: string | null = null;
  return {
    get running() {
      return loop !== null;
    },
    start(intervalMs, tick) {
      if (loop || !probe.ok) return;
      const { port } = probe;
      loop = startLoop(ctx.clock, intervalMs, () => tick(port));
    },
    stop() {
      loop?.stop();
      loop = null;
    },
    async read(call, timeoutMs, what) {
      if (!probe.ok) return READ_FAILED;
      try {
        const value = await withTimeout(call(probe.port), timeoutMs, what);
        failing = null;
        return value;
      } catch (error) {
        failing = errorMessage(error);
        ctx.reportError(collector, error);
        return READ_FAILED;
      }
    },
    status(running) {
      if (!probe.ok) return { state: 'unavailable', detail: probe.reason };
      if (!loop) return { state: 'stopped', detail: 'not collecting' };
      if (failing) return { state: 'unavailable', detail: `failing: ${failing}` };
      return { state: 'running', detail: running(probe.port) };
    },
  };
}
