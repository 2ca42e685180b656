/** Where a project's alerts go (webhooks, syslog receivers), and the log of what was delivered. */
import { SeatwatchError } from '@seatwatch/shared';
import type {
  AlertDelivery,
  AlertDeliveryQuery,
  SyslogTarget,
  SyslogTargetInput,
  Webhook,
  WebhookInput,
} from '@seatwatch/shared/dashboard-api';
import type { Db } from '../db/connect.js';
import {
  type AlertDeliveryRow,
  type AlertTargetKind,
  type AlertTargetRow,
  type AlertTargetRows,
  type AlertTargetValues,
  alertTargetRows,
  listDeliveries,
} from './alerts.repository.js';

/** One kind of target, in one project. */
export interface AlertTargets<View, Input> {
  list(projectId: string): Promise<View[]>;
  create(projectId: string, input: Input): Promise<View>;
  update(projectId: string, id: string, input: Input): Promise<View>;
  remove(projectId: string, id: string): Promise<void>;
}

export interface AlertTargetService {
  readonly webhooks: AlertTargets<Webhook, WebhookInput>;
  readonly syslog: AlertTargets<SyslogTarget, SyslogTargetInput>;
  deliveries(projectId: string, query: AlertDeliveryQuery): Promise<AlertDelivery[]>;
}

export function createAlertTargetService(db: Db): AlertTargetService {
  return {
    webhooks: targets(db, alertTargetRows('webhook'), webhookView, 'no such webhook', (input) =>
      checkWebhookUrl(input.url),
    ),
    syslog: targets(db, alertTargetRows('syslog'), syslogView, 'no such syslog target', () => {}),
    async deliveries(projectId, query) {
      const rows = await listDeliveries(db, { projectId, ...query, limit: query.limit ?? 100 });
      return rows.map(deliveryView);
    },
  };
}

function targets<K extends AlertTargetKind, View, Input extends AlertTargetValues<K>>(
  db: Db,
  rows: AlertTargetRows<K>,
  view: (row: AlertTargetRow<K>) => View,
  missing: string,
  check: (input: Input) => void,
): AlertTargets<View, Input> {
  return {
    async list(projectId) {
      return (await rows.list(db, projectId)).map(view);
    },
    async create(projectId, input) {
      check(input);
      return view(await rows.insert(db, projectId, input));
    },
    async update(projectId, id, input) {
      check(input);
      const row = await rows.update(db, projectId, id, input);
      if (!row) throw new SeatwatchError('not_found', missing);
      return view(row);
    },
    async remove(projectId, id) {
      if (!(await rows.remove(db, projectId, id))) throw new SeatwatchError('not_found', missing);
    },
  };
}

/** What webhooks and syslog targets show alike: which alerts they want. */
function targetView(row: AlertTargetRow<AlertTargetKind>) {
  return {
    id: row.id,
    projectId: row.projectId,
    description: row.description,
    enabled: row.enabled,
    minSeverity: row.minSeverity as Webhook['minSeverity'],
    rules: row.rules as Webhook['rules'],
    events: row.events as Webhook['events'],
    createdAt: row.createdAt.getTime(),
  };
}

function webhookView(row: AlertTargetRow<'webhook'>): Webhook {
  return { ...targetView(row), url: row.url };
}

function syslogView(row: AlertTargetRow<'syslog'>): SyslogTarget {
  const { host, port, transport, facility } = row;
  return { ...targetView(row), host, port, transport, facility };
}

function deliveryView(row: AlertDeliveryRow): AlertDelivery {
  return {
    id: row.id,
    targetKind: row.targetKind,
    targetId: row.targetId,
    anomalyId: row.anomalyId,
    event: row.event as AlertDelivery['event'],
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt?.getTime() ?? null,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    attemptLog: row.attemptLog,
    createdAt: row.createdAt.getTime(),
    deliveredAt: row.deliveredAt?.getTime() ?? null,
  };
}

function checkWebhookUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SeatwatchError('bad_request', 'url is not a URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new SeatwatchError('bad_request', 'url must be http or https');
  }
  // Credentials in a URL end up in logs and lists; a receiver authenticates us by the signature instead.
  if (parsed.username || parsed.password)
    throw new SeatwatchError('bad_request', 'url must not carry credentials');
}
