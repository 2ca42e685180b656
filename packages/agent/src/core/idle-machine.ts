/**
 * The seat's presence state from the OS input-idle time, the screen-lock
 * flag (when the OS tells it) and the policy's idle threshold.
 */
export type PresenceState = 'active' | 'idle' | 'locked';

export interface IdleReading {
  /** Milliseconds since the last keyboard or mouse input. */
  readonly idleMs: number;
  /** True/false where the OS tells it, null where it cannot. */
  readonly locked: boolean | null;
}

export interface PresenceChange {
  readonly state: PresenceState;
  /** When the change happened: the last input for idle/active, now for a lock change. */
  readonly time: number;
  readonly idleMs: number;
}

export function presenceOf(reading: IdleReading, idleThresholdMs: number): PresenceState {
  if (reading.locked === true) return 'locked';
  return reading.idleMs >= idleThresholdMs ? 'idle' : 'active';
}

/**
 * Next state, or null when it did not change. `lastChangeTime` keeps event
 * times from going backwards when the OS idle counter is reset oddly.
 */
export function nextPresence(
  current: PresenceState | null,
  reading: IdleReading,
  now: number,
  idleThresholdMs: number,
  lastChangeTime: number,
): PresenceChange | null {
  const state = presenceOf(reading, idleThresholdMs);
  if (state === current) return null;
  const idleMs = Math.max(0, Math.round(reading.idleMs));
  // Idle and active date from the last input; a lock dates from when we saw it.
  const at = state === 'locked' || current === 'locked' || current === null ? now : now - idleMs;
  return { state, time: Math.max(lastChangeTime, Math.min(now, at)), idleMs };
}
