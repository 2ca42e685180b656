/**
 * An event emitter typed by a map of event names to payloads, with a
 * `waitFor` so a test (or the CLI) can await what the agent does instead of
 * polling it.
 */
import { EventEmitter } from 'node:events';

export interface TypedEvents<M> {
  on<K extends keyof M & string>(name: K, listener: (payload: M[K]) => void): void;
  off<K extends keyof M & string>(name: K, listener: (payload: M[K]) => void): void;
  /** Resolves with the next payload that matches (register before causing it), or rejects after `timeoutMs`. */
  waitFor<K extends keyof M & string>(
    name: K,
    predicate?: (payload: M[K]) => boolean,
    timeoutMs?: number,
  ): Promise<M[K]>;
}

/** `what` names the source in a timeout message ("agent" → `waiting for agent event "acked"`). */
export function createTypedEvents<M>(what: string): {
  readonly events: TypedEvents<M>;
  emit<K extends keyof M & string>(name: K, payload: M[K]): void;
} {
  const emitter = new EventEmitter();
  // Tests and the CLI may each hold a few waiters at once.
  emitter.setMaxListeners(100);
  const events: TypedEvents<M> = {
    on: (name, listener) => {
      emitter.on(name, listener as (payload: unknown) => void);
    },
    off: (name, listener) => {
      emitter.off(name, listener as (payload: unknown) => void);
    },
    waitFor: (name, predicate, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          emitter.off(name, listener);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} event "${name}"`));
        }, timeoutMs);
        const listener = (payload: M[typeof name]) => {
          if (predicate && !predicate(payload)) return;
          clearTimeout(timer);
          emitter.off(name, listener);
          resolve(payload);
        };
        emitter.on(name, listener);
      }),
  };
  return { events, emit: (name, payload) => emitter.emit(name, payload) };
}
