/**
 * The one catalog of error codes that cross a boundary: WebSocket close
 * reasons, HTTP error bodies, and the `error` payload's `code`. Each code
 * carries the HTTP status and/or close code it maps to; the mapping happens
 * once, at the edge, by looking the code up here.
 */
export const ERROR_CATALOG = {
  // Frame and payload problems (protocol close 4400).
  frame_too_large: { close: 4400, status: 413, message: 'Frame exceeds the protocol size limit' },
  frame_malformed: { close: 4400, status: 400, message: 'Frame is not a well-formed signed envelope' },
  payload_invalid: {
    close: 4400,
    status: 400,
    message: 'Payload is not valid JSON or does not match its schema',
  },
  unexpected_message: {
    close: 4400,
    status: 400,
    message: 'Message type not expected at this point of the session',
  },
  blob_hash_mismatch: {
    close: 4400,
    status: 400,
    message: 'Blob bytes do not match the sha256 in the payload',
  },
  blob_size_mismatch: {
    close: 4400,
    status: 400,
    message: 'Blob length does not match the size in the payload',
  },
  // Authentication (protocol close 4401).
  bad_signature: { close: 4401, status: 401, message: 'Signature does not verify' },
  unknown_agent: { close: 4401, status: 401, message: 'Agent is not enrolled' },
  wrong_nonce: { close: 4401, status: 401, message: 'Hello does not echo this connection’s challenge' },
  wrong_session: { close: 4401, status: 401, message: 'Frame names a session other than this connection’s' },
  // Access and lifecycle.
  ip_not_allowed: { close: 4403, status: 403, message: 'Client IP is not on the project allowlist' },
  handshake_timeout: { close: 4408, status: 408, message: 'Hello not completed in time' },
  replaced: { close: 4409, status: 409, message: 'Replaced by a newer connection of the same agent' },
  agent_revoked: { close: 4410, status: 401, message: 'Agent has been revoked' },
  // Enrollment and HTTP API.
  bad_request: { close: 4400, status: 400, message: 'Request body is malformed' },
  token_invalid: {
    close: 4401,
    status: 401,
    message: 'Enrollment token is unknown, expired, used up or revoked',
  },
  unauthorized: { close: 4401, status: 401, message: 'Authentication required' },
  forbidden: { close: 4403, status: 403, message: 'Not allowed for this role or scope' },
  not_found: { close: 4400, status: 404, message: 'No such resource' },
  conflict: { close: 4400, status: 409, message: 'Conflicts with the current state' },
  retention_below_minimum: {
    close: 4400,
    status: 422,
    message: 'Retention is shorter than this installation’s minimum',
  },
  mask_pattern_invalid: {
    close: 4400,
    status: 422,
    message: 'A mask pattern of the policy is not an RE2 regular expression the agents can use',
  },
  seat_team_elsewhere: {
    close: 4400,
    status: 422,
    message: 'The team belongs to another site than the seat’s',
  },
  seat_move_invalid: {
    close: 4400,
    status: 422,
    message: 'Some rows of the seat move do not resolve; nothing was moved',
  },
  rate_limited: { close: 4400, status: 429, message: 'Too many attempts; try again later' },
  credentials_wrong: {
    close: 4403,
    status: 403,
    message: 'The current password or the authenticator code is wrong',
  },
  internal: { close: 1011, status: 500, message: 'Internal error' },
  unavailable: { close: 1013, status: 503, message: 'Temporarily unavailable' },
} as const satisfies Record<string, { close: number; status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CATALOG, value);
}

/** A typed, catalogued error. Throw these, never strings. */
export class SeatwatchError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly closeCode: number;

  constructor(code: ErrorCode, detail?: string, options?: ErrorOptions) {
    const entry = ERROR_CATALOG[code];
    super(detail ? `${entry.message}: ${detail}` : entry.message, options);
    this.name = 'SeatwatchError';
    this.code = code;
    this.status = entry.status;
    this.closeCode = entry.close;
  }

  /** The `{error, message}` body used on HTTP and in the `error` payload. */
  toBody(): { error: ErrorCode; message: string } {
    return { error: this.code, message: this.message };
  }
}
