/** The IPC conversation between the orchestrator (main.ts) and its generator processes. */
import type { HistogramSnapshot } from './latency-histogram.js';

export interface AgentSpec {
  /** Position in the run (names, seeds, local address). */
  index: number;
  agentId: string;
  /** Base64 of the 64-byte secret key (seed ++ public key, the @seatwatch/shared layout). */
  secretKey: string;
  noticeVersion: number;
}

export interface GeneratorConfig {
  wsUrl: string;
  /** Base64 of the server key pinned at enrollment. */
  serverPublicKey: string;
  agents: AgentSpec[];
  /** Local addresses to connect from (127.0.0.x), assigned round-robin. */
  localAddresses: string[];
  connectPerSecond: number;
  batchIntervalMs: number;
  eventsPerBatch: number;
  batchJitter: number;
  screenshotIntervalMs: number;
  screenshotJitter: number;
  screenshotBytes: number;
  /** Share of acks whose signature is verified (challenges, welcomes, errors, commands: all). */
  verifyAcks: number;
  seed: number;
}

export type Phase = 'ramp' | 'hold' | 'drain';

export type ToGenerator =
  | { type: 'start'; config: GeneratorConfig }
  | { type: 'phase'; phase: Phase }
  /** Handshake latencies from here on only (the connect storm after a server restart). */
  | { type: 'reset-handshakes' }
  /** Send stats now (a measurement window starts or ends). */
  | { type: 'report' }
  /** Stop making frames; report `final` once everything sent is acked (or after timeoutMs). */
  | { type: 'drain'; timeoutMs: number }
  /** Close every socket (1000) and exit. */
  | { type: 'close' };

export interface GeneratorStats {
  /** Agents with a welcomed, open session. */
  connected: number;
  /** Welcomes received (first connections and reconnections). */
  welcomes: number;
  reconnects: number;
  framesSent: { batch: number; blob: number };
  /** Frames covered by an ack (or by a welcome's ackedSeq after a reconnection). */
  framesAcked: number;
  eventsSent: number;
  /** Events in acknowledged frames (a blob carries one capture event). */
  eventsAcked: number;
  acks: number;
  /** Frames sent and not yet acknowledged, now. */
  pending: number;
  /** Frames sent during the hold phase, and how many of those are acked. */
  hold: { sent: number; acked: number; events: number; blobs: number };
  /** Ack latency of frames sent in the hold phase (send -> ack, ms). */
  holdLatency: HistogramSnapshot;
  /** Ack latency of frames sent while agents were still connecting. */
  rampLatency: HistogramSnapshot;
  /** Socket open -> welcome, for every (re)connection. */
  handshakeLatency: HistogramSnapshot;
  /** Closes the agents did not ask for, by close code; connection errors by message. */
  closes: Record<string, number>;
  connectErrors: Record<string, number>;
  /** Server `error` payloads, by code. */
  serverErrors: Record<string, number>;
  /** Server messages that failed verification or parsing (must stay 0). */
  badServerMessages: number;
  acksVerified: number;
  /** Generator event-loop delay p99 (ms): when high, latencies include the generator's own lag. */
  loopDelayP99Ms: number;
}

export interface AgentOutcome {
  agentId: string;
  /** Highest seq sent. */
  lastSeq: number;
  /** Highest seq acknowledged. */
  ackedSeq: number;
  batches: number;
  blobs: number;
  /** Events in acknowledged frames (a blob carries one capture event). */
  eventsAcked: number;
  /** Blob frames acknowledged. */
  blobsAcked: number;
}

export type FromGenerator =
  | { type: 'ready' }
  | { type: 'stats'; stats: GeneratorStats }
  | { type: 'final'; stats: GeneratorStats; agents: AgentOutcome[]; drained: boolean }
  | { type: 'fatal'; message: string };
