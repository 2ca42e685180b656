/**
 * What an anomaly says, built from the rule, its key and its first evidence,
 * so it needs no lookup: a message code with its parameters (the dashboard
 * words it in the reader's language, issue #13), and the same in one line
 * of English for webhook and syslog messages. It quotes strings from the
 * seat (device names, apps): plain text, to be escaped by whoever renders it.
 * Codes are derived when a row is read, never stored, so every row ever
 * written has one.
 */
import type { AnomalyCode, AnomalyParams } from '@seatwatch/shared/dashboard-api';
import type { EvidenceRef, RuleId } from './anomaly.js';

const MAX_SUMMARY = 300;

export interface AnomalyMessage {
  readonly code: AnomalyCode;
  readonly params: AnomalyParams;
}

/** The English of every code; `{name}` is a parameter. */
export const ENGLISH_MESSAGES: Readonly<Record<AnomalyCode, string>> = {
  'agent_silent.connection_lost': 'Agent connection lost without a clean stop (killed or cut off)',
  'agent_silent.for': 'Agent silent for {seconds} s while expected to report',
  agent_silent: 'Agent silent while expected to report',
  agent_stopped: 'Agent stopped during the shift ({reason})',
  capture_blocked: 'Screenshots failed or blank on monitor {monitor}',
  clock_skew: 'Seat clock off by {seconds} s',
  concurrent_login: 'OS user {user} active on {seats} seats at once',
  ip_changed: 'Login IP changed from {previousIp} to {ip} on the same day',
  'ip_not_allowed.enroll': 'Enrollment refused from {ip}: not on the allowlist',
  'ip_not_allowed.login': 'Login refused from {ip}: not on the allowlist',
  long_idle: 'Idle {minutes} min inside the shift',
  off_hours: 'Activity outside the shift on {date}',
  prohibited_app: 'Prohibited app: {label} ({app})',
  'tamper.bad_signature': 'A message signed with the wrong key, or altered',
  'tamper.session_replay': 'A frame from another session was replayed',
  'tamper.hello_replay': 'A login that does not answer its challenge (replayed)',
  'tamper.revoked_agent': 'A revoked agent tried to connect',
  'tamper.sequence_gap': 'Frames {from}–{to} missing without notice',
  'tamper.sequence_gap_declared': 'The agent dropped frames {from}–{to} and said so',
  unknown_device: 'Device not on the approved list attached: {device}',
  usb_storage: 'Mass-storage device attached: {device}',
};

function text(value: unknown, fallback = '?'): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A number, or '?' when the evidence lacks it. */
const numOrUnknown = (value: number | null) => value ?? '?';

const message = (code: AnomalyCode, params: AnomalyParams = {}): AnomalyMessage => ({ code, params });

const TAMPER_CODES: Readonly<Record<string, AnomalyCode>> = {
  bad_signature: 'tamper.bad_signature',
  session_replay: 'tamper.session_replay',
  hello_replay: 'tamper.hello_replay',
  revoked_agent: 'tamper.revoked_agent',
  sequence_gap: 'tamper.sequence_gap',
};

export function describeAnomaly(rule: RuleId, key: string, evidence: readonly EvidenceRef[]): AnomalyMessage {
  const first = evidence[0] ?? { kind: 'event' };
  const last = evidence[evidence.length - 1] ?? first;
  switch (rule) {
    case 'ip_not_allowed':
      return message(first.source === 'enroll' ? 'ip_not_allowed.enroll' : 'ip_not_allowed.login', {
        ip: key,
      });
    case 'ip_changed':
      return message('ip_changed', { previousIp: text(last.previousIp), ip: key });
    case 'usb_storage':
      return message('usb_storage', { device: text(first.name) });
    case 'unknown_device':
      return message('unknown_device', { device: text(first.name) });
    case 'agent_silent': {
      if (first.cause === 'connection_lost') return message('agent_silent.connection_lost');
      const ms = num(first.silentForMs);
      return ms === null
        ? message('agent_silent')
        : message('agent_silent.for', { seconds: Math.round(ms / 1000) });
    }
    case 'agent_stopped':
      return message('agent_stopped', { reason: text(first.reason) });
    case 'tamper': {
      const code = Object.hasOwn(TAMPER_CODES, key) ? TAMPER_CODES[key]! : 'tamper.sequence_gap_declared';
      const gap = code === 'tamper.sequence_gap' || code === 'tamper.sequence_gap_declared';
      return message(
        code,
        gap ? { from: numOrUnknown(num(first.fromSeq)), to: numOrUnknown(num(first.toSeq)) } : {},
      );
    }
    case 'clock_skew': {
      const skew = num(first.skewMs);
      return message('clock_skew', { seconds: numOrUnknown(skew === null ? null : Math.round(skew / 1000)) });
    }
    case 'off_hours':
      return message('off_hours', { date: key });
    case 'prohibited_app':
      return message('prohibited_app', {
        label: text(first.label, text(first.pattern)),
        app: text(first.app),
      });
    case 'concurrent_login':
      return message('concurrent_login', {
        user: key,
        seats: evidence.filter((e) => 'otherAgentId' in e).length + 1,
      });
    case 'capture_blocked':
      return message('capture_blocked', { monitor: key.replace('monitor:', '') });
    case 'long_idle': {
      const idle = num(first.idleInShiftMs);
      return message('long_idle', {
        minutes: numOrUnknown(idle === null ? null : Math.round(idle / 60_000)),
      });
    }
  }
}

/** Fills `{name}` from the parameters; a name without a parameter stays visible. */
export function fillMessage(template: string, params: AnomalyParams): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

export function summarizeAnomaly(rule: RuleId, key: string, evidence: readonly EvidenceRef[]): string {
  const { code, params } = describeAnomaly(rule, key, evidence);
  const line = fillMessage(ENGLISH_MESSAGES[code], params).replace(/[\r\n\t]+/g, ' ');
  return line.length <= MAX_SUMMARY ? line : `${line.slice(0, MAX_SUMMARY - 1)}…`;
}
