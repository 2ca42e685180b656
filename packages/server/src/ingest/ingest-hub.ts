/**
 * The in-process observer hook on ingest. After a group commit, the gateway
 * hands the committed frames (with agent, seat and project context) to every
 * observer; it also reports connections, disconnections and every login
 * attempt. The anomaly rules engine and the live dashboard stream subscribe
 * here.
 *
 * Observers are called in the order things happened, synchronously, after
 * the acks have gone out: an observer never delays or fails an ack. An
 * observer that returns a promise is not awaited; a rejection or throw is
 * logged and does not reach the other observers.
 */
import type { Event } from '@seatwatch/shared';
import type { DeviceRow, ScreenshotRow, SpanRow, StateChange } from '../domain/ingest-mapping.js';
import type { SequenceGap } from '../domain/sequencing.js';
import type { RaisedAnomaly } from './anomaly-port.js';

/** An agent's live connection, from its accepted hello. */
export interface AgentSession {
  agentId: string;
  projectId: string;
  seatId: string;
  siteId: string | null;
  teamId: string | null;
  session: string;
  /** Client IP the hello came from. */
  ip: string;
  /** The OS user at the seat (hello info, sanitised). */
  operator: string;
  hostname: string;
  agentVersion: string;
  noticeVersion: number;
  /** hello.time minus server time at arrival (ms). */
  clockSkewMs: number;
  connectedAt: number;
}

export interface CommittedEvent {
  /** events.id of the stored row. */
  id: number;
  seq: number;
  idx: number;
  type: Event['type'];
  time: number;
  /** The event after the sanitising rule. */
  body: Event;
  /** The OS account the event is attributed to (domain/ingest-mapping.ts, attributeAccount); null when none is known. */
  osUser: string | null;
}

export interface CommittedGap extends SequenceGap {
  /** A data_dropped event covered the gap. */
  announced: boolean;
  /** The tamper anomaly it raised; null when the project turned the rule off. */
  anomaly: RaisedAnomaly | null;
}

export interface CommittedFrame {
  agent: AgentSession;
  kind: 'batch' | 'blob';
  seq: number;
  /** When the frame arrived (ms, server clock). */
  receivedAt: number;
  committedAt: number;
  events: CommittedEvent[];
  /** For blob frames: the stored screenshot (id = screenshots.id). */
  screenshot: (ScreenshotRow & { id: number }) | null;
  spans: SpanRow[];
  devices: DeviceRow[];
  state: StateChange | null;
  gap: CommittedGap | null;
}

export interface LoginAttempt {
  kind: 'hello' | 'enroll';
  /** logins.id of the record. */
  loginId: number;
  at: number;
  allowed: boolean;
  /** Error code when refused. */
  reason: string | null;
  ip: string;
  projectId: string | null;
  agentId: string | null;
  seatId: string | null;
  clockSkewMs: number | null;
  /** The anomaly this attempt raised (ip_not_allowed), if any. */
  anomalyId: string | null;
}

export interface SessionClose {
  code: number;
  reason: string;
  at: number;
  /** True when the server closed it (replaced, revoked, refused, shutdown), false when the agent or network did. */
  byServer: boolean;
}

/** A frame or hello the gateway refused with a 44xx close (bad signature, wrong session, ...). */
export interface FrameRefusal {
  /** The connection's agent if its hello had been accepted; null during the handshake. */
  agent: AgentSession | null;
  /** Error code (docs/errors.md). */
  code: string;
  ip: string;
  at: number;
}

export interface IngestObserver {
  committed?(frames: readonly CommittedFrame[]): void | Promise<void>;
  connected?(session: AgentSession): void | Promise<void>;
  disconnected?(session: AgentSession, close: SessionClose): void | Promise<void>;
  login?(attempt: LoginAttempt): void | Promise<void>;
  refused?(refusal: FrameRefusal): void | Promise<void>;
}

export class IngestHub {
  readonly #observers = new Set<IngestObserver>();

  constructor(private readonly onError: (error: unknown, hook: string) => void) {}

  /** Registers an observer; returns the function that removes it. */
  subscribe(observer: IngestObserver): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  emitCommitted(frames: readonly CommittedFrame[]): void {
    if (frames.length > 0) this.#emit('committed', (o) => o.committed?.(frames));
  }

  emitConnected(session: AgentSession): void {
    this.#emit('connected', (o) => o.connected?.(session));
  }

  emitDisconnected(session: AgentSession, close: SessionClose): void {
    this.#emit('disconnected', (o) => o.disconnected?.(session, close));
  }

  emitLogin(attempt: LoginAttempt): void {
    this.#emit('login', (o) => o.login?.(attempt));
  }

  emitRefused(refusal: FrameRefusal): void {
    this.#emit('refused', (o) => o.refused?.(refusal));
  }

  #emit(hook: string, call: (observer: IngestObserver) => void | Promise<void> | undefined): void {
    for (const observer of this.#observers) {
      try {
        const result = call(observer);
        if (result) result.catch((error: unknown) => this.onError(error, hook));
      } catch (error) {
        this.onError(error, hook);
      }
    }
  }
}
