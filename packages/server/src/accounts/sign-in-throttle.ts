/**
 * Sign-in throttling (issue #13), as pure arithmetic. It replaces a lock
 * that anyone could trigger: failures are counted per (user name, client
 * IP), so someone guessing from one address slows down only their own
 * guesses on that name, and the account's owner signs in from anywhere else
 * as usual. The first FREE_FAILURES failures cost nothing (typos); each one
 * after them doubles the wait before the next attempt is checked, from
 * BASE_DELAY_MS up to MAX_DELAY_MS. A success clears the pair; a pair with no
 * failure for FORGET_MS starts afresh.
 *
 * An IPv6 client counts by its /64 (throttleSource): one subscriber or host
 * usually holds a whole /64, and keying by the full address would hand an
 * attacker 2^64 fresh starts.
 */
import ipaddr from 'ipaddr.js';
export const FREE_FAILURES = 3;
export const BASE_DELAY_MS = 2_000;
export const MAX_DELAY_MS = 15 * 60_000;
export const FORGET_MS = 24 * 3_600_000;

export interface ThrottleState {
  readonly failures: number;
  readonly lastFailureAt: number;
  readonly nextAttemptAt: number;
}

/** The wait after the `failures`-th failure in a row. */
export function delayAfter(failures: number): number {
  if (failures < FREE_FAILURES) return 0;
  // 2^24 * 2 s is far past the cap; bounding the exponent keeps the number finite.
  return Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(failures - FREE_FAILURES, 24));
}

/** A state too old to count is no state at all. */
export function current(state: ThrottleState | null, now: number): ThrottleState | null {
  return state !== null && now - state.lastFailureAt < FORGET_MS ? state : null;
}

/** Milliseconds until an attempt may be checked (0: now). */
export function waitBefore(state: ThrottleState | null, now: number): number {
  const live = current(state, now);
  return live === null ? 0 : Math.max(0, live.nextAttemptAt - now);
}

/** Whether this pair is throttled: it has used its free failures and still counts. */
export function isThrottled(state: ThrottleState | null, now: number): boolean {
  const live = current(state, now);
  return live !== null && live.failures >= FREE_FAILURES;
}

/** When the next attempt after the `failures`-th failure at `now` may be checked. */
export function nextAttemptAfter(failures: number, now: number): number {
  return now + delayAfter(failures);
}

/** The address a throttle is kept for: an IPv4 address itself, an IPv6 address's /64 network. */
export function throttleSource(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return address.toString();
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/64`).toString()}/64`;
}
