/**
 * Prometheus metrics. Each app has its own registry (several apps can live
 * in one test process); GET /metrics serves it in the text format.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface ServerMetrics {
  readonly registry: Registry;
  readonly connectedAgents: Gauge;
  /** Frames stored, by kind (batch, blob); rate() gives frames per second. */
  readonly frames: Counter<'kind'>;
  /** Events stored; rate() gives events per second. */
  readonly events: Counter;
  /** Frames acknowledged again without storing (seq already stored). */
  readonly resends: Counter;
  /** Frames and hellos refused, by error code (bad_signature, frame_malformed, ...). */
  readonly verificationFailures: Counter<'reason'>;
  /** From a frame's arrival to the ack that covers it. */
  readonly ackLatency: Histogram;
  /** Duration of each group-commit transaction, by outcome. */
  readonly dbWrite: Histogram<'outcome'>;
  /** Frames per group-commit transaction. */
  readonly commitSize: Histogram;
  readonly logins: Counter<'outcome'>;
  readonly enrollments: Counter<'outcome'>;
  /** Connections whose next frame waits, unread, for the commit backlog to shrink (admission control). */
  readonly heldConnections: Gauge;
  /** Frames read and verified, waiting for their group commit (the commit delay, or commits in flight). */
  readonly commitQueue: Gauge;
}

export function createServerMetrics(options: { defaultMetrics: boolean }): ServerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'seatwatch_process_' });
  const registers = [registry];
  const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  return {
    registry,
    connectedAgents: new Gauge({
      name: 'seatwatch_connected_agents',
      help: 'Agents with an open, authenticated connection to this process',
      registers,
    }),
    frames: new Counter({
      name: 'seatwatch_frames_stored_total',
      help: 'Data frames stored, by kind',
      labelNames: ['kind'],
      registers,
    }),
    events: new Counter({ name: 'seatwatch_events_stored_total', help: 'Events stored', registers }),
    resends: new Counter({
      name: 'seatwatch_frames_resent_total',
      help: 'Frames acknowledged again without being stored twice',
      registers,
    }),
    verificationFailures: new Counter({
      name: 'seatwatch_verification_failures_total',
      help: 'Frames and hellos refused, by error code',
      labelNames: ['reason'],
      registers,
    }),
    ackLatency: new Histogram({
      name: 'seatwatch_ack_latency_seconds',
      help: 'From a data frame arriving to the ack that covers it',
      buckets: latencyBuckets,
      registers,
    }),
    dbWrite: new Histogram({
      name: 'seatwatch_db_write_seconds',
      help: 'Duration of one group-commit transaction',
      labelNames: ['outcome'],
      buckets: latencyBuckets,
      registers,
    }),
    commitSize: new Histogram({
      name: 'seatwatch_commit_frames',
      help: 'Frames written by one group-commit transaction',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers,
    }),
    logins: new Counter({
      name: 'seatwatch_logins_total',
      help: 'Hellos, by outcome (allowed or the refusal code)',
      labelNames: ['outcome'],
      registers,
    }),
    enrollments: new Counter({
      name: 'seatwatch_enrollments_total',
      help: 'Enrollment attempts, by outcome (enrolled or the refusal code)',
      labelNames: ['outcome'],
      registers,
    }),
    heldConnections: new Gauge({
      name: 'seatwatch_ingest_held_connections',
      help: 'Agent connections whose next frame waits for the group-commit backlog to shrink',
      registers,
    }),
    commitQueue: new Gauge({
      name: 'seatwatch_commit_queue_frames',
      help: 'Frames read and verified that wait for their group commit',
      registers,
    }),
  };
}

export async function metricsRoute(app: FastifyInstance, metrics: ServerMetrics): Promise<void> {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
