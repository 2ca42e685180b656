/**
 * The operator self-view: what was collected about one seat, and who read
 * or exported it, when and why. Reached from the agent's transparency page:
 * the agent asks for a one-time link with a request signed by its key
 * (domain "seatwatch/1 self-view", so it can never pass for a protocol
 * frame); the link's token works once and opens a short session bound to
 * that seat. Tokens are stored as SHA-256 only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { fromBase64, SeatwatchError } from '@seatwatch/shared';
import { type SelfView, SelfViewLinkPayload, selfViewSigningInput } from '@seatwatch/shared/dashboard-api';
import { createNodeCryptoVerifier } from '@seatwatch/shared/node-crypto';
import { Ajv } from 'ajv';
import { recordAudit, seatAccessEntries } from '../audit/audit-log.js';
import { effectivePolicy } from '../tenancy/tenancy.repository.js';
import type { InvestigationServiceDeps } from './investigation-deps.js';
import {
  collectedCounts,
  insertLink,
  linkAgent,
  seatInfo,
  seatThumbnail,
  sessionLink,
  useLink,
} from './self-view.repository.js';
import { devicePage, loginPage, screenshotPage, spanPage } from './timeline.repository.js';

const SELF_VIEW_LINK_MS = 10 * 60_000;
const SELF_VIEW_SESSION_MS = 30 * 60_000;
/** A link request must be this fresh (agent clock vs server clock). */
const SELF_VIEW_MAX_SKEW_MS = 5 * 60_000;
/** Actions that are about people other than the operator looking at the seat's data. */
const SELF_VIEW_ACTIONS = /^self_view\./;
const RECENT = 50;

const validatePayload = new Ajv({ strict: false }).compile(SelfViewLinkPayload);
const verifier = createNodeCryptoVerifier();
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** The seat a self-view session is bound to. */
export interface SelfViewSession {
  seatId: string;
  projectId: string;
  expiresAt: number;
}

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
    return { seatId: agent.seatId, projectId: agent.projectId, agentId: agent.id, nonce: payload.nonce };
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
        ? { seatId: row.seatId, projectId: row.projectId, expiresAt: row.expiresAt!.getTime() }
        : null;
    },

    async selfView(seat: SelfViewSession): Promise<SelfView> {
      const now = deps.now();
      const info = await seatInfo(db, seat.seatId);
      if (!info) throw new SeatwatchError('not_found', 'the seat is gone');
      const { policy } = await effectivePolicy(db, seat.projectId, info.siteId);
      const counts = await collectedCounts(db, seat.seatId);
      const latest = { seatIds: [seat.seatId], from: 0, to: now + 60_000 };
      const [spans, shots, devices, logins] = await Promise.all([
        spanPage(db, latest, {}, null, RECENT, 'desc'),
        screenshotPage(db, latest, null, 24, 'desc'),
        devicePage(db, latest, null, RECENT, 'desc'),
        loginPage(db, latest, null, 20, 'desc'),
      ]);
      const access = (await seatAccessEntries(db, seat.seatId, 200)).filter(
        (entry) => !SELF_VIEW_ACTIONS.test(entry.action),
      );
      return {
        seat: { id: seat.seatId, name: info.name, projectName: info.projectName },
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
        recentSpans: spans.slice(0, RECENT),
        screenshots: shots.slice(0, 24),
        devices: devices.slice(0, RECENT),
        logins: logins.slice(0, 20),
        access: access.map((entry) => ({
          at: entry.at,
          who: entry.actor,
          action: entry.action,
          reason: entry.reason,
          caseId: entry.caseId,
        })),
      };
    },

    /** A thumbnail of one of the session seat's screenshots. */
    async thumbnail(seat: SelfViewSession, screenshotId: string): Promise<Uint8Array> {
      const thumb = await seatThumbnail(db, seat.seatId, Number(screenshotId));
      if (!thumb) throw new SeatwatchError('not_found', 'no such screenshot of this seat');
      const bytes = await deps.blobs.get(thumb);
      if (!bytes) throw new SeatwatchError('not_found', 'the screenshot is gone (retention)');
      return bytes;
    },
  };
}
