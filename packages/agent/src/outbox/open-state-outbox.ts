/**
 * Opens the outbox in the state folder for the agent: a torn tail is cut and
 * logged, data dropped for room is logged and counted, and a corrupt journal
 * becomes a StateError telling the operator what to do about it.
 */
import path from 'node:path';
import { StateError } from '../identity/identity-store.js';
import { STATE_FILES } from '../identity/state-dir.js';
import type { Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';
import { Outbox, OutboxCorruptError } from './outbox.js';

export function openStateOutbox(
  stateDir: string,
  maxBytes: number,
  clock: Clock,
  log: Logger,
  onDropped: (count: number) => void,
): Outbox {
  let outbox: Outbox;
  try {
    outbox = Outbox.open(path.join(stateDir, STATE_FILES.outbox), {
      maxBytes,
      now: () => clock.now(),
      onDrop: (event) => {
        onDropped(event.count);
        log.log('warn', 'outbox full: dropped data', {
          kind: event.kind,
          count: event.count,
          fromSeq: event.fromSeq,
          toSeq: event.toSeq,
        });
      },
    });
  } catch (error) {
    if (error instanceof OutboxCorruptError) {
      throw new StateError(
        `${error.message}. Move the folder ${path.dirname(error.file)} aside to start with an empty outbox (its undelivered data is then lost)`,
      );
    }
    throw error;
  }
  if (outbox.openReport.truncatedBytes > 0) {
    log.log('warn', 'outbox: cut a record torn by a crash', { bytes: outbox.openReport.truncatedBytes });
  }
  return outbox;
}
