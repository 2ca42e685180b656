/**
 * Writes login records (every hello and enrollment attempt) and, for an IP
 * refusal, the `ip_not_allowed` anomaly, then tells observers and other
 * processes once the transaction has committed.
 */
import type { Executor } from '../db/connect.js';
import { type RecordedAnomaly, recordAnomaly } from '../db/repositories/anomalies.repository.js';
import { insertLogin } from '../db/repositories/logins.repository.js';
import type { LoginKind } from '../db/schema/index.js';
import type { IngestHub, LoginAttempt } from '../ingest/ingest-hub.js';
import type { NotificationPort } from '../notifications/notification-port.js';

export interface LoginInput {
  kind: LoginKind;
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
  anomaly: RecordedAnomaly | null;
  input: LoginInput;
}

export interface LoginRecorder {
  /** Writes inside the caller's transaction; call announce() after it commits. */
  write(ex: Executor, input: LoginInput): Promise<WrittenLogin>;
  announce(written: WrittenLogin): void;
}

export function createLoginRecorder(deps: {
  hub: IngestHub;
  notifications: NotificationPort;
  onError: (error: unknown) => void;
}): LoginRecorder {
  return {
    async write(ex, input) {
      const row = await insertLogin(ex, {
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
      });
      let anomaly: RecordedAnomaly | null = null;
      if (input.reason === 'ip_not_allowed' && input.projectId) {
        anomaly = await recordAnomaly(ex, {
          projectId: input.projectId,
          siteId: input.siteId,
          teamId: input.teamId,
          seatId: input.seatId,
          agentId: input.agentId,
          rule: 'ip_not_allowed',
          severity: 'critical',
          operator: input.osUser,
          key: input.ip,
          at: input.at,
          evidence: [{ kind: 'login', id: row.id, at: input.at, ip: input.ip, via: input.kind }],
        });
      }
      const attempt: LoginAttempt = {
        kind: input.kind,
        loginId: row.id,
        at: input.at,
        allowed: input.allowed,
        reason: input.reason,
        ip: input.ip,
        projectId: input.projectId,
        agentId: input.agentId,
        seatId: input.seatId,
        clockSkewMs: input.clockSkewMs,
        anomalyId: anomaly?.id ?? null,
      };
      return { attempt, anomaly, input };
    },

    announce({ attempt, anomaly, input }) {
      deps.hub.emitLogin(attempt);
      if (anomaly && input.projectId) {
        deps.notifications
          .publish({
            topic: 'anomaly.raised',
            projectId: input.projectId,
            anomalyId: anomaly.id,
            rule: 'ip_not_allowed',
            severity: 'critical',
            agentId: input.agentId,
            opened: anomaly.opened,
          })
          .catch(deps.onError);
      }
    },
  };
}
