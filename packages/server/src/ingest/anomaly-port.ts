/**
 * What ingest and the gateway need of the anomaly recorder: the port they
 * raise anomalies through inside their own transactions (refused access,
 * sequence gaps). Declared here, beside its users, so that ingest never
 * imports the anomalies feature; anomalies/engine/anomaly-recorder.ts
 * implements it.
 */
import type { Executor } from '../db/connect.js';
import type { RuleId, Severity } from '../domain/rules/anomaly.js';
import type { RefusedAccess } from '../domain/rules/ip-not-allowed.rule.js';

/** Who it is about. */
export interface AnomalyContext {
  readonly projectId: string;
  readonly siteId: string | null;
  readonly teamId: string | null;
  readonly seatId: string | null;
  /** Null only before an agent exists (a refused enrollment). */
  readonly agentId: string | null;
  readonly operator: string | null;
}

export interface RaisedAnomaly {
  readonly id: string;
  readonly projectId: string;
  readonly teamId: string | null;
  readonly agentId: string | null;
  readonly rule: RuleId;
  readonly severity: Severity;
  /** A new row. */
  readonly opened: boolean;
  /** An auto-resolved row opened again. */
  readonly reopened: boolean;
  readonly count: number;
}

/** What the gateway raises itself, inside the transaction that stores the login record or the frame. */
export interface GatewayAnomalies {
  /** ip_not_allowed for a refused hello or enrollment. */
  refusedAccess(ex: Executor, context: AnomalyContext, refusal: RefusedAccess): Promise<RaisedAnomaly | null>;
  /** tamper/sequence_gap (or sequence_gap_declared when data_dropped announced it). */
  sequenceGap(ex: Executor, context: AnomalyContext, gap: SequenceGapSeen): Promise<RaisedAnomaly | null>;
  /** After the transaction committed. */
  announce(raised: RaisedAnomaly): void;
}

export interface SequenceGapSeen {
  readonly at: number;
  /** The frame that arrived after the gap. */
  readonly seq: number;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly announced: boolean;
}
