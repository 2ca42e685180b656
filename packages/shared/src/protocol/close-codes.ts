/** WebSocket close codes of protocol v1 (plus the standard ones we use). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  messageTooBig: 1009,
  internalError: 1011,
  tryAgainLater: 1013,
  invalidFrame: 4400,
  authenticationFailed: 4401,
  ipNotAllowed: 4403,
  handshakeTimeout: 4408,
  replaced: 4409,
  revoked: 4410,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
