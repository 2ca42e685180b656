/**
 * A desktop session of a shared computer starting and ending, told with the
 * event kinds protocol v1 already has (docs/protocol.md, "Desktop sessions of
 * a shared computer"; issue #14): the machine service sends a `lifecycle`
 * event with this `detail`, attributed to the session's OS account like any
 * other event (the `network` event before it names the account). `starting`
 * (reason `start`) when the first session part of an account connects,
 * `stopping` (reason `logoff`) when its last one goes away. Any other
 * `lifecycle` event is the agent's own (the whole machine service's).
 */
import type { LifecycleEvent } from './events.js';

export const DESKTOP_SESSION_DETAIL = 'desktop session';

/** A lifecycle event that tells a desktop session's start or end, not the agent's own. */
export function isDesktopSessionLifecycle(event: {
  readonly type: string;
  readonly detail?: unknown;
}): boolean {
  return event.type === 'lifecycle' && event.detail === DESKTOP_SESSION_DETAIL;
}

export function desktopSessionLifecycle(
  phase: LifecycleEvent['phase'],
  time: number,
  agentVersion: string,
): LifecycleEvent {
  return {
    type: 'lifecycle',
    time,
    phase,
    reason: phase === 'starting' ? 'start' : 'logoff',
    detail: DESKTOP_SESSION_DETAIL,
    agentVersion,
  };
}
