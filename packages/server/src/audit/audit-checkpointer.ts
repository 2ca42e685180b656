/**
 * Signs a checkpoint of the chain's head every `intervalMs` and once more
 * at shutdown, and hands each to every sink (the append-only file, syslog,
 * a webhook), after asking the time-stamp authority, when there is one, to
 * countersign it. A sink that fails is logged and the others still get
 * the checkpoint: the next one covers everything before it anyway.
 */
import type { Ed25519Signer } from '@seatwatch/shared';
import type { Executor } from '../db/connect.js';
import { chainHead } from './audit.repository.js';
import { checkpointMessage, type SignedCheckpoint, signCheckpoint } from './audit-checkpoint.js';

export interface CheckpointSink {
  /** For the log: "file /var/lib/…", "syslog 10.0.0.5:514", … */
  readonly name: string;
  send(checkpoint: SignedCheckpoint): Promise<void>;
}

/** Countersigns the signed bytes (RFC 3161): the time-stamp response, DER. */
export type Countersign = (message: Uint8Array) => Promise<Uint8Array>;

export interface CheckpointLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface AuditCheckpointerDeps {
  db: Executor;
  signer: Ed25519Signer;
  now: () => number;
  /** 0: only at shutdown (and when checkpoint() is called). */
  intervalMs: number;
  sinks: readonly CheckpointSink[];
  countersign?: Countersign | undefined;
  logger: CheckpointLogger;
}

export interface AuditCheckpointer {
  start(): void;
  /** Signs and sends one checkpoint now. */
  checkpoint(): Promise<SignedCheckpoint>;
  /** Stops the timer and sends the last checkpoint. */
  stop(): Promise<void>;
}

export function createAuditCheckpointer(deps: AuditCheckpointerDeps): AuditCheckpointer {
  let timer: NodeJS.Timeout | null = null;
  // One at a time, so the file's lines stay in the order they were signed.
  let running: Promise<unknown> = Promise.resolve();

  const make = async (): Promise<SignedCheckpoint> => {
    const checkpoint: SignedCheckpoint = signCheckpoint(deps.signer, await chainHead(deps.db), deps.now());
    if (deps.countersign) {
      try {
        checkpoint.tst = Buffer.from(await deps.countersign(checkpointMessage(checkpoint))).toString(
          'base64',
        );
      } catch (error) {
        deps.logger.warn(
          { err: error, seq: checkpoint.seq },
          'audit checkpoint: the time-stamp authority failed',
        );
      }
    }
    const results = await Promise.allSettled(deps.sinks.map((sink) => sink.send(checkpoint)));
    results.forEach((result, i) => {
      if (result.status === 'rejected') {
        deps.logger.error(
          { err: result.reason, sink: deps.sinks[i]!.name, seq: checkpoint.seq },
          'audit checkpoint could not be sent',
        );
      }
    });
    return checkpoint;
  };

  const checkpoint = (): Promise<SignedCheckpoint> => {
    const next = running.then(make, make);
    running = next.catch(() => undefined);
    return next;
  };

  const tick = () => {
    checkpoint().catch((error: unknown) => deps.logger.error({ err: error }, 'audit checkpoint failed'));
  };

  return {
    start() {
      if (deps.intervalMs > 0 && !timer) {
        timer = setInterval(tick, deps.intervalMs);
        timer.unref();
      }
    },
    checkpoint,
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      try {
        await checkpoint();
      } catch (error) {
        deps.logger.error({ err: error }, 'the last audit checkpoint at shutdown failed');
      }
    },
  };
}
