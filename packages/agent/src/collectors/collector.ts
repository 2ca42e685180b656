/** What every collector gets from the agent, and what it reports back. */
import type { Event, Policy } from '@seatwatch/shared';
import type { Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';

export interface CollectorContext {
  readonly clock: Clock;
  readonly random: () => number;
  readonly log: Logger;
  policy(): Readonly<Policy>;
  /** Queues an event for the next batch. */
  emit(event: Event): void;
  /** A failure of this collector, reported to the server as an agent_error event (rate-limited). */
  reportError(collector: string, error: unknown): void;
}

export type CollectorStateName = 'running' | 'paused' | 'unavailable' | 'stopped';

export interface CollectorStatus {
  readonly state: CollectorStateName;
  /** What is collected and how often, or why not. */
  readonly detail: string;
}

export interface Collector {
  readonly name: string;
  start(): void;
  /** Flushes what it holds (an open span, say) and stops its timers. */
  stop(): void;
  status(): CollectorStatus;
}
