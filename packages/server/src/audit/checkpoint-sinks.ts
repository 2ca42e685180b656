/**
 * Where checkpoints go, out of the database: an append-only file (the one
 * `verify-audit --checkpoints` reads), a syslog receiver and a webhook,
 * each configured in the server's configuration rather than the database,
 * so that whoever controls the database cannot redirect them.
 */
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Ed25519Signer } from '@seatwatch/shared';
import { formatSyslogMessage } from '../anomalies/syslog/syslog-message.js';
import type { SyslogSender } from '../anomalies/syslog/syslog-sender.js';
import {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
} from '../anomalies/webhook/webhook-signature.js';
import type { WebhookTransport } from '../anomalies/webhook/webhook-transport.js';
import { checkpointLine, type SignedCheckpoint } from './audit-checkpoint.js';
import type { CheckpointSink } from './audit-checkpointer.js';

export const CHECKPOINT_EVENT = 'audit.checkpoint';

/**
 * One line per checkpoint, appended (O_APPEND) and flushed to disk before
 * it counts as sent; the file is made owner-only. Ship it further
 * (log shipping, WORM storage) to keep it out of reach of the database's
 * administrators too.
 */
export function fileCheckpointSink(path: string): CheckpointSink {
  return {
    name: `file ${path}`,
    async send(checkpoint) {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const file = await open(path, 'a', 0o600);
      try {
        await file.appendFile(`${checkpointLine(checkpoint)}\n`, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
    },
  };
}

export interface SyslogCheckpointOptions {
  sender: SyslogSender;
  endpoint: string;
  facility: number;
  hostname: string;
  procId: string;
}

/** RFC 5424, informational, MSGID audit-checkpoint, the checkpoint as the JSON body. */
export function syslogCheckpointSink(options: SyslogCheckpointOptions): CheckpointSink {
  return {
    name: `syslog ${options.endpoint}`,
    send: (checkpoint) =>
      options.sender.send(
        formatSyslogMessage(
          {
            facility: options.facility,
            // "low" is syslog's informational (6): a checkpoint is a record, not an alarm.
            severity: 'low',
            timestamp: checkpoint.at,
            hostname: options.hostname,
            appName: 'seatwatch',
            procId: options.procId,
            msgId: 'audit-checkpoint',
          },
          { type: CHECKPOINT_EVENT, ...checkpoint },
        ),
      ),
  };
}

/** POSTs {"type":"audit.checkpoint","checkpoint":{…}}, signed like alert webhooks (docs/anomalies.md). */
export function webhookCheckpointSink(
  transport: WebhookTransport,
  url: string,
  signer: Ed25519Signer,
  now: () => number,
): CheckpointSink {
  return {
    name: `webhook ${new URL(url).origin}`,
    async send(checkpoint: SignedCheckpoint) {
      const body = JSON.stringify({ type: CHECKPOINT_EVENT, checkpoint });
      const timestamp = now();
      const outcome = await transport.post({
        url,
        body,
        headers: {
          [SIGNATURE_HEADER]: signWebhook(signer, timestamp, body),
          [TIMESTAMP_HEADER]: String(timestamp),
          [EVENT_HEADER]: CHECKPOINT_EVENT,
          [DELIVERY_HEADER]: `audit-checkpoint-${checkpoint.seq}-${checkpoint.at}`,
        },
      });
      if (!outcome.ok) throw new Error(`webhook answered ${outcome.error}`);
    },
  };
}
