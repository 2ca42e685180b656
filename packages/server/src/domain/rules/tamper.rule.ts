/**
 * tamper: signs that someone forges, replays or suppresses what the agent
 * says. One dedup key per kind of signal:
 * - bad_signature: a frame or hello that names a known agent but does not verify;
 * - session_replay: a data frame carrying another session's id (a frame
 *   lifted from one connection and played into another);
 * - hello_replay: a hello that does not echo this connection's challenge;
 * - revoked_agent: a revoked agent still connecting;
 * - sequence_gap: frames missing between the last stored seq and this one,
 *   which the agent did not announce with a data_dropped event. A gap it did
 *   announce (outbox full) is still recorded, under sequence_gap_declared and
 *   at the lower severity its settings give.
 */
import Type from 'typebox';
import { type AnomalyCandidate, type EvidenceRef, SEVERITIES, type Severity } from './anomaly.js';
import { defineRule, found } from './rule-definition.js';

export const tamperRule = defineRule({
  id: 'tamper',
  severity: 'critical',
  enabled: true,
  summary: 'Invalid signatures, replayed frames, unannounced sequence gaps or a revoked agent connecting',
  config: Type.Object(
    {
      declaredGapSeverity: Type.Enum([...SEVERITIES], {
        description: 'Severity of a gap the agent announced with data_dropped',
      }),
    },
    { additionalProperties: false },
  ),
  defaults: { declaredGapSeverity: 'low' as Severity },
  on: { tamper_signal: (facts, config) => found(detectTamper(facts, config)) },
});

export type TamperSignal =
  | {
      readonly kind: 'bad_signature';
      readonly at: number;
      readonly frame: 'hello' | 'data';
      readonly session: string | null;
      readonly loginId: number | string | null;
    }
  | {
      readonly kind: 'session_replay';
      readonly at: number;
      readonly session: string;
      /** The session the frame named, when the gateway reports it. */
      readonly claimedSession: string | null;
      readonly seq: number | null;
    }
  | { readonly kind: 'hello_replay'; readonly at: number; readonly loginId: number | string | null }
  | {
      readonly kind: 'revoked_agent';
      readonly at: number;
      readonly ip: string;
      readonly loginId: number | string | null;
    }
  | {
      readonly kind: 'sequence_gap';
      readonly at: number;
      /** The frame that arrived after the gap. */
      readonly seq: number;
      /** First and last missing seq. */
      readonly fromSeq: number;
      readonly toSeq: number;
      /** data_dropped events of the agent cover the whole gap (domain/sequencing isGapAnnounced). */
      readonly announced: boolean;
    };

export function detectTamper(
  signal: TamperSignal,
  config: { readonly declaredGapSeverity: Severity },
): AnomalyCandidate {
  const login = (loginId: number | string | null): { id?: number | string } =>
    loginId === null ? {} : { id: loginId };
  switch (signal.kind) {
    case 'bad_signature':
      return {
        rule: 'tamper',
        key: 'bad_signature',
        at: signal.at,
        evidence: [
          signal.frame === 'hello'
            ? { kind: 'login', ...login(signal.loginId), at: signal.at, signal: 'bad_signature' }
            : { kind: 'frame', at: signal.at, signal: 'bad_signature', session: signal.session },
        ],
      };
    case 'session_replay':
      return {
        rule: 'tamper',
        key: 'session_replay',
        at: signal.at,
        evidence: [
          {
            kind: 'frame',
            at: signal.at,
            ...(signal.seq === null ? {} : { seq: signal.seq }),
            signal: 'session_replay',
            session: signal.session,
            ...(signal.claimedSession === null ? {} : { claimedSession: signal.claimedSession }),
          },
        ],
      };
    case 'hello_replay':
      return {
        rule: 'tamper',
        key: 'hello_replay',
        at: signal.at,
        evidence: [{ kind: 'login', ...login(signal.loginId), at: signal.at, signal: 'hello_replay' }],
      };
    case 'revoked_agent':
      return {
        rule: 'tamper',
        key: 'revoked_agent',
        at: signal.at,
        evidence: [
          { kind: 'login', ...login(signal.loginId), at: signal.at, signal: 'revoked_agent', ip: signal.ip },
        ],
      };
    case 'sequence_gap': {
      const evidence: EvidenceRef[] = [
        {
          kind: 'frame',
          seq: signal.seq,
          at: signal.at,
          signal: 'sequence_gap',
          fromSeq: signal.fromSeq,
          toSeq: signal.toSeq,
          announced: signal.announced,
        },
      ];
      return signal.announced
        ? {
            rule: 'tamper',
            key: 'sequence_gap_declared',
            at: signal.at,
            severity: config.declaredGapSeverity,
            evidence,
          }
        : { rule: 'tamper', key: 'sequence_gap', at: signal.at, evidence };
    }
  }
}
