/**
 * Group commit for anomaly occurrences. Under load, many agents' frames
 * raise occurrences of anomalies that are already open (a deny-listed app
 * still in front, the same unapproved receiver plugged in again); written
 * one statement each, those round trips were most of what the rules engine
 * added to the cost of ingest. Here the occurrences that arrive while a
 * write is in flight wait for it and then go together, as one statement
 * (AnomalyRecorder.recordMany): a lone occurrence is written at once (after
 * the current turn of the event loop, which gathers what one committed
 * batch of frames raised), a burst in as few statements as it takes.
 *
 * If a combined write fails, each caller's occurrences are tried on their
 * own, so one bad occurrence cannot take the others down with it.
 */
import type { Db } from '../../db/connect.js';
import type { RaisedAnomaly } from '../../ingest/anomaly-port.js';
import type { AnomalyRecorder, Occurrence } from './anomaly-recorder.js';

export interface OccurrenceBatcher {
  /** Resolves once written: the answer at index i is for occurrences[i] (null: the rule is off). */
  record(occurrences: readonly Occurrence[]): Promise<(RaisedAnomaly | null)[]>;
}

interface Waiting {
  readonly occurrences: readonly Occurrence[];
  readonly resolve: (raised: (RaisedAnomaly | null)[]) => void;
  readonly reject: (error: unknown) => void;
}

export function createOccurrenceBatcher(deps: {
  db: Db;
  recorder: Pick<AnomalyRecorder, 'recordMany'>;
  /** Occurrences per statement at most (each is 14 parameters; PostgreSQL allows 65,535). */
  maxPerStatement: number;
}): OccurrenceBatcher {
  const { db, recorder, maxPerStatement } = deps;
  let queue: Waiting[] = [];
  /** A write in flight, or one scheduled for the end of this turn. */
  let busy = false;

  function take(): Waiting[] {
    let rows = 0;
    let n = 0;
    while (n < queue.length && (n === 0 || rows + queue[n]!.occurrences.length <= maxPerStatement)) {
      rows += queue[n]!.occurrences.length;
      n++;
    }
    const taken = queue.slice(0, n);
    queue = queue.slice(n);
    return taken;
  }

  async function write(batch: Waiting[]): Promise<void> {
    try {
      const raised = await recorder.recordMany(
        db,
        batch.flatMap((w) => w.occurrences),
      );
      let at = 0;
      for (const waiting of batch) {
        waiting.resolve(raised.slice(at, at + waiting.occurrences.length));
        at += waiting.occurrences.length;
      }
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const waiting of batch) {
        await recorder.recordMany(db, waiting.occurrences).then(waiting.resolve, waiting.reject);
      }
    }
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) await write(take());
    busy = false;
  }

  return {
    record(occurrences) {
      if (occurrences.length === 0) return Promise.resolve([]);
      return new Promise((resolve, reject) => {
        queue.push({ occurrences, resolve, reject });
        if (busy) return;
        busy = true;
        setImmediate(() => void drain());
      });
    },
  };
}
