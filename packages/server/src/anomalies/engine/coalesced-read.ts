/**
 * One statement for the same question asked about many agents (issue #15,
 * the connect storm). After a collector restart thousands of hellos each
 * asked the rules engine's questions (the seat's stored state and last
 * hellos, the OS user's other seats and desktop sessions, the anomalies
 * its return ends) in statements of their own: five round trips a hello,
 * more than the hello itself made. As in occurrence-batcher.ts, a lone
 * call goes after the current turn of the event loop (which gathers what
 * one turn's hellos asked), and calls made while a statement is in flight
 * wait for it and then go together.
 *
 * A failed statement fails every call it answered: each is a read or an
 * idempotent write that the caller's own error path handles, as before.
 */

/** What the engine's coalesced statements take at most: agents' ids or questions, in one JSON parameter. */
export const MAX_AGENTS_PER_STATEMENT = 500;

/** `many(keys)` answers keys[i] at index i. */
export function coalesce<K, V>(
  many: (keys: readonly K[]) => Promise<readonly V[]>,
  /** Keys per statement at most (each goes into one JSON parameter). */
  maxPerStatement: number,
): (key: K) => Promise<V> {
  let queue: Array<{ key: K; resolve: (value: V) => void; reject: (error: unknown) => void }> = [];
  /** A statement in flight, or one scheduled for the end of this turn. */
  let busy = false;

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxPerStatement);
      queue = queue.slice(batch.length);
      try {
        const values = await many(batch.map((waiting) => waiting.key));
        for (const [i, waiting] of batch.entries()) waiting.resolve(values[i]!);
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
    busy = false;
  }

  return (key) =>
    new Promise<V>((resolve, reject) => {
      queue.push({ key, resolve, reject });
      if (busy) return;
      busy = true;
      setImmediate(() => void drain());
    });
}
