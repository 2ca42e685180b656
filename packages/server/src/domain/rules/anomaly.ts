/**
 * What the rules produce. A rule says what happened (rule, dedup key, time,
 * evidence); the engine adds who (project, site, team, seat, agent,
 * operator), applies the project's severity and folds repeats of the same
 * (agent, rule, key) into one open anomaly.
 */
import type { Event } from '@seatwatch/shared';
import { ANOMALY_RULES } from '@seatwatch/shared/dashboard-api';

/**
 * Ordered from least to most severe, as the whole product ranks them (the
 * board's alert badge, list filters, alert targets' minimum severity).
 */
export const SEVERITIES = ['low', 'warning', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export const RULE_IDS = ANOMALY_RULES;
export type RuleId = (typeof RULE_IDS)[number];

export function isRuleId(value: unknown): value is RuleId {
  return typeof value === 'string' && (RULE_IDS as readonly string[]).includes(value);
}

/** A pointer to what shows the anomaly, with the few details a reader needs without a lookup. */
export interface EvidenceRef {
  readonly kind: 'event' | 'screenshot' | 'login' | 'frame';
  /** Row id of the event, screenshot or login record. */
  readonly id?: number | string;
  readonly seq?: number;
  readonly at?: number;
  readonly [detail: string]: unknown;
}

export interface AnomalyCandidate {
  readonly rule: RuleId;
  /** Deduplication key within (agent, rule), such as the refused IP or the device. */
  readonly key: string;
  /** When it happened (ms). */
  readonly at: number;
  /** Only where a rule's own settings choose a severity per case; otherwise the rule's severity applies. */
  readonly severity?: Severity;
  readonly evidence: readonly EvidenceRef[];
}

/** Dedup keys are built from untrusted strings (device names, users); bounded so an index entry stays small. */
export const MAX_KEY_LENGTH = 200;

export function boundedKey(key: string): string {
  return key.length <= MAX_KEY_LENGTH ? key : key.slice(0, MAX_KEY_LENGTH);
}

export type SeatState = 'active' | 'idle' | 'locked';

/** An event as stored by ingest: its row id and frame, and the seat's state once it applied. */
export interface ObservedEvent {
  readonly id: number | string;
  readonly seq: number;
  readonly event: Event;
  /** The seat's last reported state after this event (null while none is known). */
  readonly seatState: SeatState | null;
}

export function eventRef(observed: ObservedEvent, details: Record<string, unknown> = {}): EvidenceRef {
  return {
    kind: 'event',
    id: observed.id,
    seq: observed.seq,
    at: observed.event.time,
    type: observed.event.type,
    ...details,
  };
}
