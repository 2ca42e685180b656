/**
 * The steps of a hello (protocol v1 "Session"), in the order the connection
 * takes them: read the claim, look up the agent it names, verify the hello
 * with that agent's key, check the allowlist, open the session. Each step
 * that refuses stores the refused hello as a login record first (so every
 * attempt is on record), then throws the refusal's SeatwatchError; the
 * connection turns it into the error payload and the close code.
 */
import {
  type Ed25519Verifier,
  fromBase64,
  type HelloPayload,
  MAX_HELLO_FRAME_BYTES,
  type OpenedEnvelope,
  openTextFrame,
  parsePayloadJson,
  SeatwatchError,
  type ServerPayload,
  unverifiedHelloAgent,
  validatePayload,
  verifyEnvelope,
} from '@seatwatch/shared';
import {
  type LoginInput,
  type LoginRecorder,
  loginAttempt,
  loginRow,
  type WrittenLogin,
} from '../access/login-recorder.js';
import { markAgentDisconnected } from '../agents/agents.repository.js';
import type { Db } from '../db/connect.js';
import { applicableRanges, decideIp } from '../domain/allowlist.js';
import { sanitizeField } from '../domain/ingest-mapping.js';
import type { AgentSession } from '../ingest/ingest-hub.js';
import type { ServerMetrics } from '../metrics/server-metrics.js';
import { type HelloAgent, openSessionRows, readHelloContext } from './hello.repository.js';

export interface HelloDeps {
  db: Db;
  verifier: Ed25519Verifier;
  logins: LoginRecorder;
  metrics: ServerMetrics;
  now: () => number;
  newId: () => string;
  /** This process in the collector registry, named on each session it opens (issue #15). */
  collectorId: string;
}

/** Where and when the hello arrived, and the challenge it must answer. */
export interface HelloArrival {
  readonly nonce: string;
  readonly ip: string;
  readonly peerIp: string;
  readonly receivedAt: number;
}

/** A hello frame read but not trusted: the agent id it claims is all that was looked at. */
export interface HelloClaim {
  readonly envelope: OpenedEnvelope;
  readonly value: unknown;
  readonly claimed: string;
}

/** The claimed agent exists and is active; `login` is what a refusal from here on stores. */
export interface ClaimedAgent {
  readonly claim: HelloClaim;
  readonly arrival: HelloArrival;
  readonly found: HelloAgent;
  readonly login: LoginInput;
}

/** Signed by the claimed agent for this challenge: its info may go into the login record. */
export interface VerifiedHello {
  readonly arrival: HelloArrival;
  readonly found: HelloAgent;
  readonly hello: HelloPayload;
  readonly publicKey: Uint8Array;
  /** The hello's info, sanitised. */
  readonly info: { readonly hostname: string; readonly osUser: string; readonly agentVersion: string };
  readonly login: LoginInput;
}

/** The session as written: the agent row names it and the allowed login is stored (announce it once welcomed). */
export interface OpenedSession {
  readonly agent: AgentSession;
  readonly publicKey: Uint8Array;
  /** Highest seq stored for the agent: where its frames resume. */
  readonly ackedSeq: number;
  /** The OS account the next frame's events start with (domain/ingest-mapping.ts, attributeAccount). */
  readonly osUser: string;
  readonly written: WrittenLogin;
  readonly welcome: ServerPayload;
  /** Commands were waiting for the agent when the session was written. */
  readonly commandsPending: boolean;
}

type HelloRefusal =
  | 'unknown_agent'
  | 'agent_revoked'
  | 'bad_signature'
  | 'payload_invalid'
  | 'wrong_nonce'
  | 'ip_not_allowed';

/** What an id we issue can look like: printable ASCII without spaces. */
const AGENT_ID = /^[\x21-\x7e]+$/;

/** Step 1: a text frame whose payload is a hello naming an agent. Nothing is stored for a frame that is not. */
export function readHello(bytes: Uint8Array, isBinary: boolean): HelloClaim {
  if (isBinary) throw new SeatwatchError('unexpected_message', 'expected a hello in a text frame');
  if (bytes.length > MAX_HELLO_FRAME_BYTES) {
    throw new SeatwatchError('frame_too_large', `a hello is at most ${MAX_HELLO_FRAME_BYTES} bytes`);
  }
  const envelope = openTextFrame(bytes);
  const value = parsePayloadJson(envelope);
  const claimed = unverifiedHelloAgent(value);
  if (claimed === null) {
    const isHello = (value as { t?: unknown } | null)?.t === 'hello';
    throw new SeatwatchError(
      isHello ? 'payload_invalid' : 'unexpected_message',
      isHello ? 'hello without a valid agent field' : 'expected a hello',
    );
  }
  return { envelope, value, claimed };
}

/** Step 2: the agent the hello claims to be, which must exist and be active. */
export async function lookUpAgent(
  deps: HelloDeps,
  claim: HelloClaim,
  arrival: HelloArrival,
): Promise<ClaimedAgent> {
  // Agent ids are ours (UUIDs): anything else cannot name an agent, and must not reach a query
  // (a NUL would make PostgreSQL refuse the statement instead of the hello). The allowlist and the
  // policy come with the agent (one round trip), read now as before: other processes edit them.
  const found = AGENT_ID.test(claim.claimed) ? await readHelloContext(deps.db, claim.claimed) : null;
  const login = refusedLogin(arrival, claim.claimed, found);
  if (!found) return refuse(deps, 'unknown_agent', login);
  if (found.status !== 'active') return refuse(deps, 'agent_revoked', login);
  return { claim, arrival, found, login };
}

/** Step 3: signed with the agent's key, a valid hello, answering this connection's challenge. */
export async function verifyHello(deps: HelloDeps, claimed: ClaimedAgent): Promise<VerifiedHello> {
  const { claim, arrival, found } = claimed;
  const publicKey = fromBase64(found.publicKey, 32);
  try {
    verifyEnvelope(claim.envelope, 'agent', publicKey, deps.verifier);
  } catch (error) {
    return refuse(deps, 'bad_signature', claimed.login, error);
  }
  let hello: HelloPayload;
  try {
    hello = validatePayload(claim.value, 'agent', 'text') as HelloPayload;
  } catch (error) {
    return refuse(deps, 'payload_invalid', claimed.login, error);
  }
  const info = {
    hostname: sanitizeField(hello.info.hostname, 'hostname'),
    osUser: sanitizeField(hello.info.osUser, 'osUser'),
    agentVersion: sanitizeField(hello.info.agentVersion, 'app'),
  };
  const login: LoginInput = { ...claimed.login, clockSkewMs: hello.time - arrival.receivedAt, ...info };
  if (hello.nonce !== arrival.nonce) return refuse(deps, 'wrong_nonce', login);
  return { arrival, found, hello, publicKey, info, login };
}

/** Step 4: the client IP is on the allowlist of the agent's project and site (read with the agent, by this hello). */
export async function checkAllowlist(deps: HelloDeps, verified: VerifiedHello): Promise<void> {
  const { found, arrival } = verified;
  const decision = decideIp(arrival.ip, applicableRanges(found.allowlist, found.siteId));
  if (!decision.allowed) await refuse(deps, 'ip_not_allowed', verified.login);
}

/**
 * Step 5: the session, in one statement with the allowed login record: the
 * agent row names it, and gives back the seq its frames resume after. Then
 * the welcome, with the policy of the agent's site (read with the agent).
 */
export async function openSession(deps: HelloDeps, verified: VerifiedHello): Promise<OpenedSession> {
  const { arrival, found, hello, info } = verified;
  if (!found.policy) throw new Error(`project ${found.projectId} has no policy row`);
  const { policy, notice } = found.policy;
  const session = deps.newId();
  const login: LoginInput = { ...verified.login, allowed: true, reason: null, session };
  const opened = await openSessionRows(deps.db, {
    login: loginRow(login),
    agentId: found.id,
    session,
    ip: arrival.ip,
    at: new Date(arrival.receivedAt),
    ...info,
    noticeVersion: hello.info.noticeVersion,
    collectorId: deps.collectorId,
  });
  const { ackedSeq } = opened;
  const osUser = opened.latestOsUser ?? info.osUser;
  // An allowed hello raises no anomaly (only an IP refusal does: access/login-recorder.ts).
  const written: WrittenLogin = {
    attempt: loginAttempt(login, opened.loginId, null),
    anomaly: null,
    input: login,
  };
  const agent: AgentSession = {
    agentId: found.id,
    projectId: found.projectId,
    seatId: found.seatId,
    siteId: found.siteId,
    teamId: found.teamId,
    session,
    ip: arrival.ip,
    operator: info.osUser,
    hostname: info.hostname,
    agentVersion: info.agentVersion,
    noticeVersion: hello.info.noticeVersion,
    clockSkewMs: hello.time - arrival.receivedAt,
    connectedAt: arrival.receivedAt,
  };
  return {
    agent,
    publicKey: verified.publicKey,
    ackedSeq,
    osUser,
    written,
    welcome: { t: 'welcome', v: 1, session, ackedSeq, policy, notice },
    commandsPending: opened.commandsPending,
  };
}

/** The socket closed while the session was being opened (handshake timeout, the agent left): undo the mark. */
export function abandonSession(deps: HelloDeps, opened: OpenedSession): Promise<void> {
  return markAgentDisconnected(deps.db, opened.agent.agentId, opened.agent.session, new Date(deps.now()));
}

/** The login record of a hello refused before its signature was checked: nothing the agent sent is in it but its claim. */
function refusedLogin(arrival: HelloArrival, claimed: string, found: HelloAgent | null): LoginInput {
  return {
    kind: 'hello',
    at: arrival.receivedAt,
    ip: arrival.ip,
    peerIp: arrival.peerIp,
    allowed: false,
    reason: null,
    projectId: found?.projectId ?? null,
    agentId: found?.id ?? null,
    claimedAgent: sanitizeField(claimed, 'hostname'),
    seatId: found?.seatId ?? null,
    siteId: found?.siteId ?? null,
    teamId: found?.teamId ?? null,
    clockSkewMs: null,
    session: null,
    hostname: null,
    osUser: null,
    agentVersion: null,
  };
}

/** Stores the refused hello (and its anomaly), then throws the refusal for the connection to close with. */
async function refuse(
  deps: HelloDeps,
  code: HelloRefusal,
  login: LoginInput,
  cause?: unknown,
): Promise<never> {
  const written = await deps.db.transaction((tx) =>
    deps.logins.write(tx, { ...login, allowed: false, reason: code }),
  );
  deps.logins.announce(written);
  deps.metrics.logins.inc({ outcome: code });
  throw cause instanceof SeatwatchError && cause.code === code ? cause : new SeatwatchError(code);
}
