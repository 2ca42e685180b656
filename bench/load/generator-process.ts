/**
 * A generator process: runs its share of the simulated agents and reports
 * to the orchestrator over IPC. Kept apart from the orchestrator and from
 * the server so that its CPU time shows as its own line in the report
 * (on this machine the load and the server share the same two cores).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fromBase64 } from '@seatwatch/shared';
import { createNodeCryptoVerifier, nodeCryptoSigner } from '@seatwatch/shared/node-crypto';
import type {
  FromGenerator,
  GeneratorConfig,
  GeneratorStats,
  Phase,
  ToGenerator,
} from './generator-messages.js';
import { LatencyHistogram } from './latency-histogram.js';
import { makeScreenshotJpeg } from './screenshot-jpeg.js';
import { type AgentCounters, type AgentRuntime, SimulatedAgent } from './simulated-agent.js';

const STATS_INTERVAL_MS = 2000;

function send(message: FromGenerator): void {
  process.send?.(message);
}

const counters: AgentCounters = {
  welcomes: 0,
  reconnects: 0,
  batchesSent: 0,
  blobsSent: 0,
  framesAcked: 0,
  eventsSent: 0,
  eventsAcked: 0,
  acks: 0,
  pending: 0,
  holdSent: 0,
  holdAcked: 0,
  holdEvents: 0,
  holdBlobs: 0,
  closes: {},
  connectErrors: {},
  serverErrors: {},
  badServerMessages: 0,
  acksVerified: 0,
};
const latency = { ramp: new LatencyHistogram(), hold: new LatencyHistogram() };
const handshake = new LatencyHistogram();
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

let phase: Phase = 'ramp';
let draining = false;
let connected = 0;
let agents: SimulatedAgent[] = [];

function stats(): GeneratorStats {
  return {
    connected,
    welcomes: counters.welcomes,
    reconnects: counters.reconnects,
    framesSent: { batch: counters.batchesSent, blob: counters.blobsSent },
    framesAcked: counters.framesAcked,
    eventsSent: counters.eventsSent,
    eventsAcked: counters.eventsAcked,
    acks: counters.acks,
    pending: counters.pending,
    hold: {
      sent: counters.holdSent,
      acked: counters.holdAcked,
      events: counters.holdEvents,
      blobs: counters.holdBlobs,
    },
    holdLatency: latency.hold.snapshot(),
    rampLatency: latency.ramp.snapshot(),
    handshakeLatency: handshake.snapshot(),
    closes: { ...counters.closes },
    connectErrors: { ...counters.connectErrors },
    serverErrors: { ...counters.serverErrors },
    badServerMessages: counters.badServerMessages,
    acksVerified: counters.acksVerified,
    loopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e4) / 100,
  };
}

async function start(config: GeneratorConfig): Promise<void> {
  const screenshot = await makeScreenshotJpeg(config.screenshotBytes, config.seed);
  let verifyCredit = 0;
  const runtime: AgentRuntime = {
    config,
    serverPublicKey: fromBase64(config.serverPublicKey, 32),
    verifier: createNodeCryptoVerifier(),
    screenshot,
    phase: () => phase,
    draining: () => draining,
    latency,
    handshake,
    counters,
    verifyThisAck() {
      verifyCredit += config.verifyAcks;
      if (verifyCredit < 1) return false;
      verifyCredit -= 1;
      return true;
    },
    onOpenChange(delta) {
      connected += delta;
    },
  };
  agents = config.agents.map(
    (spec) =>
      new SimulatedAgent(
        spec.agentId,
        spec.index,
        nodeCryptoSigner(fromBase64(spec.secretKey, 64)),
        spec.noticeVersion,
        config.localAddresses[spec.index % config.localAddresses.length]!,
        runtime,
      ),
  );
  send({ type: 'ready' });
  // Connections are spread at a steady rate, as seats coming in over a morning would be (faster).
  const gapMs = 1000 / config.connectPerSecond;
  const startedAt = performance.now();
  agents.forEach((agent, i) => {
    setTimeout(() => agent.connect(), Math.max(0, i * gapMs - (performance.now() - startedAt)));
  });
  setInterval(() => send({ type: 'stats', stats: stats() }), STATS_INTERVAL_MS).unref();
}

async function drain(timeoutMs: number): Promise<void> {
  draining = true;
  phase = 'drain';
  for (const agent of agents) agent.stopProducing();
  const deadline = performance.now() + timeoutMs;
  while (counters.pending > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  send({
    type: 'final',
    stats: stats(),
    agents: agents.map((agent) => agent.outcome()),
    drained: counters.pending === 0,
  });
}

async function closeAll(): Promise<void> {
  await Promise.all(agents.map((agent) => agent.close()));
  process.exit(0);
}

process.on('message', (message: ToGenerator) => {
  const run = (task: Promise<void>) =>
    task.catch((error: unknown) => {
      send({ type: 'fatal', message: (error as Error).stack ?? String(error) });
      process.exit(1);
    });
  switch (message.type) {
    case 'start':
      run(start(message.config));
      break;
    case 'phase':
      phase = message.phase;
      break;
    case 'reset-handshakes':
      handshake.reset();
      break;
    case 'report':
      send({ type: 'stats', stats: stats() });
      break;
    case 'drain':
      run(drain(message.timeoutMs));
      break;
    case 'close':
      run(closeAll());
      break;
  }
});
// The orchestrator went away: nothing left to report to.
process.on('disconnect', () => process.exit(0));
