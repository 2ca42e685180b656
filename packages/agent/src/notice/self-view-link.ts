/**
 * Asks the server for a one-time link to the operator self-view (what the
 * server holds about this seat, and who looked at it). The request is
 * signed with the agent's key under its own signing domain, so it can
 * never be replayed as a protocol frame, nor a frame as a link request.
 */
import { randomBytes } from 'node:crypto';
import { type Ed25519Signer, toBase64 } from '@seatwatch/shared';
import { type SelfViewLink, selfViewSigningInput } from '@seatwatch/shared/dashboard-api';

export async function requestSelfViewLink(
  serverUrl: string,
  agentId: string,
  signer: Ed25519Signer,
  now: () => number = Date.now,
  /** The machine service asks for one session's operator: the account of the socket that asked (issue #14). */
  osUser?: string,
): Promise<string> {
  const p = JSON.stringify({
    t: 'self_view_link',
    v: 1,
    agent: agentId,
    time: now(),
    nonce: randomBytes(18).toString('base64url'),
    ...(osUser !== undefined ? { osUser } : {}),
  });
  const answer = await fetch(`${serverUrl.replace(/\/+$/, '')}/api/v1/self-view/links`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ p, s: toBase64(signer.sign(selfViewSigningInput(p))) }),
    signal: AbortSignal.timeout(10_000),
  });
  if (answer.status !== 201) throw new Error(`the server answered ${answer.status}`);
  return ((await answer.json()) as SelfViewLink).url;
}
