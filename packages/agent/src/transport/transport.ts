/**
 * The agent's side of a protocol v1 session (challenge → hello → welcome →
 * data/ack/command), with reconnects. Every server message is verified
 * against the pinned server key before it is parsed; one that fails is
 * refused and logged, never obeyed, and the connection is dropped (a forged
 * frame means the channel cannot be trusted). Delivery is driven by the
 * outbox: after each welcome, everything above the server's ackedSeq is
 * (re)sent in order, with a bounded number of frames in flight.
 */
import {
  type AgentInfo,
  type BatchPayload,
  type BlobPayload,
  CloseCode,
  type CommandPayload,
  decodeTextFrame,
  type Ed25519Signer,
  type Ed25519Verifier,
  ERROR_CATALOG,
  type ErrorCode,
  encodeBinaryFrame,
  encodeTextFrame,
  isErrorCode,
  MAX_TEXT_FRAME_BYTES,
  type Notice,
  type Policy,
  SeatwatchError,
  type ServerPayload,
  type WelcomePayload,
} from '@seatwatch/shared';
import WebSocket from 'ws';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from '../core/backoff.js';
import type { OutboxItem } from '../outbox/outbox.js';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';

/** What the transport needs of the outbox. */
export interface DeliveryQueue {
  readonly lastSeq: number;
  readonly ackedSeq: number;
  seqsAfter(after: number): number[];
  read(seq: number): OutboxItem | null;
  ack(seq: number): boolean;
  raiseSeqFloor(serverAckedSeq: number): void;
}

export type TransportState =
  | 'idle'
  | 'connecting'
  | 'handshake'
  | 'connected'
  | 'waiting'
  | 'stopped'
  | 'revoked';

export interface Disconnect {
  readonly code: number;
  readonly reason: string;
  /** The signed `error` the server sent before closing, if any. */
  readonly serverError: { code: string; message: string } | null;
  /** When the next attempt is due (null: no further attempt). */
  readonly retryAt: number | null;
  /** A sentence for the operator: why the agent is not connected. */
  readonly explanation: string;
}

export interface TransportHooks {
  onWelcome(welcome: { session: string; ackedSeq: number; policy: Policy; notice: Notice }): void;
  onCommand(command: { id: string; cmd: string; args: Record<string, unknown> }): void;
  onAcked(seq: number): void;
  onDisconnected(info: Disconnect): void;
  onRefused(reason: string): void;
  onRevoked(): void;
}

export interface TransportOptions {
  readonly url: string;
  readonly agentId: string;
  readonly signer: Ed25519Signer;
  readonly serverPublicKey: Uint8Array;
  readonly verifier: Ed25519Verifier;
  readonly sha256Hex: (data: Uint8Array) => string;
  readonly queue: DeliveryQueue;
  readonly helloInfo: () => AgentInfo;
  readonly clock: Clock;
  readonly random: () => number;
  readonly log: Logger;
  readonly hooks: TransportHooks;
  readonly backoff?: Omit<BackoffOptions, 'random'>;
  /** Makes the socket; tests bind it to another local address. */
  readonly createSocket?: (url: string, options: WebSocket.ClientOptions) => WebSocket;
  /** Most frames sent and not yet acknowledged. */
  readonly window?: { frames: number; bytes: number };
  /**
   * How often an open connection that has heard nothing from the collector
   * is pinged; a ping still unanswered at the next check ends the connection.
   */
  readonly livenessMs?: number;
}

const HANDSHAKE_TIMEOUT_MS = 15_000;
const DEFAULT_WINDOW = { frames: 64, bytes: 8 * 1024 * 1024 };
/**
 * A link that died without a reset (a NAT entry or firewall state dropped,
 * a cable pulled beyond the seat's switch) leaves TCP retransmitting for
 * about 15 minutes before it gives up; the collector notices by its own
 * pings, but nothing tells the agent. Checking every 30 s finds such a link
 * within a minute, for at most one small ping per quiet half minute.
 */
const DEFAULT_LIVENESS_MS = 30_000;

interface Session {
  readonly socket: WebSocket;
  phase: 'challenge' | 'welcome' | 'open';
  id: string | null;
  /** Highest seq sent on this connection. */
  sentSeq: number;
  /** Bytes of frames sent, by seq, until acknowledged. */
  readonly inFlight: Map<number, number>;
  serverError: { code: string; message: string } | null;
  timer: TimerHandle | null;
  /** Something (a message, a ping or a pong) came from the collector since the last liveness check. */
  heard: boolean;
  /** A ping went out at the last liveness check. */
  pinged: boolean;
  liveness: TimerHandle | null;
  /** Set when we close the socket ourselves, so close handling knows why. */
  localClose: { code: number; reason: string } | null;
}

export class Transport {
  private stateValue: TransportState = 'idle';
  private session: Session | null = null;
  private attempt = 0;
  private retryTimer: TimerHandle | null = null;
  private readonly ackWaiters = new Set<{
    seq: number;
    resolve: (ok: boolean) => void;
    timer: TimerHandle;
  }>();
  private readonly window: { frames: number; bytes: number };

  constructor(private readonly options: TransportOptions) {
    this.window = options.window ?? DEFAULT_WINDOW;
  }

  get state(): TransportState {
    return this.stateValue;
  }

  get sessionId(): string | null {
    return this.session?.phase === 'open' ? this.session.id : null;
  }

  start(): void {
    if (this.stateValue !== 'idle') return;
    this.connect();
  }

  /** New items are in the queue: send what the window allows. */
  pump(): void {
    const session = this.session;
    if (session?.phase !== 'open' || session.socket.readyState !== WebSocket.OPEN) return;
    let bytesInFlight = 0;
    for (const bytes of session.inFlight.values()) bytesInFlight += bytes;
    for (const seq of this.options.queue.seqsAfter(session.sentSeq)) {
      if (session.inFlight.size >= this.window.frames || bytesInFlight >= this.window.bytes) break;
      const item = this.options.queue.read(seq);
      if (!item) continue;
      const frame = this.encode(session.id!, item);
      session.socket.send(frame);
      const size = typeof frame === 'string' ? frame.length : frame.length;
      session.inFlight.set(seq, size);
      bytesInFlight += size;
      session.sentSeq = seq;
    }
  }

  /** Resolves true once the server has acknowledged `seq`, false after `timeoutMs`. */
  waitForAck(seq: number, timeoutMs: number): Promise<boolean> {
    if (seq <= this.ackedSeq()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        seq,
        resolve,
        timer: this.options.clock.setTimeout(() => {
          this.ackWaiters.delete(waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.ackWaiters.add(waiter);
    });
  }

  /** Closes the connection for good (the agent is stopping). */
  stop(reason = 'agent stopping'): Promise<void> {
    this.options.clock.clearTimeout(this.retryTimer);
    const wasRevoked = this.stateValue === 'revoked';
    this.stateValue = wasRevoked ? 'revoked' : 'stopped';
    const session = this.session;
    if (!session || session.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      session.socket.once('close', () => resolve());
      this.closeSession(session, CloseCode.normal, reason);
      // A peer that never answers the close handshake must not hold the stop.
      const timer = this.options.clock.setTimeout(() => {
        session.socket.terminate();
        resolve();
      }, 2000);
      session.socket.once('close', () => this.options.clock.clearTimeout(timer));
    });
  }

  private ackedSeq(): number {
    return this.options.queue.ackedSeq;
  }

  private connect(): void {
    this.stateValue = 'connecting';
    const socketOptions: WebSocket.ClientOptions = {
      perMessageDeflate: false,
      // The server sends only text frames (1 MiB at most).
      maxPayload: MAX_TEXT_FRAME_BYTES,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    };
    const socket = this.options.createSocket
      ? this.options.createSocket(this.options.url, socketOptions)
      : new WebSocket(this.options.url, socketOptions);
    const session: Session = {
      socket,
      phase: 'challenge',
      id: null,
      sentSeq: 0,
      inFlight: new Map(),
      serverError: null,
      timer: null,
      heard: false,
      pinged: false,
      liveness: null,
      localClose: null,
    };
    this.session = session;
    session.timer = this.options.clock.setTimeout(() => {
      this.options.log.log('warn', 'handshake did not complete in time', { url: this.options.url });
      this.closeSession(session, CloseCode.handshakeTimeout, 'handshake timeout');
    }, HANDSHAKE_TIMEOUT_MS);
    socket.on('open', () => {
      if (this.session === session) this.stateValue = 'handshake';
    });
    socket.on('message', (data, isBinary) => this.onMessage(session, data, isBinary));
    const heard = () => {
      session.heard = true;
    };
    socket.on('ping', heard);
    socket.on('pong', heard);
    socket.on('error', (error) => {
      this.options.log.log('warn', 'connection error', { error: error.message });
    });
    socket.on('close', (code, reason) => this.onClose(session, code, reason.toString('utf8')));
  }

  private onMessage(session: Session, data: WebSocket.RawData, isBinary: boolean): void {
    if (this.session !== session || session.localClose) return;
    session.heard = true;
    let payload: ServerPayload;
    try {
      if (isBinary) throw new SeatwatchError('payload_invalid', 'the server sends no binary frames');
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      payload = decodeTextFrame(bytes, {
        sender: 'server',
        publicKey: this.options.serverPublicKey,
        verifier: this.options.verifier,
      }) as ServerPayload;
    } catch (error) {
      const code: ErrorCode = error instanceof SeatwatchError ? error.code : 'frame_malformed';
      const message = error instanceof Error ? error.message : String(error);
      this.refuse(session, code, `refused a server message: ${message}`);
      return;
    }
    try {
      this.handle(session, payload);
    } catch (error) {
      const code: ErrorCode = error instanceof SeatwatchError ? error.code : 'internal';
      this.refuse(session, code, error instanceof Error ? error.message : String(error));
    }
  }

  private handle(session: Session, payload: ServerPayload): void {
    switch (payload.t) {
      case 'challenge': {
        if (session.phase !== 'challenge') throw new SeatwatchError('unexpected_message', 'second challenge');
        session.phase = 'welcome';
        const hello = {
          t: 'hello' as const,
          v: 1 as const,
          agent: this.options.agentId,
          nonce: payload.nonce,
          time: this.options.clock.now(),
          info: this.options.helloInfo(),
        };
        session.socket.send(encodeTextFrame(hello, 'agent', this.options.signer));
        return;
      }
      case 'welcome':
        if (session.phase !== 'welcome')
          throw new SeatwatchError('unexpected_message', 'welcome before hello');
        this.onWelcome(session, payload);
        return;
      case 'ack':
        if (session.phase !== 'open') throw new SeatwatchError('unexpected_message', 'ack before welcome');
        if (payload.session !== session.id)
          throw new SeatwatchError('wrong_session', 'ack for another session');
        this.onAck(session, payload.seq);
        return;
      case 'command':
        if (session.phase !== 'open')
          throw new SeatwatchError('unexpected_message', 'command before welcome');
        if (payload.session !== session.id)
          throw new SeatwatchError('wrong_session', 'command for another session');
        this.onCommand(payload);
        return;
      case 'error':
        // Kept to explain the close that follows.
        session.serverError = { code: payload.code, message: payload.message };
        this.options.log.log('warn', 'server reported an error', {
          code: payload.code,
          message: payload.message,
        });
        return;
    }
  }

  private onWelcome(session: Session, welcome: WelcomePayload): void {
    this.options.clock.clearTimeout(session.timer);
    session.phase = 'open';
    session.id = welcome.session;
    const queue = this.options.queue;
    if (welcome.ackedSeq > queue.lastSeq) {
      this.options.log.log(
        'warn',
        'server has stored more than this agent remembers; numbering continues above it',
        {
          serverAckedSeq: welcome.ackedSeq,
          localLastSeq: queue.lastSeq,
        },
      );
      queue.raiseSeqFloor(welcome.ackedSeq);
    } else {
      queue.ack(welcome.ackedSeq);
    }
    // Everything the server has not stored is sent again, starting right after what it has.
    session.sentSeq = welcome.ackedSeq;
    this.attempt = 0;
    this.stateValue = 'connected';
    this.watchLiveness(session);
    this.options.hooks.onWelcome({
      session: welcome.session,
      ackedSeq: welcome.ackedSeq,
      policy: welcome.policy,
      notice: welcome.notice,
    });
    this.settleWaiters();
    this.pump();
  }

  /** See DEFAULT_LIVENESS_MS: a quiet connection is pinged, and one that stays silent after a ping is dropped. */
  private watchLiveness(session: Session): void {
    session.liveness = this.options.clock.setTimeout(() => {
      if (this.session !== session || session.localClose) return;
      if (session.heard) {
        session.heard = false;
        session.pinged = false;
      } else if (session.pinged) {
        this.options.log.log('warn', 'the collector answered no ping; reconnecting', {
          silentForMs: 2 * (this.options.livenessMs ?? DEFAULT_LIVENESS_MS),
        });
        // No close handshake: nothing comes back over this link.
        session.localClose = { code: 1006, reason: 'the collector answered no ping' };
        session.socket.terminate();
        return;
      } else {
        session.socket.ping();
        session.pinged = true;
      }
      this.watchLiveness(session);
    }, this.options.livenessMs ?? DEFAULT_LIVENESS_MS);
  }

  private onAck(session: Session, seq: number): void {
    if (seq > session.sentSeq) {
      this.options.log.log('warn', 'ignored an ack for a frame not sent on this connection', {
        seq,
        sentSeq: session.sentSeq,
      });
      return;
    }
    if (!this.options.queue.ack(seq)) return;
    for (const key of session.inFlight.keys()) if (key <= seq) session.inFlight.delete(key);
    this.options.hooks.onAcked(seq);
    this.settleWaiters();
    this.pump();
  }

  private onCommand(command: CommandPayload): void {
    this.options.hooks.onCommand({ id: command.id, cmd: command.cmd, args: command.args });
    if (command.cmd === 'revoke') {
      this.stateValue = 'revoked';
    }
  }

  private settleWaiters(): void {
    const acked = this.ackedSeq();
    for (const waiter of this.ackWaiters) {
      if (waiter.seq <= acked) {
        this.options.clock.clearTimeout(waiter.timer);
        this.ackWaiters.delete(waiter);
        waiter.resolve(true);
      }
    }
  }

  /** A message failed verification or broke the protocol: log it, tell the server, drop the connection. */
  private refuse(session: Session, code: ErrorCode, message: string): void {
    this.options.log.log('error', message, { code });
    this.options.hooks.onRefused(message);
    if (session.socket.readyState === WebSocket.OPEN) {
      const error = { t: 'error' as const, v: 1 as const, code, message: message.slice(0, 2048) };
      session.socket.send(encodeTextFrame(error, 'agent', this.options.signer));
    }
    this.closeSession(session, ERROR_CATALOG[code].close, code);
  }

  private closeSession(session: Session, code: number, reason: string): void {
    if (session.localClose) return;
    session.localClose = { code, reason };
    this.options.clock.clearTimeout(session.timer);
    this.options.clock.clearTimeout(session.liveness);
    const ws = session.socket;
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
      // 1000 and 4000–4999 are the codes an endpoint may send.
      const sendable = code === 1000 || (code >= 4000 && code <= 4999) ? code : 1000;
      if (ws.readyState === WebSocket.OPEN) ws.close(sendable, reason.slice(0, 120));
      else ws.terminate();
    }
  }

  private onClose(session: Session, code: number, reason: string): void {
    if (this.session !== session) return;
    this.options.clock.clearTimeout(session.timer);
    this.options.clock.clearTimeout(session.liveness);
    this.session = null;
    const effectiveCode = session.localClose?.code ?? code;
    const serverError = session.serverError;
    const revoked = effectiveCode === CloseCode.revoked || this.stateValue === 'revoked';
    const stopping = this.stateValue === 'stopped';
    let retryAt: number | null = null;
    if (revoked) {
      this.stateValue = 'revoked';
    } else if (!stopping) {
      const delay = backoffDelay(this.attempt++, {
        ...(this.options.backoff ?? DEFAULT_BACKOFF),
        random: this.options.random,
      });
      retryAt = this.options.clock.now() + delay;
      this.stateValue = 'waiting';
      this.retryTimer = this.options.clock.setTimeout(() => {
        if (this.stateValue === 'waiting') this.connect();
      }, delay);
    }
    const info: Disconnect = {
      code: effectiveCode,
      reason: session.localClose?.reason ?? reason,
      serverError,
      retryAt,
      explanation: explainClose(effectiveCode, reason, serverError, session.localClose !== null),
    };
    this.options.log.log(revoked || effectiveCode >= 4400 ? 'warn' : 'info', 'disconnected', {
      code: info.code,
      reason: info.reason,
      serverError,
      retryAt,
    });
    this.options.hooks.onDisconnected(info);
    if (revoked) this.options.hooks.onRevoked();
  }

  private encode(session: string, item: OutboxItem): string | Uint8Array {
    if (item.kind === 'batch') {
      const batch: BatchPayload = {
        t: 'batch',
        v: 1,
        session,
        seq: item.seq,
        time: item.time,
        events: [...item.events],
      };
      return encodeTextFrame(batch, 'agent', this.options.signer);
    }
    const blob: BlobPayload = {
      t: 'blob',
      v: 1,
      session,
      seq: item.seq,
      time: item.time,
      sha256: item.sha256,
      size: item.size,
      mime: item.mime,
      event: item.event,
    };
    return encodeBinaryFrame(blob, item.blob, 'agent', this.options.signer);
  }
}

/** Why the connection closed, in words an operator can act on. */
export function explainClose(
  code: number,
  reason: string,
  serverError: { code: string; message: string } | null,
  closedByAgent: boolean,
): string {
  const told = serverError ? ` (server: ${serverError.message})` : '';
  switch (code) {
    case CloseCode.ipNotAllowed:
      return `The collector refused this seat's network address: it is not on the project's allowlist${told}.`;
    case CloseCode.revoked:
      return `This agent was revoked by an administrator; it no longer sends anything${told}.`;
    case CloseCode.replaced:
      return `Another copy of this agent connected with the same identity and replaced this one${told}.`;
    case CloseCode.authenticationFailed:
      return closedByAgent
        ? `A message claiming to be from the collector did not verify; the agent refused it and reconnects (${reason}).`
        : `The collector did not accept this agent's identity${told}.`;
    case CloseCode.handshakeTimeout:
      return `The connection handshake did not complete in time${told}.`;
    case CloseCode.invalidFrame:
      return closedByAgent
        ? `The collector sent a message this agent could not accept (${reason}).`
        : `The collector refused a frame from this agent${told}.`;
    default: {
      const known = serverError && isErrorCode(serverError.code) ? ` (${serverError.code})` : '';
      return code === 1006
        ? 'The collector could not be reached or the connection broke.'
        : `The connection closed with code ${code}${reason ? `: ${reason}` : ''}${known}${told}.`;
    }
  }
}
