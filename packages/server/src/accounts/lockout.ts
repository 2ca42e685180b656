/**
 * Temporary lockout after repeated failed sign-ins, as a pure state machine
 * (the state lives on the user row, so every server process sees it).
 * After MAX_FAILURES consecutive failures the account is locked for
 * LOCK_MS; a success clears the count.
 */
export interface LockoutState {
  readonly failedAttempts: number;
  readonly lockedUntil: number | null;
}

export const MAX_FAILURES = 5;
export const LOCK_MS = 15 * 60_000;

export function isLocked(state: LockoutState, now: number): boolean {
  return state.lockedUntil !== null && state.lockedUntil > now;
}

export function afterFailure(state: LockoutState, now: number): LockoutState {
  // A lock that has run out starts a fresh count.
  const previous = state.lockedUntil !== null && state.lockedUntil <= now ? 0 : state.failedAttempts;
  const failedAttempts = previous + 1;
  return {
    failedAttempts,
    lockedUntil: failedAttempts >= MAX_FAILURES ? now + LOCK_MS : state.lockedUntil,
  };
}

export function afterSuccess(): LockoutState {
  return { failedAttempts: 0, lockedUntil: null };
}
