/**
 * "Sessions of this user just ended" (signed out, revoked, password changed,
 * account disabled or reset), told to whoever holds something open for a
 * session: the live stream ends its connections at once instead of at its
 * next periodic check (issue #13). Listeners re-check the sessions they
 * hold; the database stays the truth.
 *
 * With a notification port the news also crosses processes (issue #15): a
 * dashboard's live stream may be held by another collector behind the load
 * balancer than the one that took the sign-out. This process's listeners
 * hear it at once, as before; the others hear it through a `session.ended`
 * notification (at most once, best effort: their periodic check stays the
 * bound when a notification is lost).
 */
import { randomUUID } from 'node:crypto';
import type { NotificationPort } from '../notifications/notification-port.js';

export type SessionEndedListener = (userId: string) => void;

export interface SessionEndings {
  ended(userId: string): void;
  /** Returns the function that unsubscribes. */
  onSessionsEnded(listener: SessionEndedListener): () => void;
}

export function createSessionEndings(
  deps: { notifications?: NotificationPort; onError?: (error: unknown) => void } = {},
): SessionEndings {
  const onError = deps.onError ?? (() => {});
  const listeners = new Set<SessionEndedListener>();
  // Tells this process's own notification apart from another's: its listeners heard it already.
  const origin = randomUUID();
  const tell = (userId: string) => {
    for (const listener of listeners) {
      try {
        listener(userId);
      } catch (error) {
        onError(error);
      }
    }
  };
  deps.notifications?.subscribe((notification) => {
    if (notification.topic === 'session.ended' && notification.origin !== origin) tell(notification.userId);
  });
  return {
    ended(userId) {
      tell(userId);
      deps.notifications?.publish({ topic: 'session.ended', userId, origin }).catch(onError);
    },
    onSessionsEnded(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
