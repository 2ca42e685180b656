/**
 * agent_silent: a seat that should be reporting went quiet.
 * - connection_lost: the connection closed without a signed lifecycle
 *   "stopping" event before it (killed agent, pulled cable): flagged at once.
 * - no_frames: the connection is open (the gateway's pings are answered)
 *   but no frame arrived for longer than the silence threshold (default 3
 *   heartbeats) while the seat is active. An active seat reports its
 *   foreground span every heartbeat; an idle or locked one may rightly say
 *   nothing, so only an active seat can be silent this way. A connection
 *   that stops answering pings is closed by the gateway, which is
 *   connection_lost.
 * - not_back: after a collector restart, an agent it held did not reconnect
 *   within the grace period (detectNotBack).
 * connection_lost and not_back only while the seat was active or its team on
 * shift. The engine resolves the anomaly when the agent comes back.
 */
import Type from 'typebox';
import type { AnomalyCandidate, SeatState } from './anomaly.js';
import { type Presence, presenceExpected } from './presence.js';
import { defineRule, found } from './rule-definition.js';

export const agentSilentRule = defineRule({
  id: 'agent_silent',
  severity: 'high',
  enabled: true,
  summary: 'The agent was killed, cut off or went quiet while the seat was active or on shift',
  config: Type.Object(
    {
      heartbeatMultiplier: Type.Number({
        minimum: 1.5,
        maximum: 20,
        description: 'Silence threshold in heartbeats (the policy heartbeat)',
      }),
      silenceMs: Type.Union([Type.Integer({ minimum: 5000, maximum: 86_400_000 }), Type.Null()], {
        description: 'A fixed silence threshold instead of the multiplier',
      }),
    },
    { additionalProperties: false },
  ),
  defaults: { heartbeatMultiplier: 3, silenceMs: null },
  on: {
    // A clean stop is agent_stopped's to judge.
    closed: (facts) => found(facts.stopping ? null : detectConnectionLost(facts)),
    tick: (facts, config) => found(facts.silenceRaised ? null : detectSilence(facts, config)),
    not_back: (facts) => found(detectNotBack(facts)),
  },
});

export interface SilenceSettings {
  readonly heartbeatMultiplier: number;
  readonly silenceMs: number | null;
}

export function silenceThresholdMs(heartbeatMs: number, config: SilenceSettings): number {
  return config.silenceMs ?? Math.round(heartbeatMs * config.heartbeatMultiplier);
}

export interface ConnectionLost {
  readonly at: number;
  readonly session: string;
  readonly loginId: number | string | null;
  /** The WebSocket close code as the server saw it (1006: the socket just dropped). */
  readonly closeCode: number;
  readonly lastFrameAt: number;
  readonly presence: Presence;
}

export function detectConnectionLost(input: ConnectionLost): AnomalyCandidate | null {
  if (!presenceExpected(input.presence, input.at)) return null;
  return {
    rule: 'agent_silent',
    key: '',
    at: input.at,
    evidence: [
      {
        kind: 'login',
        ...(input.loginId === null ? {} : { id: input.loginId }),
        at: input.at,
        cause: 'connection_lost',
        session: input.session,
        closeCode: input.closeCode,
        lastFrameAt: input.lastFrameAt,
        seatState: input.presence.seatState,
      },
    ],
  };
}

export interface SilenceCheck {
  readonly now: number;
  readonly session: string;
  readonly loginId: number | string | null;
  /** Last frame from the agent (or its hello). */
  readonly lastHeardAt: number;
  readonly heartbeatMs: number;
  readonly seatState: SeatState | null;
}

export function detectSilence(input: SilenceCheck, config: SilenceSettings): AnomalyCandidate | null {
  const threshold = silenceThresholdMs(input.heartbeatMs, config);
  const silentFor = input.now - input.lastHeardAt;
  if (silentFor <= threshold) return null;
  if (input.seatState !== 'active') return null;
  return {
    rule: 'agent_silent',
    key: '',
    at: input.now,
    evidence: [
      {
        kind: 'login',
        ...(input.loginId === null ? {} : { id: input.loginId }),
        at: input.now,
        cause: 'no_frames',
        session: input.session,
        lastFrameAt: input.lastHeardAt,
        silentForMs: silentFor,
        thresholdMs: threshold,
        seatState: input.seatState,
      },
    ],
  };
}

export interface NotBack {
  readonly at: number;
  /** When the agent was last heard of, before this server process started. */
  readonly lastSeenAt: number;
  readonly serverStartedAt: number;
  readonly presence: Presence;
}

/**
 * After a collector restart: an agent that was connected shortly before it
 * and has not come back within the grace period. Its connection died with
 * the old process, so no close was ever seen for it.
 */
export function detectNotBack(input: NotBack): AnomalyCandidate | null {
  if (!presenceExpected(input.presence, input.at)) return null;
  return {
    rule: 'agent_silent',
    key: '',
    at: input.at,
    evidence: [
      {
        kind: 'login',
        at: input.lastSeenAt,
        cause: 'not_back',
        lastFrameAt: input.lastSeenAt,
        serverStartedAt: input.serverStartedAt,
        seatState: input.presence.seatState,
      },
    ],
  };
}
