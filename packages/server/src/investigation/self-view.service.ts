/**
 * The operator self-view: what was collected about one operator at one
 * seat, and who looked at it (read or exported it), when and why.
 * Reached from the agent's transparency page: the agent asks for a
 * one-time link with a request signed by its key (domain "seatwatch/1
 * self-view", so it can never pass for a protocol frame); the link's token
 * works once and opens a short session bound to that seat and to the OS
 * account the agent runs for, so an operator never sees another shift's
 * data at the same seat. Tokens are stored as SHA-256 only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { fromBase64, SeatwatchError } from '@seatwatch/shared';
import { type SelfView, SelfViewLinkPayload, selfViewSigningInput } from '@seatwatch/shared/dashboard-api';
import { createNodeCryptoVerifier } from '@seatwatch/shared/node-crypto';
import { Ajv } from 'ajv';
import { recordAudit } from '../audit/audit-log.js';
import { effectivePolicy } from '../tenancy/tenancy.repository.js';
import type { InvestigationServiceDeps } from './investigation-deps.js';
import {
  agentReportedAccount,
  collectedCounts,
  insertLink,
  latestDevices,
  latestLogins,
  latestScreenshots,
  latestSpans,
  linkAgent,
  type OperatorRows,
  seatInfo,
  seatScreenshot,
  sessionLink,
  useLink,
} from './self-view.repository.js';

const SELF_VIEW_LINK_MS = 10 * 60_000;
const SELF_VIEW_SESSION_MS = 30 * 60_000;
/** A link request must be this fresh (agent clock vs server clock). */
const SELF_VIEW_MAX_SKEW_MS = 5 * 60_000;
const RECENT = 50;
const LOOKS = 200;

const validatePayload = new Ajv({ strict: false }).compile(SelfViewLinkPayload);
const verifier = createNodeCryptoVerifier();
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** The seat, and the OS account there, a self-view session is bound to. */
export interface SelfViewSession {
  seatId: string;
  projectId: string;
  /** As the agent reported it; null for a link made before accounts were kept (the whole seat). */
  osUser: string | null;
  expiresAt: number;
}

const operatorRows = (seat: SelfViewSession): OperatorRows => ({
  seatId: seat.seatId,
  operator: seat.osUser === null ? null : seat.osUser.toLowerCase(),
});

export type SelfViewService = ReturnType<typeof createSelfViewService>;

export function createSelfViewService(deps: InvestigationServiceDeps) {
  const { db } = deps;

  /** Checks a signed link request; returns the agent's seat and the request's nonce. */
  const verifyLinkRequest = async (request: { p: string; s: string }, now: number) => {
    let payload: unknown;
    try {
      payload = JSON.parse(request.p);
    } catch {
      throw new SeatwatchError('payload_invalid', 'p is not JSON');
    }
    if (!validatePayload(payload))
      throw new SeatwatchError('payload_invalid', 'not a self-view link request');
    const agent = await linkAgent(db, payload.agent);
    if (!agent) throw new SeatwatchError('unknown_agent');
    if (agent.status !== 'active') throw new SeatwatchError('agent_revoked');
    let signature: Uint8Array;
    try {
      signature = fromBase64(request.s, 64);
    } catch {
      throw new SeatwatchError('bad_signature');
    }
    if (!verifier.verify(selfViewSigningInput(request.p), signature, fromBase64(agent.publicKey, 32))) {
      throw new SeatwatchError('bad_signature');
    }
    if (Math.abs(payload.time - now) > SELF_VIEW_MAX_SKEW_MS) {
      throw new SeatwatchError('bad_request', 'the request is too old (or the seat clock is off)');
    }
    // The operator the agent runs for: named in the request by a machine service that serves several
    // sessions, else the OS user of the agent's latest hello. A named account must be one this agent
    // reported itself, so that one operator's agent cannot open another operator's view.
    const named = (payload as SelfViewLinkPayload).osUser;
    const osUser = named ?? agent.osUser;
    if (named !== undefined && !(await agentReportedAccount(db, agent.id, named))) {
      throw new SeatwatchError('forbidden', 'this agent never reported that OS account');
    }
    return {
      seatId: agent.seatId,
      projectId: agent.projectId,
      agentId: agent.id,
      nonce: payload.nonce,
      osUser,
    };
  };

  return {
    /**
     * A one-time link token for the seat of the agent that signed the request;
     * a replayed request (same nonce) is a conflict. The link is audited.
     */
    async createLink(request: { p: string; s: string }, ip: string) {
      const now = deps.now();
      const seat = await verifyLinkRequest(request, now);
      const token = randomBytes(32).toString('base64url');
      const expiresAt = now + SELF_VIEW_LINK_MS;
      await db.transaction(async (tx) => {
        const inserted = await insertLink(tx, {
          projectId: seat.projectId,
          seatId: seat.seatId,
          agentId: seat.agentId,
          requestNonce: seat.nonce,
          tokenHash: hashToken(token),
          expiresAt: new Date(expiresAt),
          createdAt: new Date(now),
          osUser: seat.osUser,
        });
        if (!inserted) throw new SeatwatchError('conflict', 'this link request was used already');
        await recordAudit(
          tx,
          {
            actor: `agent:${seat.agentId}`,
            action: 'self_view.link',
            projectId: seat.projectId,
            seatId: seat.seatId,
            ip,
            details: { osUser: seat.osUser },
          },
          now,
        );
      });
      return { token, expiresAt };
    },

    /** Uses the one-time token: returns a session token for its seat. The opening is audited. */
    async openSession(token: string, ip: string) {
      const now = deps.now();
      const session = randomBytes(32).toString('base64url');
      const expiresAt = now + SELF_VIEW_SESSION_MS;
      const seat = await db.transaction(async (tx) => {
        const used = await useLink(
          tx,
          {
            tokenHash: hashToken(token),
            sessionHash: hashToken(session),
            sessionExpiresAt: new Date(expiresAt),
          },
          new Date(now),
        );
        if (!used) {
          throw new SeatwatchError(
            'unauthorized',
            'this link was used already or has expired; open a new one from the agent',
          );
        }
        await recordAudit(
          tx,
          { actor: 'operator', action: 'self_view.open', projectId: used.projectId, seatId: used.seatId, ip },
          now,
        );
        return used;
      });
      return { session, seat: { ...seat, expiresAt } satisfies SelfViewSession };
    },

    /** The seat behind a self-view session cookie, or null. */
    async sessionSeat(session: string): Promise<SelfViewSession | null> {
      const row = await sessionLink(db, hashToken(session), new Date(deps.now()));
      return row
        ? {
            seatId: row.seatId,
            projectId: row.projectId,
            osUser: row.osUser,
            expiresAt: row.expiresAt!.getTime(),
          }
        : null;
    },

    async selfView(seat: SelfViewSession): Promise<SelfView> {
      const info = await seatInfo(db, seat.seatId);
      if (!info) throw new SeatwatchError('not_found', 'the seat is gone');
      const { policy } = await effectivePolicy(db, seat.projectId, info.siteId);
      const rows = operatorRows(seat);
      const [counts, spans, shots, devices, logins, looks] = await Promise.all([
        collectedCounts(db, rows),
        latestSpans(db, rows, RECENT),
        latestScreenshots(db, rows, 24),
        latestDevices(db, rows, RECENT),
        latestLogins(db, rows, 20),
        // Every look at this operator's data, by anyone (supervisors' board and seat pages included).
        deps.access.operatorLooks(db, {
          seatId: seat.seatId,
          projectId: seat.projectId,
          teamId: info.teamId,
          operator: rows.operator,
          limit: LOOKS,
        }),
      ]);
      return {
        seat: { id: seat.seatId, name: info.name, projectName: info.projectName },
        operator: seat.osUser,
        expiresAt: seat.expiresAt,
        retentionDays: policy.retentionDays,
        screenshotsEnabled: policy.screenshotsEnabled,
        screenshotIntervalMs: policy.screenshotIntervalMs,
        counts: {
          spans: counts?.spans ?? 0,
          screenshots: counts?.screenshots ?? 0,
          devices: counts?.devices ?? 0,
          logins: counts?.logins ?? 0,
          oldest: counts?.oldest?.getTime() ?? null,
        },
        recentSpans: spans,
        screenshots: shots,
        devices,
        logins,
        access: looks.map((look) => ({
          at: look.at.getTime(),
          who: look.actor,
          action: look.action,
          reason: look.reason,
          caseId: look.case_id,
          count: Number.isSafeInteger(look.count) && look.count > 0 ? look.count : 1,
        })),
      };
    },

    /** A thumbnail of one of the session operator's screenshots at the seat. */
    async thumbnail(seat: SelfViewSession, screenshotId: string): Promise<Uint8Array> {
      const shot = await seatScreenshot(db, operatorRows(seat), Number(screenshotId));
      if (!shot) throw new SeatwatchError('not_found', 'no such screenshot of yours at this seat');
      const thumbnail = await deps.thumbnails(shot);
      if (!thumbnail)
        throw new SeatwatchError('not_found', 'the screenshot is gone (retention) or unreadable');
      return thumbnail.bytes;
    },
  };
}
