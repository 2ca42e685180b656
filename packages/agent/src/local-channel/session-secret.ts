/**
 * The secret handshake of the local channel where the OS cannot say whose
 * connection it is (Windows: Node cannot set a named pipe's ACL, so every
 * account can open the one pipe). The service gives each logged-on account
 * a random secret in a file only that account (and SYSTEM, Administrators)
 * can read; a session part's first bytes on a connection are its secret and
 * a newline, and the service maps the secret to the account. A name the
 * session part claims is never read: only which secret it holds.
 *
 * Transport-free: the same code runs over a named pipe on Windows and over a
 * Unix socket or TCP loopback in the tests.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';

/** 32 random bytes, as 64 hex characters. */
export const SECRET_BYTES = 32;
const SECRET_TEXT = SECRET_BYTES * 2;
/** The handshake line: the secret and "\n". Anything longer before the newline is refused. */
const LINE_BYTES = SECRET_TEXT + 1;
/** A connection that has not presented its secret by then is closed. */
export const HANDSHAKE_TIMEOUT_MS = 5000;

export function newSecret(random: (bytes: number) => Buffer = crypto.randomBytes): string {
  return random(SECRET_BYTES).toString('hex');
}

/** The secrets handed out now, each to one account. */
export class SecretRegistry<T> {
  private readonly entries = new Map<string, { digest: Buffer; value: T }>();

  add(secret: string, value: T): void {
    this.entries.set(secret, { digest: digest(secret), value });
  }

  remove(secret: string): void {
    this.entries.delete(secret);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The account of `presented`, compared in constant time against every secret (the map is not indexed by it). */
  match(presented: string): T | null {
    const candidate = digest(presented);
    let found: T | null = null;
    for (const { digest: known, value } of this.entries.values()) {
      if (crypto.timingSafeEqual(known, candidate)) found = value;
    }
    return found;
  }
}

const digest = (secret: string) => crypto.createHash('sha256').update(secret, 'utf8').digest();

export type Handshake = { ok: true; secret: string; rest: Buffer } | { ok: false; reason: string };

/**
 * Reads the handshake line from a fresh connection. On success the stream is
 * paused with the bytes that followed the line put back, for the channel's
 * own reader to take once it resumes the socket.
 */
export function readHandshake(socket: net.Socket, timeoutMs = HANDSHAKE_TIMEOUT_MS): Promise<Handshake> {
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0);
    const finish = (result: Handshake) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onClose);
      resolve(result);
    };
    const onClose = () => finish({ ok: false, reason: 'closed before presenting a secret' });
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const newline = buffered.indexOf(0x0a);
      const line = buffered.subarray(0, newline === -1 ? buffered.length : newline).toString('latin1');
      // Refused at the first byte that cannot be part of a secret: a client that sends a frame straight away waits for nothing.
      if (!/^[0-9a-f]*$/.test(line)) {
        finish({ ok: false, reason: 'malformed secret' });
        return;
      }
      if (newline === -1) {
        if (buffered.length >= LINE_BYTES) finish({ ok: false, reason: 'no secret line' });
        return;
      }
      if (line.length !== SECRET_TEXT) {
        finish({ ok: false, reason: 'malformed secret' });
        return;
      }
      socket.pause();
      const rest = buffered.subarray(newline + 1);
      if (rest.length > 0) socket.unshift(rest);
      finish({ ok: true, secret: line, rest });
    };
    const timer = setTimeout(() => finish({ ok: false, reason: 'no secret in time' }), timeoutMs);
    timer.unref();
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onClose);
  });
}

/** What a session part writes first on a connection: before any frame, which the socket queues after it. */
export function handshakeLine(secret: string): string {
  return `${secret}\n`;
}

/**
 * A session part's connection: the secret read from `secretFile` now (a
 * service started since has made a new one), written before anything else.
 * An unreadable file ends the connection with the reason, and the session
 * part tries again later as with any failed connection.
 */
export function connectWithSecret(target: string, secretFile: string): net.Socket {
  const socket = net.createConnection(target);
  let secret: string;
  try {
    secret = fs.readFileSync(secretFile, 'latin1').trim();
  } catch (error) {
    const why =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? ' is not there (is the machine service running?)'
        : `: ${(error as Error).message}`;
    process.nextTick(() => socket.destroy(new Error(`this account's channel secret ${secretFile}${why}`)));
    return socket;
  }
  socket.write(handshakeLine(secret));
  return socket;
}
