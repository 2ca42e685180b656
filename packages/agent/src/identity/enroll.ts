/**
 * Enrollment (`POST /api/v1/enroll`): makes the seat's Ed25519 key pair
 * here, sends only the public key, pins the server key from the answer and
 * stores the identity. Refuses a URL without TLS unless loopback or --insecure.
 */
import {
  ED25519_PUBLIC_KEY_BYTES,
  type EnrollRequest,
  fromBase64,
  generateKeyPair,
  type Notice,
  type Policy,
  validateNotice,
  validatePolicy,
} from '@seatwatch/shared';
import { checkServerUrl } from '../core/server-url.js';
import { type Identity, isEnrolled, StateError, saveEnrollment } from './identity-store.js';

export interface EnrollOptions {
  readonly stateDir: string;
  readonly serverUrl: string;
  readonly token: string;
  readonly seat?: string | undefined;
  readonly insecure: boolean;
  readonly hostname: string;
  readonly os: string;
  readonly osUser: string;
  readonly agentVersion: string;
  readonly now: () => number;
  readonly fetch?: typeof fetch;
}

/** The server said no, or could not be reached. Exit code 1. */
export class EnrollError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string | null,
  ) {
    super(message);
    this.name = 'EnrollError';
  }
}

export async function enroll(options: EnrollOptions): Promise<Identity> {
  const check = checkServerUrl(options.serverUrl, options.insecure);
  if (!check.ok) throw new EnrollError(check.reason, null, null);
  if (isEnrolled(options.stateDir)) {
    throw new StateError(
      `this seat is already enrolled (state in ${options.stateDir}); run "seatwatch-agent unenroll" first`,
    );
  }
  const keys = generateKeyPair();
  const body: EnrollRequest = {
    token: options.token,
    publicKey: Buffer.from(keys.publicKey).toString('base64'),
    hostname: options.hostname,
    os: options.os,
    osUser: options.osUser,
    agentVersion: options.agentVersion,
    ...(options.seat ? { seat: options.seat } : {}),
  };
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(`${check.endpoints.base}/api/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      redirect: 'error',
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new EnrollError(
      `cannot reach ${check.endpoints.base}: ${error instanceof Error ? error.message : String(error)}`,
      null,
      null,
    );
  }
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Handled below: a non-JSON answer is an error either way.
  }
  if (response.status !== 201) {
    const err = json as { error?: unknown; message?: unknown } | null;
    const code = typeof err?.error === 'string' ? err.error : null;
    const message = typeof err?.message === 'string' ? err.message : text.slice(0, 200);
    throw new EnrollError(
      `enrollment refused (HTTP ${response.status}${code ? `, ${code}` : ''}): ${message}`,
      response.status,
      code,
    );
  }
  const answer = json as {
    agentId?: unknown;
    serverPublicKey?: unknown;
    projectId?: unknown;
    policy?: unknown;
    notice?: unknown;
  };
  if (typeof answer?.agentId !== 'string' || !answer.agentId || typeof answer.projectId !== 'string') {
    throw new EnrollError('the server answered 201 without agentId/projectId', 201, null);
  }
  try {
    fromBase64(String(answer.serverPublicKey), ED25519_PUBLIC_KEY_BYTES);
  } catch {
    throw new EnrollError('the server answered 201 without a valid serverPublicKey', 201, null);
  }
  if (!validatePolicy(answer.policy) || !validateNotice(answer.notice)) {
    throw new EnrollError('the server answered 201 with an invalid policy or notice', 201, null);
  }
  const identity: Identity = {
    version: 1,
    agentId: answer.agentId,
    projectId: answer.projectId,
    serverUrl: check.endpoints.base,
    insecure: options.insecure,
    serverPublicKey: answer.serverPublicKey as string,
    seat: options.seat ?? null,
    enrolledAt: options.now(),
    policy: answer.policy as Policy,
    notice: answer.notice as Notice,
    revoked: false,
  };
  saveEnrollment(options.stateDir, identity, keys.secretKey);
  return identity;
}
