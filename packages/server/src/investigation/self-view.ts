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
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { seatAccessEntries } from '../audit/audit-log.js';
import { type Executor, queryRows } from '../db/connect.js';
import { agents, projects, seats, selfViewLinks } from '../db/schema/index.js';
import { effectivePolicy } from '../tenancy/tenancy.repository.js';
import { devicePage, loginPage, screenshotPage, spanPage } from './timeline.queries.js';

export const SELF_VIEW_LINK_MS = 10 * 60_000;
export const SELF_VIEW_SESSION_MS = 30 * 60_000;
/** A link request must be this fresh (agent clock vs server clock). */
export const SELF_VIEW_MAX_SKEW_MS = 5 * 60_000;
/** Actions that are about people other than the operator looking at the seat's data. */
const SELF_VIEW_ACTIONS = /^self_view\./;

const validatePayload = new Ajv({ strict: false }).compile(SelfViewLinkPayload);
const verifier = createNodeCryptoVerifier();
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface SelfViewSeat {
  seatId: string;
  projectId: string;
  seatName: string;
  agentId: string;
}

/** Checks a signed link request; returns the agent's seat. */
export async function verifyLinkRequest(
  ex: Executor,
  request: { p: string; s: string },
  now: number,
): Promise<SelfViewSeat & { nonce: string }> {
  let payload: unknown;
  try {
    payload = JSON.parse(request.p);
  } catch {
    throw new SeatwatchError('payload_invalid', 'p is not JSON');
  }
  if (!validatePayload(payload)) throw new SeatwatchError('payload_invalid', 'not a self-view link request');
  const [agent] = await ex
    .select({
      id: agents.id,
      publicKey: agents.publicKey,
      status: agents.status,
      seatId: agents.seatId,
      projectId: agents.projectId,
      seatName: seats.name,
    })
    .from(agents)
    .innerJoin(seats, eq(seats.id, agents.seatId))
    .where(eq(agents.id, payload.agent));
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
  return {
    seatId: agent.seatId,
    projectId: agent.projectId,
    seatName: agent.seatName,
    agentId: agent.id,
    nonce: payload.nonce,
  };
}

/** Makes a one-time link token for the seat; a replayed request (same nonce) is a conflict. */
export async function createLink(ex: Executor, seat: SelfViewSeat & { nonce: string }, now: number) {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = now + SELF_VIEW_LINK_MS;
  const inserted = await ex
    .insert(selfViewLinks)
    .values({
      projectId: seat.projectId,
      seatId: seat.seatId,
      agentId: seat.agentId,
      requestNonce: seat.nonce,
      tokenHash: hashToken(token),
      expiresAt: new Date(expiresAt),
      createdAt: new Date(now),
    })
    .onConflictDoNothing({ target: selfViewLinks.requestNonce })
    .returning({ id: selfViewLinks.id });
  if (inserted.length === 0) throw new SeatwatchError('conflict', 'this link request was used already');
  return { token, expiresAt };
}

/** Uses the one-time token: returns a session token for the seat. */
export async function openSession(ex: Executor, token: string, now: number) {
  const session = randomBytes(32).toString('base64url');
  const expiresAt = now + SELF_VIEW_SESSION_MS;
  const [row] = await ex
    .update(selfViewLinks)
    .set({ usedAt: new Date(now), sessionHash: hashToken(session), sessionExpiresAt: new Date(expiresAt) })
    .where(
      and(
        eq(selfViewLinks.tokenHash, hashToken(token)),
        isNull(selfViewLinks.usedAt),
        gt(selfViewLinks.expiresAt, new Date(now)),
      ),
    )
    .returning({ seatId: selfViewLinks.seatId, projectId: selfViewLinks.projectId });
  if (!row)
    throw new SeatwatchError(
      'unauthorized',
      'this link was used already or has expired; open a new one from the agent',
    );
  return { session, expiresAt, ...row };
}

/** The seat behind a self-view session cookie, or null. */
export async function sessionSeat(ex: Executor, session: string, now: number) {
  const [row] = await ex
    .select({
      seatId: selfViewLinks.seatId,
      projectId: selfViewLinks.projectId,
      expiresAt: selfViewLinks.sessionExpiresAt,
    })
    .from(selfViewLinks)
    .where(
      and(
        eq(selfViewLinks.sessionHash, hashToken(session)),
        gt(selfViewLinks.sessionExpiresAt, new Date(now)),
      ),
    );
  return row ? { seatId: row.seatId, projectId: row.projectId, expiresAt: row.expiresAt!.getTime() } : null;
}

const RECENT = 50;

export async function selfView(
  ex: Executor,
  seat: { seatId: string; projectId: string; expiresAt: number },
  now: number,
): Promise<SelfView> {
  const [info] = await ex
    .select({ name: seats.name, siteId: seats.siteId, projectName: projects.name })
    .from(seats)
    .innerJoin(projects, eq(projects.id, seats.projectId))
    .where(eq(seats.id, seat.seatId));
  if (!info) throw new SeatwatchError('not_found', 'the seat is gone');
  const { policy } = await effectivePolicy(ex, seat.projectId, info.siteId);
  const [counts] = await queryRows<{
    spans: string;
    screenshots: string;
    devices: string;
    logins: string;
    oldest: Date | string | null;
  }>(
    ex,
    sql`select
      (select count(*) from activity_spans where seat_id = ${seat.seatId}) as spans,
      (select count(*) from screenshots where seat_id = ${seat.seatId}) as screenshots,
      (select count(*) from device_events where seat_id = ${seat.seatId}) as devices,
      (select count(*) from logins l join agents a on a.id = l.agent_id where a.seat_id = ${seat.seatId}) as logins,
      (select min(started_at) from activity_spans where seat_id = ${seat.seatId}) as oldest`,
  );
  const latest = { seatIds: [seat.seatId], from: 0, to: now + 60_000 };
  const [spans, shots, devices, logins] = await Promise.all([
    spanPage(ex, latest, {}, null, RECENT, 'desc'),
    screenshotPage(ex, latest, null, 24, 'desc'),
    devicePage(ex, latest, null, RECENT, 'desc'),
    loginPage(ex, latest, null, 20, 'desc'),
  ]);
  const access = (await seatAccessEntries(ex, seat.seatId, 200)).filter(
    (entry) => !SELF_VIEW_ACTIONS.test(entry.action),
  );
  return {
    seat: { id: seat.seatId, name: info.name, projectName: info.projectName },
    expiresAt: seat.expiresAt,
    retentionDays: policy.retentionDays,
    screenshotsEnabled: policy.screenshotsEnabled,
    screenshotIntervalMs: policy.screenshotIntervalMs,
    counts: {
      spans: Number(counts?.spans ?? 0),
      screenshots: Number(counts?.screenshots ?? 0),
      devices: Number(counts?.devices ?? 0),
      logins: Number(counts?.logins ?? 0),
      oldest: counts?.oldest ? new Date(counts.oldest).getTime() : null,
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
}
