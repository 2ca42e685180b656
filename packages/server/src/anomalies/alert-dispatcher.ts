/**
 * Sends queued alerts (anomaly_alert_deliveries) to webhooks and syslog
 * receivers. Any server process may run it: due rows are claimed with
 * FOR UPDATE SKIP LOCKED and leased for a while, so two processes never send
 * the same attempt and a process that dies mid-send only delays it.
 *
 * The body is fixed at the first attempt (stored on the row), so a receiver
 * sees the same bytes and the same delivery id on every retry and can
 * deduplicate. A failure that a retry can fix is tried again after
 * backoff(attempt); a final answer (a 4xx) or the last attempt ends it as
 * failed. Every attempt is appended to the row's log.
 */
import type { Ed25519Signer } from '@seatwatch/shared';
import type { AlertEvent, AlertPayload, Anomaly } from '@seatwatch/shared/dashboard-api';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/connect.js';
import type { Severity } from '../domain/rules/anomaly.js';
import type { NotificationPort } from '../notifications/notification-port.js';
import {
  type AttemptRecord,
  alertTargetRows,
  type ClaimedDelivery,
  claimDueDeliveries,
  fixDeliveryPayload,
  recordAttempt,
} from './alerts.repository.js';
import { loadAnomalyView } from './anomaly.service.js';
import type { Scheduler } from './engine/scheduler.js';
import { formatSyslogMessage, syslogRecord } from './syslog/syslog-message.js';
import type { SyslogSender } from './syslog/syslog-sender.js';
import type { Backoff } from './webhook/webhook-backoff.js';
import {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
} from './webhook/webhook-signature.js';
import type { WebhookOutcome, WebhookTransport } from './webhook/webhook-transport.js';

export interface SyslogTargetAddress {
  readonly host: string;
  readonly port: number;
  readonly transport: 'udp' | 'tcp';
}

export interface AlertDispatcherDeps {
  db: Db;
  scheduler: Scheduler;
  notifications: NotificationPort;
  logger: FastifyBaseLogger;
  /** The server key: signs webhook bodies. */
  signer: Ed25519Signer;
  webhooks: WebhookTransport;
  openSyslog: (target: SyslogTargetAddress) => SyslogSender;
  /** RFC 5424 HOSTNAME and PROCID of this process. */
  hostname: string;
  procId: string;
  backoff: Backoff;
  maxAttempts: number;
  /** How often due deliveries are looked for besides the wake-ups (0: only runDue()). */
  pollMs: number;
  /** How long a claimed delivery is left alone by other processes while it is being sent. */
  leaseMs: number;
  batchSize: number;
}

export interface AlertDispatcher {
  /** Sends everything due now; resolves with how many attempts were made. */
  runDue(): Promise<number>;
  stop(): Promise<void>;
}

/** What a syslog delivery stores: the record and the header values fixed at the first attempt. */
interface SyslogPayload {
  sentAt: number;
  severity: Severity;
  record: Record<string, unknown>;
}

type Attempt =
  | { ok: true; status: number | null }
  | { ok: false; retry: boolean; status: number | null; error: string };

const webhookRows = alertTargetRows('webhook');
const syslogRows = alertTargetRows('syslog');

export function createAlertDispatcher(deps: AlertDispatcherDeps): AlertDispatcher {
  const { db, scheduler, logger } = deps;
  const syslogSenders = new Map<string, SyslogSender>();
  let running: Promise<number> | null = null;
  let again = false;
  let stopped = false;

  const syslogFor = (target: SyslogTargetAddress): SyslogSender => {
    const key = `${target.transport}://${target.host}:${target.port}`;
    let sender = syslogSenders.get(key);
    if (!sender) {
      sender = deps.openSyslog(target);
      syslogSenders.set(key, sender);
    }
    return sender;
  };

  const claim = (now: number) =>
    claimDueDeliveries(db, { now, leaseUntil: now + deps.leaseMs, batchSize: deps.batchSize });

  function fixPayload(delivery: ClaimedDelivery, anomaly: Anomaly, now: number) {
    const event = delivery.event as AlertEvent;
    const payload: AlertPayload | SyslogPayload =
      delivery.target_kind === 'webhook'
        ? { type: event, deliveryId: delivery.id, sentAt: now, anomaly }
        : { sentAt: now, severity: anomaly.severity, record: syslogRecord(event, anomaly) };
    // The stored form (jsonb orders keys its own way) is what every attempt serialises, the first one too.
    return fixDeliveryPayload(db, delivery.id, payload as unknown as Record<string, unknown>);
  }

  async function sendWebhook(
    delivery: ClaimedDelivery,
    payload: Record<string, unknown>,
    now: number,
  ): Promise<Attempt> {
    const target = await webhookRows.find(db, delivery.target_id);
    if (!target?.enabled)
      return { ok: false, retry: false, status: null, error: 'webhook removed or disabled' };
    const body = JSON.stringify(payload);
    const outcome: WebhookOutcome = await deps.webhooks.post({
      url: target.url,
      body,
      headers: {
        [SIGNATURE_HEADER]: signWebhook(deps.signer, now, body),
        [TIMESTAMP_HEADER]: String(now),
        [EVENT_HEADER]: delivery.event,
        [DELIVERY_HEADER]: delivery.id,
      },
    });
    return outcome;
  }

  async function sendSyslog(delivery: ClaimedDelivery, payload: Record<string, unknown>): Promise<Attempt> {
    const target = await syslogRows.find(db, delivery.target_id);
    if (!target?.enabled) {
      return { ok: false, retry: false, status: null, error: 'syslog target removed or disabled' };
    }
    const fixed = payload as unknown as SyslogPayload;
    const message = formatSyslogMessage(
      {
        facility: target.facility,
        severity: fixed.severity,
        timestamp: fixed.sentAt,
        hostname: deps.hostname,
        appName: 'seatwatch',
        procId: deps.procId,
        msgId: delivery.event,
      },
      fixed.record,
    );
    try {
      await syslogFor({ host: target.host, port: target.port, transport: target.transport }).send(message);
      return { ok: true, status: null };
    } catch (error) {
      return {
        ok: false,
        retry: true,
        status: null,
        error: error instanceof Error ? error.message : String(error),
      };
    }
  }

  async function attempt(delivery: ClaimedDelivery): Promise<void> {
    const started = scheduler.now();
    let outcome: Attempt;
    try {
      let payload = delivery.payload;
      if (payload === null) {
        const anomaly = await loadAnomalyView(db, delivery.anomaly_id);
        if (!anomaly) throw new Error('the anomaly no longer exists');
        payload = await fixPayload(delivery, anomaly, started);
      }
      outcome =
        delivery.target_kind === 'webhook'
          ? await sendWebhook(delivery, payload, started)
          : await sendSyslog(delivery, payload);
    } catch (error) {
      outcome = {
        ok: false,
        retry: true,
        status: null,
        error: error instanceof Error ? error.message : String(error),
      };
    }
    const finished = scheduler.now();
    const attempts = Number(delivery.attempts) + 1;
    const logEntry: AttemptRecord['log'] = {
      at: started,
      ok: outcome.ok,
      status: outcome.status,
      error: outcome.ok ? null : outcome.error.slice(0, 500),
      durationMs: finished - started,
    };
    const retry = !outcome.ok && outcome.retry && attempts < deps.maxAttempts;
    const status = outcome.ok ? 'delivered' : retry ? 'pending' : 'failed';
    await recordAttempt(db, delivery.id, {
      status,
      attempts,
      nextAttemptAt: retry ? new Date(finished + deps.backoff(attempts)) : null,
      lastStatusCode: outcome.status,
      deliveredAt: outcome.ok ? new Date(finished) : null,
      log: logEntry,
    });
    if (status === 'failed') {
      logger.warn(
        { delivery: delivery.id, kind: delivery.target_kind, error: logEntry.error },
        'alert delivery failed for good',
      );
    }
  }

  async function drain(): Promise<number> {
    let made = 0;
    do {
      again = false;
      for (;;) {
        if (stopped) return made;
        const batch = await claim(scheduler.now());
        if (batch.length === 0) break;
        await Promise.all(batch.map((d) => attempt(d)));
        made += batch.length;
      }
    } while (again);
    return made;
  }

  function runDue(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = drain().finally(() => {
      running = null;
    });
    return running;
  }

  const wake = () => {
    if (!stopped) runDue().catch((error: unknown) => logger.error({ err: error }, 'alert dispatch failed'));
  };
  // A new anomaly or status change may have queued alerts (in any process): look now.
  const unsubscribe = deps.notifications.subscribe((notification) => {
    if (notification.topic === 'anomaly.raised' || notification.topic === 'anomaly.status_changed') wake();
  });
  const stopPolling = deps.pollMs > 0 ? scheduler.every(deps.pollMs, wake) : () => {};

  return {
    runDue,
    async stop() {
      stopped = true;
      unsubscribe();
      stopPolling();
      await running?.catch(() => 0);
      await Promise.all([...syslogSenders.values()].map((s) => s.close()));
      syslogSenders.clear();
    },
  };
}
