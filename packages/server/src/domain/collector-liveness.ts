/**
 * When a collector process counts as dead (issue #15): it beats every
 * `heartbeatMs`; one whose last beat is older than `staleAfterMs` (by the
 * database's clock) was killed outright or lost its database, and the agents
 * it held are marked disconnected by a live one. The bound must leave room
 * for a few missed beats (a busy process, a slow commit), or a live process
 * would lose its seats to a late beat.
 */

/** Beats a process may miss before it counts as dead. */
export const MIN_MISSED_BEATS = 2;

export interface CollectorBeat {
  id: string;
  heartbeatAt: number;
}

/** Refuses a bound that would declare a live process dead after fewer than MIN_MISSED_BEATS missed beats. */
export function checkStaleBound(heartbeatMs: number, staleAfterMs: number): void {
  if (!(heartbeatMs > 0)) throw new RangeError(`the collector heartbeat must be positive (${heartbeatMs})`);
  if (staleAfterMs < heartbeatMs * (MIN_MISSED_BEATS + 1)) {
    throw new RangeError(
      `collector staleAfterMs (${staleAfterMs}) must be at least ${MIN_MISSED_BEATS + 1} heartbeats (${heartbeatMs * (MIN_MISSED_BEATS + 1)} ms)`,
    );
  }
}

/** True when the process's last beat is older than the bound. A beat from the future (clock read earlier) is fresh. */
export function isCollectorStale(heartbeatAt: number, now: number, staleAfterMs: number): boolean {
  return now - heartbeatAt > staleAfterMs;
}

/** The registered processes that are dead, never `self` (a process that can ask is alive). */
export function staleCollectors(
  beats: readonly CollectorBeat[],
  now: number,
  self: string,
  staleAfterMs: number,
): CollectorBeat[] {
  return beats.filter((beat) => beat.id !== self && isCollectorStale(beat.heartbeatAt, now, staleAfterMs));
}
