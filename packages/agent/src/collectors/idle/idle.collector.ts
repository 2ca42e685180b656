/**
 * Active / idle / locked from the OS input-idle time and the policy's idle
 * threshold (core/idle-machine.ts), read once a second from the adapter's
 * cached reading. Sends a status event on every change.
 */
import { nextPresence, type PresenceState } from '../../core/idle-machine.js';
import { type Loop, startLoop } from '../../runtime/loop.js';
import type { Collector, CollectorContext, CollectorStatus } from '../collector.js';
import { type Probe, withTimeout } from '../probe.js';
import type { IdleTimePort } from './idle-time.port.js';

const READ_EVERY_MS = 1000;

export interface IdleCollector extends Collector {
  presence(): PresenceState | null;
}

export function createIdleCollector(ctx: CollectorContext, probe: Probe<IdleTimePort>): IdleCollector {
  let loop: Loop | null = null;
  let state: PresenceState | null = null;
  let lastChange = 0;
  let failing: string | null = null;

  const tick = async () => {
    if (!probe.ok) return;
    let reading: Awaited<ReturnType<IdleTimePort['read']>>;
    try {
      reading = await withTimeout(probe.port.read(), 5000, 'idle time');
      failing = null;
    } catch (error) {
      failing = error instanceof Error ? error.message : String(error);
      ctx.reportError('idle', error);
      return;
    }
    const change = nextPresence(state, reading, ctx.clock.now(), ctx.policy().idleThresholdMs, lastChange);
    if (!change) return;
    state = change.state;
    lastChange = change.time;
    ctx.emit({ type: 'status', time: change.time, state: change.state, idleMs: change.idleMs });
  };

  return {
    name: 'idle',
    start() {
      if (loop || !probe.ok) return;
      loop = startLoop(ctx.clock, () => READ_EVERY_MS, tick);
    },
    stop() {
      loop?.stop();
      loop = null;
      // A restart reports the state afresh.
      state = null;
    },
    status(): CollectorStatus {
      if (!probe.ok) return { state: 'unavailable', detail: probe.reason };
      if (!loop) return { state: 'stopped', detail: 'not collecting' };
      if (failing) return { state: 'unavailable', detail: `failing: ${failing}` };
      return {
        state: 'running',
        detail: `active/idle (idle after ${Math.round(ctx.policy().idleThresholdMs / 1000)} s without input) and screen lock, via ${probe.port.name}; now ${state ?? 'unknown'}`,
      };
    },
    presence: () => state,
  };
}
