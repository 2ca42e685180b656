/**
 * RFC 5424 syslog messages carrying one JSON object:
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - JSON
 *
 * No structured data (the JSON carries everything, which is what SIEMs
 * parse). The JSON is escaped to pure ASCII, so the message needs no BOM and
 * survives any relay. Over TCP each message is framed by octet counting
 * (RFC 6587 §3.4.1): "LENGTH SP MESSAGE".
 */
import type { AlertEvent, Anomaly } from '@seatwatch/shared/dashboard-api';
import type { Severity } from '../../domain/rules/anomaly.js';

/**
 * Our severities on syslog's scale (0 emergency … 7 debug), by rank: our
 * "warning" ranks below "medium", so it maps to notice and medium to warning.
 */
export const SYSLOG_SEVERITY: Readonly<Record<Severity, number>> = {
  critical: 2,
  high: 3,
  medium: 4,
  warning: 5,
  low: 6,
};

export interface SyslogHeader {
  /** 0–23; 16 is local0. */
  readonly facility: number;
  readonly severity: Severity;
  readonly timestamp: number;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
}

/** Header fields are printable US-ASCII without spaces, bounded; empty becomes the NILVALUE "-". */
function headerField(value: string, max: number): string {
  const clean = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean === '' ? '-' : clean;
}

/** JSON with every non-ASCII character as a \u escape. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function formatSyslogMessage(header: SyslogHeader, json: unknown): string {
  if (!Number.isInteger(header.facility) || header.facility < 0 || header.facility > 23) {
    throw new RangeError(`syslog facility must be 0–23, got ${header.facility}`);
  }
  const pri = header.facility * 8 + SYSLOG_SEVERITY[header.severity];
  return [
    `<${pri}>1`,
    new Date(header.timestamp).toISOString(),
    headerField(header.hostname, 255),
    headerField(header.appName, 48),
    headerField(header.procId, 128),
    headerField(header.msgId, 32),
    '-',
    asciiJson(json),
  ].join(' ');
}

/** RFC 6587 octet-counting frame for stream transports. */
export function octetCountingFrame(message: string): string {
  return `${new TextEncoder().encode(message).length} ${message}`;
}

/** The JSON of a syslog alert: the anomaly without its evidence list, so that a message fits one datagram. */
export function syslogRecord(type: AlertEvent, anomaly: Anomaly): Record<string, unknown> {
  const { evidence: _evidence, ...rest } = anomaly;
  return { type, ...rest, evidenceCount: anomaly.evidence.length };
}
