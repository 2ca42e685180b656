/**
 * The documented alert payloads (docs/anomalies.md): the webhook body and the
 * syslog record, and which target wants which alert.
 */
import type { AlertEvent, AlertPayload, Anomaly } from '@seatwatch/shared/dashboard-api';
import { type Severity, severityRank } from '../domain/rules/anomaly.js';

export function webhookBody(type: AlertEvent, deliveryId: string, sentAt: number, anomaly: Anomaly): string {
  const payload: AlertPayload = { type, deliveryId, sentAt, anomaly };
  return JSON.stringify(payload);
}

/** Syslog carries the anomaly without its evidence list, so that a message fits one datagram. */
export function syslogRecord(type: AlertEvent, anomaly: Anomaly): Record<string, unknown> {
  const { evidence: _evidence, ...rest } = anomaly;
  return { type, ...rest, evidenceCount: anomaly.evidence.length };
}

export interface AlertFilter {
  readonly enabled: boolean;
  readonly minSeverity: Severity;
  /** Empty: every rule. */
  readonly rules: readonly string[];
  readonly events: readonly string[];
}

export function alertWanted(filter: AlertFilter, type: AlertEvent, anomaly: Anomaly): boolean {
  return (
    filter.enabled &&
    filter.events.includes(type) &&
    severityRank(anomaly.severity) >= severityRank(filter.minSeverity) &&
    (filter.rules.length === 0 || filter.rules.includes(anomaly.rule))
  );
}
