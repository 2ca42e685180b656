/**
 * The audit checkpointer as the configuration describes it: the file
 * always, syslog and a webhook when configured, an RFC 3161 time-stamp
 * authority when configured (docs/investigation.md, "Checkpoints").
 */
import { hostname } from 'node:os';
import type { Ed25519Signer } from '@seatwatch/shared';
import { createTcpSyslogSender } from '../anomalies/syslog/syslog-sender.tcp.js';
import { createUdpSyslogSender } from '../anomalies/syslog/syslog-sender.udp.js';
import { createFetchWebhookTransport } from '../anomalies/webhook/webhook-transport.js';
import {
  type AuditCheckpointer,
  type CheckpointLogger,
  type CheckpointSink,
  createAuditCheckpointer,
} from '../audit/audit-checkpointer.js';
import {
  fileCheckpointSink,
  syslogCheckpointSink,
  webhookCheckpointSink,
} from '../audit/checkpoint-sinks.js';
import { timestampAuthority } from '../audit/timestamp-authority.js';
import type { ServerConfig } from '../config.js';
import type { Executor } from '../db/connect.js';

export interface ConfiguredCheckpointer {
  checkpointer: AuditCheckpointer;
  /** Stops the timer, sends the last checkpoint, closes the syslog connection. */
  close(): Promise<void>;
}

export function configuredCheckpointer(
  config: ServerConfig,
  deps: { db: Executor; signer: Ed25519Signer; logger: CheckpointLogger },
): ConfiguredCheckpointer {
  const settings = config.auditCheckpoints;
  const sinks: CheckpointSink[] = [fileCheckpointSink(settings.file)];
  const closers: Array<() => Promise<void>> = [];
  if (settings.syslog) {
    const { host, port, transport, facility } = settings.syslog;
    const sender =
      transport === 'tcp' ? createTcpSyslogSender({ host, port }) : createUdpSyslogSender({ host, port });
    closers.push(() => sender.close());
    sinks.push(
      syslogCheckpointSink({
        sender,
        endpoint: `${transport}://${host}:${port}`,
        facility,
        hostname: hostname(),
        procId: String(process.pid),
      }),
    );
  }
  if (settings.webhookUrl) {
    sinks.push(
      webhookCheckpointSink(
        createFetchWebhookTransport({ timeoutMs: 10_000 }),
        settings.webhookUrl,
        deps.signer,
        Date.now,
      ),
    );
  }
  const checkpointer = createAuditCheckpointer({
    db: deps.db,
    signer: deps.signer,
    now: Date.now,
    intervalMs: settings.intervalMs,
    sinks,
    countersign: settings.timestampAuthorityUrl
      ? timestampAuthority({ url: settings.timestampAuthorityUrl, timeoutMs: 10_000 }).countersign
      : undefined,
    logger: deps.logger,
  });
  return {
    checkpointer,
    async close() {
      await checkpointer.stop();
      for (const close of closers) await close();
    },
  };
}
