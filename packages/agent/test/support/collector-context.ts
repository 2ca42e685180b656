/** A CollectorContext on a manual clock that records what collectors emit. */
import { DEFAULT_POLICY, type Event, type Policy } from '@seatwatch/shared';
import type { CollectorContext } from '../../src/collectors/collector.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { ManualClock } from './manual-clock.js';

export function testContext(policy: Partial<Policy> = {}) {
  const clock = new ManualClock();
  const events: Event[] = [];
  const errors: { collector: string; message: string }[] = [];
  let current: Policy = { ...DEFAULT_POLICY, ...policy };
  const ctx: CollectorContext = {
    clock,
    random: () => 0.5,
    log: silentLogger,
    policy: () => current,
    emit: (event) => events.push(event),
    reportError: (collector, error) =>
      errors.push({ collector, message: error instanceof Error ? error.message : String(error) }),
  };
  return {
    ctx,
    clock,
    events,
    errors,
    setPolicy(next: Partial<Policy>) {
      current = { ...current, ...next };
    },
  };
}
