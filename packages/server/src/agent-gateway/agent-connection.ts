/**
 * One agent's WebSocket, from challenge to close (protocol v1 "Session").
 *
 * Messages are handled one at a time in arrival order (a promise chain), so
 * a hello's database lookups finish before the next frame is looked at and
 * frames reach the group committer in seq order. Handling a data frame ends
 * once it is queued for commit; the ack follows the commit. Too many frames
 * waiting (to be handled or committed) pause the socket, so a flood is held
 * by TCP instead of memory; so does a commit backlog across all agents
 * (GroupCommitter.room()).
 */

import type { Duplex } from 'node:stream';
import {
  type AgentTextPayload,
  type BatchPayload,
  type BlobPayload,
  CloseCode,
  checkBlob,
  type Ed25519Signer,
  encodeTextFrame,
  MAX_HELLO_FRAME_BYTES,
  openBinaryFrame,
  openTextFrame,
  parsePayloadJson,
  SeatwatchError,
  type ServerPayload,
  toBase64,
  validatePayload,
  verifyEnvelope,
} from '@seatwatch/shared';
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import type { FastifyBaseLogger } from 'fastify';
import WebSocket from 'ws';
import { markAgentDisconnected } from '../agents/agents.repository.js';
import type { BlobStore } from '../blobs/blob-store.js';
import { claimPendingCommands, releaseCommand } from '../commands/commands.repository.js';
import { type FrameRows, mapBatch, mapBlob, sanitizeField } from '../domain/ingest-mapping.js';
import { decideFrame, isGapAnnounced } from '../domain/sequencing.js';
import type { GatewayAnomalies } from '../ingest/anomaly-port.js';
import { FrameNotStoredError, type FrameStream, type GroupCommitter } from '../ingest/group-committer.js';
import type { HeldSeats } from '../ingest/held-seats.js';
import type { AgentSession, IngestHub } from '../ingest/ingest-hub.js';
import type { NotificationPort } from '../notifications/notification-port.js';
import {
  abandonSession,
  checkAllowlist,
  type HelloDeps,
  lookUpAgent,
  type OpenedSession,
  openSession,
  readHello,
  verifyHello,
} from './hello.js';

/** The hello's (database, verifier, login records, metrics, clock, ids) and the session's. */
export interface ConnectionDeps extends HelloDeps {
  /** Announces the anomalies the commit of a frame raised (sequence gaps). */
  anomalies: GatewayAnomalies;
  signer: Ed25519Signer;
  committer: GroupCommitter;
  hub: IngestHub;
  blobs: BlobStore;
  notifications: NotificationPort;
  /** Seats under legal hold: their frames are kept verbatim. */
  heldSeats: HeldSeats;
  logger: FastifyBaseLogger;
  randomBytes: (size: number) => Uint8Array;
  handshakeTimeoutMs: number;
  maxPendingFrames: number;
  /** Called once the hello is accepted; returns the connection this one replaces, if any. */
  register: (connection: AgentConnection) => AgentConnection | undefined;
  /**
   * While the hello's session is written: commands announced for the agent meanwhile reach this
   * connection (commandsPending), as they reach a registered one. Returns the function that stops it.
   */
  opening: (agentId: string, connection: AgentConnection) => () => void;
  unregister: (connection: AgentConnection) => void;
}

type State = 'challenged' | 'authenticating' | 'open' | 'closing';

/** Room for a hello's WebSocket header (at most 14 bytes) and a few control frames (pongs) before it. */
const BEFORE_HELLO_SLACK_BYTES = 1024;

/**
 * Server messages (acks, commands) an agent may leave unread before its connection is closed
 * (`unavailable`, 1013): an agent that sends but never reads would otherwise make this process
 * hold every ack for it. The kernel's socket buffers come on top (a few MiB on Linux).
 */
export const MAX_UNREAD_BYTES = 1024 * 1024;

/** Tries to record a disconnection: at most 30 s apart, for about an hour of database outage. */
const DISCONNECTION_ATTEMPTS = 128;
const DISCONNECTION_RETRY_MAX_MS = 30_000;

/** Remembered data_dropped announcements, to tell an announced gap from an unexplained one. */
const MAX_REMEMBERED_DROPS = 64;

export class AgentConnection {
  #state: State = 'challenged';
  readonly #nonce: string;
  #agent: AgentSession | null = null;
  #publicKey: Uint8Array | null = null;
  #stream: FrameStream | null = null;
  /** Highest seq accepted (stored, or queued to be). */
  #highest = 0;
  /** The OS account of the next accepted frame's first events (frames are mapped in seq order). */
  #osUser: string | null = null;
  /** Highest seq known committed. */
  #committed = 0;
  #lastAckSent = 0;
  #ackScheduled = false;
  /** Frames waiting for their commit: seq and arrival time, in seq order. */
  #unacked: Array<{ seq: number; receivedAt: number }> = [];
  #drops: Array<{ fromSeq: number; toSeq: number }> = [];
  /** Messages received but not yet handled. */
  #inbox = 0;
  #paused = false;
  #chain: Promise<void> = Promise.resolve();
  #handshakeTimer: NodeJS.Timeout | null = null;
  /** A message arrived since the last heartbeat: the agent is evidently there, no ping needed. */
  #heard = false;
  /** A ping went out at the last heartbeat and no pong or message has come back since. */
  #awaitingPong = false;
  #closedByServer = false;
  #draining = false;
  readonly closed: Promise<void>;
  #markClosed!: () => void;

  constructor(
    private readonly ws: WebSocket,
    readonly ip: string,
    readonly peerIp: string,
    private readonly deps: ConnectionDeps,
  ) {
    this.#nonce = toBase64(deps.randomBytes(32));
    this.closed = new Promise((resolve) => {
      this.#markClosed = resolve;
    });
  }

  get agentId(): string | null {
    return this.#agent?.agentId ?? null;
  }

  get session(): string | null {
    return this.#agent?.session ?? null;
  }

  start(): void {
    this.ws.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
    this.ws.on('pong', () => {
      this.#awaitingPong = false;
    });
    this.ws.on('error', (error) => this.deps.logger.debug({ err: error, ip: this.ip }, 'agent socket error'));
    this.ws.on('close', (code, reason) => this.#onClose(code, reason.toString('utf8')));
    // The deadline is the agent's: to send its hello. One that arrived in time is answered however long
    // the lookups take, as after a collector restart, when thousands wait for the database at once:
    // closing them threw their work away and sent each agent into its backoff, back into the crowd.
    this.#handshakeTimer = setTimeout(() => {
      if (this.#state === 'challenged') this.#fail(new SeatwatchError('handshake_timeout'));
    }, this.deps.handshakeTimeoutMs);
    this.#send({ t: 'challenge', v: 1, nonce: this.#nonce, time: this.deps.now() });
  }

  /**
   * Before its hello is accepted a socket is nobody's: more bytes than a hello can take are refused
   * (4400) as they arrive, not once ws has buffered the whole message (up to the 16 MiB of a blob).
   * What follows the refusal is read and dropped, as ws itself does after a protocol error, so the
   * socket closes without holding the rest of the frame in memory.
   */
  limitBeforeHello(socket: Duplex): void {
    let received = 0;
    const onData = (chunk: Buffer) => {
      if (this.#state === 'open' || this.#state === 'closing') {
        socket.off('data', onData);
        return;
      }
      received += chunk.length;
      if (received <= MAX_HELLO_FRAME_BYTES + BEFORE_HELLO_SLACK_BYTES) return;
      this.#fail(new SeatwatchError('frame_too_large', `a hello is at most ${MAX_HELLO_FRAME_BYTES} bytes`));
      socket.removeAllListeners('data');
      socket.resume();
      socket.end();
    };
    socket.on('data', onData);
  }

  /**
   * Liveness: called by the gateway every ping interval. Only a socket that
   * sent nothing since the last call is pinged: agents send a frame every few
   * seconds, and pinging thousands of busy sockets at once would block the
   * event loop for a write per socket. A ping unanswered (no pong, no
   * message) by the next call ends the socket; a socket paused by
   * backpressure is left alone.
   */
  heartbeat(): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // A socket we paused (its frames wait for commits) cannot be heard, not even its pong: the
    // agent is not the silent one, and ending it would only make it send everything again.
    if (this.#heard || this.#paused) {
      this.#heard = false;
      this.#awaitingPong = false;
      return;
    }
    if (this.#awaitingPong) {
      this.deps.logger.info({ agentId: this.agentId, ip: this.ip }, 'agent missed a ping; closing');
      this.ws.terminate();
      return;
    }
    this.#awaitingPong = true;
    this.ws.ping();
  }

  /** A newer connection of the same agent took over. */
  replaced(): void {
    this.#closeWith(new SeatwatchError('replaced'));
  }

  /** The agent was revoked: send what is pending (the revoke command), then close 4410. */
  revoked(): void {
    this.#enqueue(async () => {
      await this.#deliverCommands();
      this.#closeWith(new SeatwatchError('agent_revoked'));
    });
  }

  /** Commands are pending for this agent. */
  commandsPending(): void {
    this.#enqueue(() => this.#deliverCommands());
  }

  /** Shutdown, step 1: handle nothing new; resolves when what arrived before is queued for commit. */
  async stopReading(): Promise<void> {
    this.#draining = true;
    this.ws.pause();
    await this.#chain;
  }

  /** Shutdown, step 2 (after the commits): close with 1001. */
  goAway(): void {
    if (this.#state === 'closing') return;
    this.#sendAckNow();
    this.#state = 'closing';
    this.#closedByServer = true;
    this.ws.close(CloseCode.goingAway, 'server shutting down');
    // Read again, or the agent's closing handshake would never be seen; data frames are ignored now.
    this.ws.resume();
  }

  terminate(): void {
    this.ws.terminate();
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#state === 'closing' || this.#draining) return;
    this.#heard = true;
    const receivedAt = this.deps.now();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.#inbox++;
    this.#applyBackpressure();
    this.#enqueue(async () => {
      try {
        await this.#handle(bytes, isBinary, receivedAt);
      } finally {
        this.#inbox--;
        this.#applyBackpressure();
      }
    });
  }

  #enqueue(task: () => Promise<void>): void {
    this.#chain = this.#chain.then(async () => {
      if (this.#state === 'closing') return;
      try {
        await task();
      } catch (error) {
        this.#fail(error);
      }
    });
  }

  #applyBackpressure(): void {
    const waiting = this.#inbox + this.#unacked.length;
    if (!this.#paused && waiting >= this.deps.maxPendingFrames) {
      this.#paused = true;
      this.ws.pause();
    } else if (this.#paused && waiting < this.deps.maxPendingFrames && !this.#draining) {
      this.#paused = false;
      this.ws.resume();
    }
  }

  async #handle(bytes: Uint8Array, isBinary: boolean, receivedAt: number): Promise<void> {
    if (this.#state === 'challenged') return this.#hello(bytes, isBinary, receivedAt);
    if (this.#state !== 'open') return;
    const room = this.deps.committer.room();
    if (room) {
      // Overloaded: the frame waits unread; the socket pauses once maxPendingFrames are waiting behind it.
      this.deps.metrics.heldConnections.inc();
      await room;
      this.deps.metrics.heldConnections.dec();
      if (this.#state !== 'open') return;
    }
    if (isBinary) return this.#blob(bytes, receivedAt);
    return this.#text(bytes, receivedAt);
  }

  // ---- hello (the steps are in hello.ts) ---------------------------------------------------

  async #hello(bytes: Uint8Array, isBinary: boolean, receivedAt: number): Promise<void> {
    const claim = readHello(bytes, isBinary);
    this.#state = 'authenticating';
    const arrival = { nonce: this.#nonce, ip: this.ip, peerIp: this.peerIp, receivedAt };
    const claimed = await lookUpAgent(this.deps, claim, arrival);
    const verified = await verifyHello(this.deps, claimed);
    await checkAllowlist(this.deps, verified);
    // A command queued after the session's statement looked for pending ones announces itself here
    // (delivered once this hello is done), since the statement only claims what it saw.
    const stopOpening = this.deps.opening(verified.found.id, this);
    let opened: OpenedSession;
    try {
      opened = await openSession(this.deps, verified);
    } finally {
      stopOpening();
    }
    if (this.ws.readyState !== WebSocket.OPEN || this.#state !== 'authenticating') {
      return abandonSession(this.deps, opened);
    }
    this.#open(opened);
    this.#send(opened.welcome);
    this.#announceConnected(opened);
    // Nearly every hello has none: the claim is a round trip saved per hello in a connect storm.
    if (opened.commandsPending) await this.#deliverCommands();
  }

  /** From here on frames are data: they verify with the agent's key and resume after its stored seq. */
  #open(opened: OpenedSession): void {
    this.#agent = opened.agent;
    this.#publicKey = opened.publicKey;
    this.#stream = { agent: opened.agent, failed: false };
    this.#highest = this.#committed = this.#lastAckSent = opened.ackedSeq;
    this.#osUser = opened.osUser;
    this.#state = 'open';
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    this.deps.register(this)?.replaced();
    this.deps.metrics.connectedAgents.inc();
    this.deps.metrics.logins.inc({ outcome: 'allowed' });
  }

  /** After the welcome: the login record's observers, this process's hooks and the other processes. */
  #announceConnected(opened: OpenedSession): void {
    this.deps.logins.announce(opened.written);
    this.deps.hub.emitConnected(opened.agent);
    this.#publish({ topic: 'agent.connected', agentId: opened.agent.agentId, session: opened.agent.session });
    this.#publishSeat('connected');
  }

  // ---- data frames -------------------------------------------------------------------------

  async #text(bytes: Uint8Array, receivedAt: number): Promise<void> {
    const envelope = openTextFrame(bytes);
    verifyEnvelope(envelope, 'agent', this.#publicKey!, this.deps.verifier);
    const payload = validatePayload(parsePayloadJson(envelope), 'agent', 'text') as AgentTextPayload;
    if (payload.t === 'hello') throw new SeatwatchError('unexpected_message', 'hello after welcome');
    if (payload.t === 'error') {
      this.deps.logger.info(
        {
          agentId: this.agentId,
          code: sanitizeField(payload.code, 'reason'),
          message: sanitizeField(payload.message, 'message'),
        },
        'agent reported an error',
      );
      return;
    }
    this.#checkSession(payload.session);
    this.#accept(
      payload,
      receivedAt,
      (ctx) => mapBatch(ctx, payload.seq, payload.events, receivedAt, this.#osUser),
      'batch',
      bytes,
    );
  }

  async #blob(bytes: Uint8Array, receivedAt: number): Promise<void> {
    const { envelope, blob } = openBinaryFrame(bytes);
    verifyEnvelope(envelope, 'agent', this.#publicKey!, this.deps.verifier);
    const payload = validatePayload(parsePayloadJson(envelope), 'agent', 'binary') as BlobPayload;
    this.#checkSession(payload.session);
    checkBlob(payload, blob, sha256Hex);
    if (decideFrame(payload.seq, this.#highest).kind === 'resend') {
      this.#acceptResend(payload.seq);
      return;
    }
    // No thumbnail here: it is made when first viewed (blobs/screenshot-thumbnails.ts), as most never are.
    await this.deps.blobs.put(payload.sha256, blob);
    this.#accept(
      payload,
      receivedAt,
      (ctx) => mapBlob(ctx, payload, receivedAt, this.#osUser),
      'blob',
      bytes.subarray(4, bytes.length - blob.length),
    );
  }

  #checkSession(session: string): void {
    if (session !== this.#agent!.session) throw new SeatwatchError('wrong_session');
  }

  #acceptResend(seq: number): void {
    this.deps.metrics.resends.inc();
    // Already committed: ack again now. Still in flight: the ack after its commit covers it.
    if (seq <= this.#committed) this.#sendAckNow(true);
  }

  #accept(
    payload: BatchPayload | BlobPayload,
    receivedAt: number,
    map: (ctx: AgentSession) => FrameRows,
    kind: 'batch' | 'blob',
    envelopeBytes: Uint8Array,
  ): void {
    const decision = decideFrame(payload.seq, this.#highest);
    if (decision.kind === 'resend') {
      this.#acceptResend(payload.seq);
      return;
    }
    const rows = map(this.#agent!);
    this.#osUser = rows.osUserAfter;
    const gap = decision.gap
      ? { ...decision.gap, announced: isGapAnnounced(decision.gap, [...this.#drops, ...rows.drops]) }
      : null;
    this.#drops = [...this.#drops, ...rows.drops].slice(-MAX_REMEMBERED_DROPS);
    this.#highest = payload.seq;
    this.#unacked.push({ seq: payload.seq, receivedAt });
    this.#applyBackpressure();
    const stream = this.#stream!;
    // A held seat's frames are kept as they arrived (issue #11); the envelope is UTF-8 already checked.
    const envelope = this.deps.heldSeats.has(stream.agent.seatId)
      ? Buffer.from(envelopeBytes).toString('utf8')
      : null;
    this.deps.committer
      .submit({ stream, kind, seq: payload.seq, receivedAt, rows, gap, envelope })
      .then((committed) => {
        this.#committed = Math.max(this.#committed, committed.seq);
        this.deps.metrics.frames.inc({ kind });
        this.deps.metrics.events.inc(rows.events.length);
        this.#scheduleAck();
        if (rows.state || rows.devices.length > 0) this.#publishSeat(rows.state ? 'state' : 'device');
        if (committed.gap?.anomaly) this.deps.anomalies.announce(committed.gap.anomaly);
      })
      .catch((error: unknown) => this.#fail(error));
  }

  // ---- acks and commands -------------------------------------------------------------------

  #scheduleAck(): void {
    if (this.#ackScheduled) return;
    this.#ackScheduled = true;
    // Coalesced: every commit settled in this turn is covered by one ack for the highest seq.
    queueMicrotask(() => {
      this.#ackScheduled = false;
      this.#sendAckNow();
    });
  }

  #sendAckNow(again = false): void {
    const seq = this.#committed;
    if (seq === 0 || (!again && seq <= this.#lastAckSent)) return;
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.#send({ t: 'ack', v: 1, session: this.#agent!.session, seq });
    this.#lastAckSent = Math.max(this.#lastAckSent, seq);
    const now = this.deps.now();
    while (this.#unacked.length > 0 && this.#unacked[0]!.seq <= seq) {
      this.deps.metrics.ackLatency.observe((now - this.#unacked.shift()!.receivedAt) / 1000);
    }
    this.#applyBackpressure();
  }

  async #deliverCommands(): Promise<void> {
    if (this.#state !== 'open') return;
    const agent = this.#agent!;
    const commands = await claimPendingCommands(this.deps.db, agent.agentId, new Date(this.deps.now()));
    for (const command of commands) {
      if (this.ws.readyState !== WebSocket.OPEN || this.#state !== 'open') {
        await releaseCommand(this.deps.db, command.id);
        continue;
      }
      this.#send({
        t: 'command',
        v: 1,
        session: agent.session,
        id: command.id,
        cmd: command.cmd,
        args: command.args,
      });
    }
  }

  // ---- closing -----------------------------------------------------------------------------

  #fail(error: unknown): void {
    if (error instanceof SeatwatchError) {
      if (error.closeCode >= 4400 && this.#state !== 'closing') {
        this.deps.metrics.verificationFailures.inc({ reason: error.code });
        this.deps.hub.emitRefused({ agent: this.#agent, code: error.code, ip: this.ip, at: this.deps.now() });
      }
      this.deps.logger.info(
        { agentId: this.agentId, ip: this.ip, code: error.code, detail: error.message },
        'closing agent connection',
      );
      this.#closeWith(error);
      return;
    }
    if (error instanceof FrameNotStoredError) {
      this.deps.logger.error({ err: error.cause ?? error, agentId: this.agentId }, 'frame not stored');
      this.#closeWith(new SeatwatchError('unavailable', 'storage failed; resend later'));
      return;
    }
    this.deps.logger.error({ err: error, agentId: this.agentId, ip: this.ip }, 'agent connection failed');
    this.#closeWith(new SeatwatchError('internal'));
  }

  /** Sends the signed error payload, then closes with the error's close code. */
  #closeWith(error: SeatwatchError): void {
    if (this.#state === 'closing') return;
    this.#state = 'closing';
    this.#closedByServer = true;
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.#send({ t: 'error', v: 1, code: error.code, message: error.message.slice(0, 2048) });
    this.ws.close(error.closeCode, error.code);
    if (this.#paused) this.ws.resume();
  }

  #onClose(code: number, reason: string): void {
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    this.#state = 'closing';
    const agent = this.#agent;
    if (agent) {
      this.deps.unregister(this);
      this.deps.metrics.connectedAgents.dec();
      const at = this.deps.now();
      this.#recordDisconnection(agent, at, 0);
      this.deps.hub.emitDisconnected(agent, { code, reason, at, byServer: this.#closedByServer });
      this.#publishSeat('disconnected');
    }
    this.#markClosed();
  }

  /**
   * Written until it sticks: a disconnection while PostgreSQL is down would otherwise leave the
   * seat shown as connected once the database is back. Safe to write late: it clears only this
   * session, not a newer one of the same agent.
   */
  #recordDisconnection(agent: AgentSession, at: number, attempt: number): void {
    markAgentDisconnected(this.deps.db, agent.agentId, agent.session, new Date(at)).catch(
      (error: unknown) => {
        this.deps.logger.warn(
          { err: error, agentId: agent.agentId, attempt },
          'could not record the disconnection',
        );
        if (attempt + 1 >= DISCONNECTION_ATTEMPTS) return;
        const delay = Math.min(DISCONNECTION_RETRY_MAX_MS, 500 * 2 ** attempt);
        setTimeout(() => this.#recordDisconnection(agent, at, attempt + 1), delay).unref();
      },
    );
  }

  // ---- output ------------------------------------------------------------------------------

  #send(payload: ServerPayload): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(encodeTextFrame(payload, 'server', this.deps.signer));
    if (this.ws.bufferedAmount > MAX_UNREAD_BYTES && this.#state !== 'closing') {
      this.deps.logger.warn(
        { agentId: this.agentId, ip: this.ip, unread: this.ws.bufferedAmount },
        'agent does not read what the server sends; closing',
      );
      // Nothing more is queued once closing; commands not yet sent are released for the next connection,
      // and ws destroys the socket if the agent never reads the close frame either.
      this.#closeWith(new SeatwatchError('unavailable', 'the agent does not read; reconnect'));
    }
  }

  #publish(notification: Parameters<NotificationPort['publish']>[0]): void {
    this.deps.notifications
      .publish(notification)
      .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'could not publish a notification'));
  }

  #publishSeat(reason: 'connected' | 'disconnected' | 'state' | 'device'): void {
    const agent = this.#agent;
    if (!agent) return;
    this.#publish({
      topic: 'seat.changed',
      projectId: agent.projectId,
      seatId: agent.seatId,
      agentId: agent.agentId,
      reason,
    });
  }
}
