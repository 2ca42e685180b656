/**
 * Writes login records (every hello and enrollment attempt) and, for an IP
 * refusal, the `ip_not_allowed` anomaly, then tells observers and other
 * processes once the transaction has committed.
 */

import type { Executor } from '../db/connect.js';
import type { GatewayAnomalies, RaisedAnomaly } from '../ingest/anomaly-port.js';
import type { IngestHub, LoginAttempt } from '../ingest/ingest-hub.js';
import { insertLogin, type NewLogin } from './logins.repository.js';

export interface LoginInput {
  /** What was attempted (a desktop session's records are written with the events that tell them). */
  kind: LoginAttempt['kind'];
  at: number;
  ip: string;
  peerIp: string;
  allowed: boolean;
  reason: string | null;
  projectId: string | null;
  agentId: string | null;
  claimedAgent: string | null;
  seatId: string | null;
  siteId: string | null;
  teamId: string | null;
  clockSkewMs: number | null;
  session: string | null;
  hostname: string | null;
  osUser: string | null;
  agentVersion: string | null;
}

export interface WrittenLogin {
  attempt: LoginAttempt;
  anomaly: RaisedAnomaly | null;
  input: LoginInput;
}

export interface LoginRecorder {
  /** Writes inside the caller's transaction; call announce() after it commits. */
  write(ex: Executor, input: LoginInput): Promise<WrittenLogin>;
  announce(written: WrittenLogin): void;
}

/** The row a login record is stored as (here, and by the hello's own statement: agent-gateway/hello.ts). */
export function loginRow(input: LoginInput): NewLogin {
  return {
    at: new Date(input.at),
    kind: input.kind,
    projectId: input.projectId,
    agentId: input.agentId,
    claimedAgent: input.claimedAgent,
    seatId: input.seatId,
    ip: input.ip,
    peerIp: input.peerIp,
    allowed: input.allowed,
    reason: input.reason,
    clockSkewMs: input.clockSkewMs,
    session: input.session,
    hostname: input.hostname,
    osUser: input.osUser,
    agentVersion: input.agentVersion,
  };
}

/** What observers are told of a stored login record. */
export function loginAttempt(input: LoginInput, loginId: number, anomalyId: string | null): LoginAttempt {
  return {
    kind: input.kind,
    loginId,
    at: input.at,
    allowed: input.allowed,
    reason: input.reason,
    ip: input.ip,
    projectId: input.projectId,
    agentId: input.agentId,
    seatId: input.seatId,
    clockSkewMs: input.clockSkewMs,
    anomalyId,
  };
}

export function createLoginRecorder(deps: { hub: IngestHub; anomalies: GatewayAnomalies }): LoginRecorder {
  return {
    async write(ex, input) {
      const row = await insertLogin(ex, loginRow(input));
      let anomaly: RaisedAnomaly | null = null;
      if (input.reason === 'ip_not_allowed' && input.projectId) {
        // Severity, on/off and deduplication follow the project's anomaly settings.
        anomaly = await deps.anomalies.refusedAccess(
          ex,
          {
            projectId: input.projectId,
            siteId: input.siteId,
            teamId: input.teamId,
            seatId: input.seatId,
            agentId: input.agentId,
            operator: input.osUser,
          },
          { source: input.kind, ip: input.ip, at: input.at, loginId: row.id },
        );
      }
      return { attempt: loginAttempt(input, row.id, anomaly?.id ?? null), anomaly, input };
    },

    announce({ attempt, anomaly }) {
      deps.hub.emitLogin(attempt);
      if (anomaly) deps.anomalies.announce(anomaly);
    },
  };
}
