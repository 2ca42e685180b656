/**
 * One simulated seat agent on a real WebSocket, speaking protocol v1 as the
 * real agent does: challenge -> signed hello -> welcome, then signed batch
 * and blob frames in strictly increasing seq, an outbox that keeps every
 * frame until an ack covers it, and after an unexpected close a
 * reconnection that resends what is not acknowledged (the server stores a
 * resend never twice). Signing uses node:crypto (the agent itself signs
 * with tweetnacl, which is fine for one seat but would make the generator,
 * not the server, the bottleneck at thousands of seats).
 */
import {
  type BatchPayload,
  type BlobPayload,
  type CaptureEvent,
  type Ed25519Signer,
  type Ed25519Verifier,
  type Event,
  encodeBinaryFrame,
  encodeTextFrame,
  type HelloPayload,
  openTextFrame,
  parsePayloadJson,
  type ServerPayload,
  validatePayload,
  verifyEnvelope,
} from '@seatwatch/shared';
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import WebSocket from 'ws';
import type { AgentOutcome, GeneratorConfig, Phase } from './generator-messages.js';
import type { LatencyHistogram } from './latency-histogram.js';
import { stampScreenshot } from './screenshot-jpeg.js';
import { jittered, SeatWorkload, seatIdentity } from './seat-workload.js';

/** What all agents of one generator process share. */
export interface AgentRuntime {
  config: GeneratorConfig;
  serverPublicKey: Uint8Array;
  verifier: Ed25519Verifier;
  screenshot: Uint8Array;
  phase(): Phase;
  /** True once the orchestrator asked to drain: no new frames. */
  draining(): boolean;
  latency: Record<'ramp' | 'hold', LatencyHistogram>;
  /** From opening the socket to the welcome (challenge, hello, the server's checks and writes). */
  handshake: LatencyHistogram;
  counters: AgentCounters;
  /** True when this ack's signature should be verified (sampling). */
  verifyThisAck(): boolean;
  onOpenChange(delta: 1 | -1): void;
}

export interface AgentCounters {
  welcomes: number;
  reconnects: number;
  batchesSent: number;
  blobsSent: number;
  framesAcked: number;
  eventsSent: number;
  /** Events in acknowledged frames (a blob carries one capture event). */
  eventsAcked: number;
  acks: number;
  pending: number;
  holdSent: number;
  holdAcked: number;
  holdEvents: number;
  holdBlobs: number;
  closes: Record<string, number>;
  connectErrors: Record<string, number>;
  serverErrors: Record<string, number>;
  badServerMessages: number;
  acksVerified: number;
}

interface OutboxFrame {
  seq: number;
  kind: 'batch' | 'blob';
  time: number;
  events: Event[];
  blob: Uint8Array | null;
  createdAt: number;
  phase: Phase;
}

const bump = (record: Record<string, number>, key: string) => {
  record[key] = (record[key] ?? 0) + 1;
};

export class SimulatedAgent {
  readonly #workload: SeatWorkload;
  #ws: WebSocket | null = null;
  #session: string | null = null;
  #open = false;
  #seq = 0;
  #ackedSeq = 0;
  #outbox: OutboxFrame[] = [];
  #batchTimer: NodeJS.Timeout | null = null;
  #shotTimer: NodeJS.Timeout | null = null;
  #started = false;
  #closing = false;
  #batches = 0;
  #blobs = 0;
  #eventsAcked = 0;
  #blobsAcked = 0;
  #closed: Promise<void> = Promise.resolve();
  #connectStartedAt = 0;
  /** Failed connection attempts since the last welcome (for the backoff). */
  #attempts = 0;

  constructor(
    readonly agentId: string,
    readonly index: number,
    private readonly signer: Ed25519Signer,
    private readonly noticeVersion: number,
    private readonly localAddress: string,
    private readonly runtime: AgentRuntime,
  ) {
    this.#workload = new SeatWorkload(runtime.config.seed * 100_003 + index, seatIdentity(index), Date.now());
  }

  get pending(): number {
    return this.#outbox.length;
  }

  connect(): void {
    if (this.#closing) return;
    this.#connectStartedAt = performance.now();
    const ws = new WebSocket(this.runtime.config.wsUrl, {
      perMessageDeflate: false,
      localAddress: this.localAddress,
      handshakeTimeout: 30_000,
    });
    this.#ws = ws;
    this.#closed = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
    ws.on('error', (error) => bump(this.runtime.counters.connectErrors, errorKey(error)));
    ws.on('close', (code) => this.#onClose(ws, code));
  }

  outcome(): AgentOutcome {
    return {
      agentId: this.agentId,
      lastSeq: this.#seq,
      ackedSeq: this.#ackedSeq,
      batches: this.#batches,
      blobs: this.#blobs,
      eventsAcked: this.#eventsAcked,
      blobsAcked: this.#blobsAcked,
    };
  }

  /** No more frames from this agent (drain). */
  stopProducing(): void {
    if (this.#batchTimer) clearTimeout(this.#batchTimer);
    if (this.#shotTimer) clearTimeout(this.#shotTimer);
    this.#batchTimer = this.#shotTimer = null;
  }

  async close(): Promise<void> {
    this.stopProducing();
    this.#closing = true;
    const ws = this.#ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      ws.close(1000, 'bench done');
      const timer = setTimeout(() => ws.terminate(), 5000);
      await this.#closed;
      clearTimeout(timer);
    }
  }

  // ---- receiving ---------------------------------------------------------------------------

  #onMessage(data: Buffer, isBinary: boolean): void {
    const counters = this.runtime.counters;
    if (isBinary) {
      counters.badServerMessages++;
      return;
    }
    let payload: ServerPayload;
    try {
      const envelope = openTextFrame(data);
      const value = parsePayloadJson(envelope) as { t?: unknown };
      if (value.t === 'ack') {
        // Acks are most of what arrives; a sample is verified so the generator's CPU goes to the load.
        if (this.runtime.verifyThisAck()) {
          verifyEnvelope(envelope, 'server', this.runtime.serverPublicKey, this.runtime.verifier);
          validatePayload(value, 'server', 'text');
          counters.acksVerified++;
        }
      } else {
        verifyEnvelope(envelope, 'server', this.runtime.serverPublicKey, this.runtime.verifier);
        validatePayload(value, 'server', 'text');
      }
      payload = value as ServerPayload;
    } catch {
      counters.badServerMessages++;
      return;
    }
    switch (payload.t) {
      case 'challenge':
        this.#sendHello(payload.nonce);
        break;
      case 'welcome':
        this.#onWelcome(payload.session, payload.ackedSeq);
        break;
      case 'ack':
        if (payload.session === this.#session) {
          counters.acks++;
          this.#acknowledge(payload.seq);
        }
        break;
      case 'error':
        bump(counters.serverErrors, payload.code);
        break;
      default:
        break;
    }
  }

  #sendHello(nonce: string): void {
    const { hostname, osUser, localIp } = this.#workload.identity;
    const hello: HelloPayload = {
      t: 'hello',
      v: 1,
      agent: this.agentId,
      nonce,
      time: Date.now(),
      info: {
        hostname,
        osUser,
        localIps: [localIp],
        agentVersion: '0.1.0-bench',
        noticeVersion: this.noticeVersion,
      },
    };
    this.#ws?.send(encodeTextFrame(hello, 'agent', this.signer));
  }

  #onWelcome(session: string, ackedSeq: number): void {
    const counters = this.runtime.counters;
    counters.welcomes++;
    this.runtime.handshake.record(performance.now() - this.#connectStartedAt);
    this.#attempts = 0;
    this.#session = session;
    if (!this.#open) {
      this.#open = true;
      this.runtime.onOpenChange(1);
    }
    this.#acknowledge(ackedSeq);
    // Everything still in the outbox goes again, in order, under the new session.
    for (const frame of this.#outbox) this.#transmit(frame);
    if (!this.#started) {
      this.#started = true;
      const { batchIntervalMs, screenshotIntervalMs } = this.runtime.config;
      const random = this.#workload.random;
      // Seats do not start in step: the first batch and screenshot fall anywhere in their interval.
      this.#batchTimer = setTimeout(() => this.#produceBatch(), Math.floor(random() * batchIntervalMs));
      this.#shotTimer = setTimeout(
        () => this.#produceScreenshot(),
        Math.floor(random() * screenshotIntervalMs),
      );
    }
  }

  #acknowledge(seq: number): void {
    if (seq <= this.#ackedSeq) return;
    this.#ackedSeq = Math.min(seq, this.#seq);
    const counters = this.runtime.counters;
    const now = performance.now();
    while (this.#outbox.length > 0 && this.#outbox[0]!.seq <= this.#ackedSeq) {
      const frame = this.#outbox.shift()!;
      counters.pending--;
      counters.framesAcked++;
      const events = frame.kind === 'blob' ? 1 : frame.events.length;
      this.#eventsAcked += events;
      counters.eventsAcked += events;
      if (frame.kind === 'blob') this.#blobsAcked++;
      if (frame.phase === 'hold') counters.holdAcked++;
      if (frame.phase !== 'drain') this.runtime.latency[frame.phase].record(now - frame.createdAt);
    }
  }

  // ---- producing ---------------------------------------------------------------------------

  #produceBatch(): void {
    if (this.runtime.draining()) return;
    const { batchIntervalMs, batchJitter, eventsPerBatch } = this.runtime.config;
    const events = this.#workload.nextBatch(Date.now(), eventsPerBatch);
    this.#enqueue('batch', events, null);
    this.#batches++;
    this.#batchTimer = setTimeout(
      () => this.#produceBatch(),
      jittered(batchIntervalMs, batchJitter, this.#workload.random),
    );
  }

  #produceScreenshot(): void {
    if (this.runtime.draining()) return;
    const { screenshotIntervalMs, screenshotJitter } = this.runtime.config;
    const blob = stampScreenshot(this.runtime.screenshot, `${this.agentId}/${this.#seq + 1}/${Date.now()}`);
    this.#enqueue('blob', [], blob);
    this.#blobs++;
    this.#shotTimer = setTimeout(
      () => this.#produceScreenshot(),
      jittered(screenshotIntervalMs, screenshotJitter, this.#workload.random),
    );
  }

  #enqueue(kind: 'batch' | 'blob', events: Event[], blob: Uint8Array | null): void {
    const counters = this.runtime.counters;
    const phase = this.runtime.phase();
    const frame: OutboxFrame = {
      seq: ++this.#seq,
      kind,
      time: Date.now(),
      events,
      blob,
      createdAt: performance.now(),
      phase,
    };
    this.#outbox.push(frame);
    counters.pending++;
    if (kind === 'batch') counters.batchesSent++;
    else counters.blobsSent++;
    counters.eventsSent += kind === 'blob' ? 1 : events.length;
    if (phase === 'hold') {
      counters.holdSent++;
      counters.holdEvents += kind === 'blob' ? 1 : events.length;
      if (kind === 'blob') counters.holdBlobs++;
    }
    if (this.#open) this.#transmit(frame);
  }

  #transmit(frame: OutboxFrame): void {
    const ws = this.#ws;
    const session = this.#session;
    if (!ws || ws.readyState !== WebSocket.OPEN || !session) return;
    if (frame.kind === 'batch') {
      const payload: BatchPayload = {
        t: 'batch',
        v: 1,
        session,
        seq: frame.seq,
        time: frame.time,
        events: frame.events,
      };
      ws.send(encodeTextFrame(payload, 'agent', this.signer));
      return;
    }
    const blob = frame.blob!;
    const capture: CaptureEvent = {
      type: 'capture',
      time: frame.time,
      outcome: 'captured',
      trigger: 'schedule',
      monitor: 0,
      width: 1280,
      height: 720,
      reason: '',
      commandId: null,
    };
    const payload: BlobPayload = {
      t: 'blob',
      v: 1,
      session,
      seq: frame.seq,
      time: frame.time,
      sha256: sha256Hex(blob),
      size: blob.length,
      mime: 'image/jpeg',
      event: capture,
    };
    ws.send(encodeBinaryFrame(payload, blob, 'agent', this.signer));
  }

  // ---- closing -----------------------------------------------------------------------------

  #onClose(ws: WebSocket, code: number): void {
    if (ws !== this.#ws) return;
    if (this.#open) {
      this.#open = false;
      this.runtime.onOpenChange(-1);
    }
    this.#session = null;
    if (this.#closing) return;
    bump(this.runtime.counters.closes, String(code));
    this.runtime.counters.reconnects++;
    // Back off as the real agent does (exponential, full jitter: 0.25 s .. 60 s, the rule of
    // packages/agent/src/core/backoff.ts); the outbox is resent after the next welcome.
    const ceiling = Math.min(60_000, 500 * 2 ** Math.min(this.#attempts++, 30));
    setTimeout(() => this.connect(), 250 + (ceiling - 250) * this.#workload.random());
  }
}

function errorKey(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? error.message.slice(0, 80);
}
