/** Protocol v1 limits. Both sides enforce them; see docs/protocol.md. */
export const PROTOCOL_VERSION = 1 as const;

/** A text frame (UTF-8 bytes) may be at most 1 MiB. */
export const MAX_TEXT_FRAME_BYTES = 1024 * 1024;
/** A binary frame (header + envelope + blob) may be at most 16 MiB. */
export const MAX_BINARY_FRAME_BYTES = 16 * 1024 * 1024;
/**
 * A hello frame may be at most 64 KiB. Before its hello is accepted a socket is nobody's, so
 * nothing bigger than a hello is buffered for it: the largest hello an agent builds (every info
 * string at its MAX_STRING_LENGTHS bound, 64 local IPs, in the characters that take the most
 * bytes once escaped twice) is about a third of this (packages/server/test/agent-gateway/hello-size.test.ts).
 */
export const MAX_HELLO_FRAME_BYTES = 64 * 1024;
/** Events in one batch. Keeps one batch well inside one transaction. */
export const MAX_EVENTS_PER_BATCH = 1000;
/** Challenge nonce: 32 random bytes. */
export const NONCE_BYTES = 32;
/** The hello must arrive within this time after the connection opens. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Maximum lengths (in Unicode code points) of the untrusted strings a seat
 * sends. Longer strings are not refused: the receiver truncates them with
 * `sanitizeText` so that nothing else in the batch is lost.
 */
export const MAX_STRING_LENGTHS = {
  title: 1024,
  app: 256,
  hostname: 255,
  osUser: 256,
  deviceField: 256,
  message: 2048,
  reason: 512,
  ip: 64,
  mime: 64,
} as const;

/** Identifiers (agentId, session, command id): short, printable, not untrusted text. */
export const MAX_ID_LENGTH = 128;
