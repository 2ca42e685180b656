/**
 * Active / idle / locked from the OS input-idle time and the policy's idle
 * threshold (core/idle-machine.ts), read once a second from the adapter's
 * cached reading. Sends a status event on every change.
 */
import { nextPresence, type PresenceState } from '../../core/idle-machine.js';
import type { Collector, CollectorContext } from '../collector.js';
import { pollPort, READ_FAILED } from '../port-poller.js';
import type { Probe } from '../probe.js';
import type { IdleTimePort } from './idle-time.port.js';

const READ_EVERY_MS = 1000;

export interface IdleCollector extends Collector {
  presence(): PresenceState | null;
}

export function createIdleCollector(ctx: CollectorContext, probe: Probe<IdleTimePort>): IdleCollector {
  const poller = pollPort(ctx, 'idle', probe);
  let state: PresenceState | null = null;
  let lastChange = 0;

  const tick = async () => {
    const reading = await poller.read((port) => port.read(), 5000, 'idle time');
    if (reading === READ_FAILED) return;
    const change = nextPresence(state, reading, ctx.clock.now(), ctx.policy().idleThresholdMs, lastChange);
    if (!change) return;
    state = change.state;
    lastChange = change.time;
    ctx.emit({ type: 'status', time: change.time, state: change.state, idleMs: change.idleMs });
  };

  return {
    name: 'idle',
    start: () => poller.start(() => READ_EVERY_MS, tick),
    stop() {
      poller.stop();
      // A restart reports the state afresh.
      state = null;
    },
    status: () =>
      poller.status(
        (port) =>
          `active/idle (idle after ${Math.round(ctx.policy().idleThresholdMs / 1000)} s without input) and screen lock, via ${port.name}; now ${state ?? 'unknown'}`,
      ),
    presence: () => state,
  };
}
