/**
 * One line of text per anomaly for people: the dashboard list, webhook
 * and syslog messages. Built from the rule and its first evidence, so it
 * needs no lookup. It quotes strings from the seat (device names, apps):
 * plain text, to be escaped by whoever renders it.
 */
import type { EvidenceRef, RuleId } from './anomaly.js';

const MAX_SUMMARY = 300;

function text(value: unknown, fallback = '?'): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function describe(rule: RuleId, key: string, evidence: readonly EvidenceRef[]): string {
  const first = evidence[0] ?? { kind: 'event' };
  const last = evidence[evidence.length - 1] ?? first;
  switch (rule) {
    case 'ip_not_allowed':
      return `${first.source === 'enroll' ? 'Enrollment' : 'Login'} refused from ${key}: not on the allowlist`;
    case 'ip_changed':
      return `Login IP changed from ${text(last.previousIp)} to ${key} on the same day`;
    case 'usb_storage':
      return `Mass-storage device attached: ${text(first.name)}`;
    case 'unknown_device':
      return `Device not on the approved list attached: ${text(first.name)}`;
    case 'agent_silent': {
      if (first.cause === 'connection_lost')
        return 'Agent connection lost without a clean stop (killed or cut off)';
      const seconds = num(first.silentForMs);
      return `Agent silent${seconds === null ? '' : ` for ${Math.round(seconds / 1000)} s`} while expected to report`;
    }
    case 'agent_stopped':
      return `Agent stopped during the shift (${text(first.reason)})`;
    case 'tamper':
      switch (key) {
        case 'bad_signature':
          return 'A message signed with the wrong key, or altered';
        case 'session_replay':
          return 'A frame from another session was replayed';
        case 'hello_replay':
          return 'A login that does not answer its challenge (replayed)';
        case 'revoked_agent':
          return 'A revoked agent tried to connect';
        case 'sequence_gap':
          return `Frames ${num(first.fromSeq) ?? '?'}–${num(first.toSeq) ?? '?'} missing without notice`;
        default:
          return `The agent dropped frames ${num(first.fromSeq) ?? '?'}–${num(first.toSeq) ?? '?'} and said so`;
      }
    case 'clock_skew': {
      const skew = num(first.skewMs);
      return `Seat clock off by ${skew === null ? '?' : Math.round(skew / 1000)} s`;
    }
    case 'off_hours':
      return `Activity outside the shift on ${key}`;
    case 'prohibited_app':
      return `Prohibited app: ${text(first.label, text(first.pattern))} (${text(first.app)})`;
    case 'concurrent_login':
      return `OS user ${key} active on ${evidence.filter((e) => 'otherAgentId' in e).length + 1} seats at once`;
    case 'capture_blocked':
      return `Screenshots failed or blank on monitor ${key.replace('monitor:', '')}`;
    case 'long_idle': {
      const idle = num(first.idleInShiftMs);
      return `Idle ${idle === null ? '?' : Math.round(idle / 60_000)} min inside the shift`;
    }
  }
}

export function summarizeAnomaly(rule: RuleId, key: string, evidence: readonly EvidenceRef[]): string {
  const line = describe(rule, key, evidence).replace(/[\r\n\t]+/g, ' ');
  return line.length <= MAX_SUMMARY ? line : `${line.slice(0, MAX_SUMMARY - 1)}…`;
}
