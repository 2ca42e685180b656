/**
 * POST /api/v1/enroll behind the route: checks the token, then the
 * caller's IP against the project's allowlist, then creates the seat (by
 * name, made on first use) and the agent, taking one use of the token in
 * the same transaction.
 */
import { type EnrollRequest, type EnrollResponse, fromBase64, SeatwatchError } from '@seatwatch/shared';
import { publicKeyObject } from '@seatwatch/shared/node-crypto';
import { checkIpAccess } from '../access/ip-access.js';
import type { LoginInput, LoginRecorder } from '../access/login-recorder.js';
import { findAgentByPublicKey, insertAgent } from '../agents/agents.repository.js';
import type { Db } from '../db/connect.js';
import { decideToken } from '../domain/enrollment.js';
import { sanitizeField } from '../domain/ingest-mapping.js';
import type { ServerMetrics } from '../metrics/server-metrics.js';
import { effectivePolicy, findOrCreateSeat } from '../tenancy/tenancy.repository.js';
import { hashEnrollmentToken } from './enrollment-tokens.js';
import { consumeEnrollmentToken, findEnrollmentTokenByHash } from './enrollment-tokens.repository.js';

export interface EnrollmentDeps {
  db: Db;
  logins: LoginRecorder;
  metrics: ServerMetrics;
  serverPublicKey: string;
  now: () => number;
}

export interface EnrollmentCaller {
  ip: string;
  peerIp: string;
}

export type Enroll = (request: EnrollRequest, caller: EnrollmentCaller) => Promise<EnrollResponse>;

export function createEnrollmentService(deps: EnrollmentDeps): Enroll {
  const refuse = (code: 'token_invalid' | 'ip_not_allowed' | 'bad_request' | 'conflict', detail?: string) => {
    deps.metrics.enrollments.inc({ outcome: code });
    return new SeatwatchError(code, detail);
  };

  return async (request, caller) => {
    const at = deps.now();
    const token = await findEnrollmentTokenByHash(deps.db, hashEnrollmentToken(request.token));
    const state = token && {
      revokedAt: token.revokedAt?.getTime() ?? null,
      expiresAt: token.expiresAt.getTime(),
      uses: token.uses,
      maxUses: token.maxUses,
    };
    if (!token || !state || !decideToken(state, at).usable) throw refuse('token_invalid');

    const hostname = sanitizeField(request.hostname, 'hostname');
    const osUser = sanitizeField(request.osUser, 'osUser');
    const agentVersion = sanitizeField(request.agentVersion, 'app');
    const login: LoginInput = {
      kind: 'enroll',
      at,
      ip: caller.ip,
      peerIp: caller.peerIp,
      allowed: false,
      reason: null,
      projectId: token.projectId,
      agentId: null,
      claimedAgent: null,
      seatId: null,
      siteId: token.siteId,
      teamId: null,
      clockSkewMs: null,
      session: null,
      hostname,
      osUser,
      agentVersion,
    };

    const decision = await checkIpAccess(deps.db, token.projectId, token.siteId, caller.ip);
    if (!decision.allowed) {
      const written = await deps.db.transaction((tx) =>
        deps.logins.write(tx, { ...login, reason: 'ip_not_allowed' }),
      );
      deps.logins.announce(written);
      throw refuse('ip_not_allowed');
    }

    const publicKey = fromBase64(request.publicKey, 32);
    try {
      publicKeyObject(publicKey);
    } catch {
      throw refuse('bad_request', 'publicKey is not an Ed25519 public key');
    }
    if (await findAgentByPublicKey(deps.db, request.publicKey)) {
      throw refuse('conflict', 'an agent with this public key is enrolled already');
    }

    const seatName = request.seat ? sanitizeField(request.seat, 'hostname') : hostname || 'unnamed seat';
    const result = await deps.db.transaction(async (tx) => {
      if (!(await consumeEnrollmentToken(tx, token.id, new Date(at)))) throw refuse('token_invalid');
      const seat = await findOrCreateSeat(tx, {
        projectId: token.projectId,
        siteId: token.siteId,
        name: seatName,
      });
      const agent = await insertAgent(tx, {
        projectId: token.projectId,
        seatId: seat.id,
        publicKey: request.publicKey,
        hostname,
        os: sanitizeField(request.os, 'app'),
        osUser,
        agentVersion,
        enrollmentTokenId: token.id,
        enrolledAt: new Date(at),
        enrolledIp: caller.ip,
      });
      const written = await deps.logins.write(tx, {
        ...login,
        allowed: true,
        agentId: agent.id,
        seatId: seat.id,
        siteId: seat.siteId,
        teamId: seat.teamId,
      });
      return { agent, seat, written };
    });
    deps.logins.announce(result.written);
    deps.metrics.enrollments.inc({ outcome: 'enrolled' });
    const { policy, notice } = await effectivePolicy(deps.db, token.projectId, result.seat.siteId);
    return {
      agentId: result.agent.id,
      serverPublicKey: deps.serverPublicKey,
      projectId: token.projectId,
      policy,
      notice,
    };
  };
}
