/**
 * "Sessions of this user just ended" (signed out, revoked, password changed,
 * account disabled or reset), told in this process to whoever holds
 * something open for a session: the live stream ends its connections at
 * once instead of at its next periodic check (issue #13). Listeners re-check
 * the sessions they hold; the database stays the truth.
 */
export type SessionEndedListener = (userId: string) => void;

export interface SessionEndings {
  ended(userId: string): void;
  /** Returns the function that unsubscribes. */
  onSessionsEnded(listener: SessionEndedListener): () => void;
}

export function createSessionEndings(onError: (error: unknown) => void = () => {}): SessionEndings {
  const listeners = new Set<SessionEndedListener>();
  return {
    ended(userId) {
      for (const listener of listeners) {
        try {
          listener(userId);
        } catch (error) {
          onError(error);
        }
      }
    },
    onSessionsEnded(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
