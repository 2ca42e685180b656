/**
 * The collector load benchmark (issue 3, "Benchmark"). One command:
 *
 *   pnpm --filter @seatwatch/bench load -- --agents 5000 --minutes 5 --db postgres
 *
 * 1. measures the raw ceilings (node:crypto Ed25519, event-row inserts);
 * 2. starts the server as its own process on a fresh database;
 * 3. makes a project (allowlist 127.0.0.0/8) and one token for N seats through
 *    the admin API, and enrolls N seats through POST /api/v1/enroll;
 * 4. forks generator processes that connect the seats over real WebSockets
 *    (spread at --connect-rate) and speak protocol v1: a batch of 10 events
 *    every 5 s and a 50 KB screenshot every 5 min per seat, jittered;
 * 5. once all are connected and the frames sent meanwhile are acknowledged
 *    (the settle phase, timed), holds for --minutes, printing progress;
 * 6. drains (stops new frames, waits for every ack), stops the server
 *    (SIGTERM: graceful), and counts the rows in the database;
 * 7. writes bench/results/<name>.json and prints the summary.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  type CryptoCeilings,
  type InsertCeiling,
  measureCryptoCeilings,
  measurePgliteInsertCeiling,
  measurePostgresInsertCeiling,
} from './ceilings.js';
import { type ProfileSummary, summarizeCpuProfile } from './cpu-profile-summary.js';
import { databaseActivity, readDatabaseCounters } from './database-activity.js';
import { createBenchProject, enrollSeats } from './enrollment.js';
import { forkGenerator, type Generator } from './generator-client.js';
import type { GeneratorConfig, GeneratorStats } from './generator-messages.js';
import { connectInspector } from './inspector-profiler.js';
import { type LatencySummary, mergeSnapshots } from './latency-histogram.js';
import { type LoadOptions, parseLoadOptions } from './load-options.js';
import { CpuMeter, machineFacts, readMemory } from './proc-sampler.js';
import { type ServerView, scrapeMetrics, serverView } from './server-metrics.js';
import { type ServerProcess, startServerProcess } from './server-process.js';
import { countStatements, enableStatementLog, logOffset } from './statement-log.js';
import { checkStoredPglite, checkStoredPostgres, type StoredCheck } from './stored-rows.js';

const here = dirname(fileURLToPath(import.meta.url));
const benchRoot = resolve(here, '..');
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
/** Issue 3's targets on this 2-core machine. */
const TARGETS = { p99Ms: 250, serverRssBytes: 1.5 * GiB };

const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const median = (values: readonly number[]) => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;

// ---- generator processes ---------------------------------------------------------------------

function totals(generators: readonly Generator[]) {
  const all = generators.map((g) => g.latest).filter((s): s is GeneratorStats => s !== null);
  const sum = (pick: (s: GeneratorStats) => number) => all.reduce((acc, s) => acc + pick(s), 0);
  const merge = (pick: (s: GeneratorStats) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const s of all) for (const [k, v] of Object.entries(pick(s))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    connected: sum((s) => s.connected),
    welcomes: sum((s) => s.welcomes),
    reconnects: sum((s) => s.reconnects),
    framesSent: sum((s) => s.framesSent.batch + s.framesSent.blob),
    batchesSent: sum((s) => s.framesSent.batch),
    blobsSent: sum((s) => s.framesSent.blob),
    framesAcked: sum((s) => s.framesAcked),
    eventsSent: sum((s) => s.eventsSent),
    acks: sum((s) => s.acks),
    pending: sum((s) => s.pending),
    holdSent: sum((s) => s.hold.sent),
    holdAcked: sum((s) => s.hold.acked),
    holdEvents: sum((s) => s.hold.events),
    holdBlobs: sum((s) => s.hold.blobs),
    holdLatency: mergeSnapshots(all.map((s) => s.holdLatency)),
    rampLatency: mergeSnapshots(all.map((s) => s.rampLatency)),
    handshakeLatency: mergeSnapshots(all.map((s) => s.handshakeLatency)),
    closes: merge((s) => s.closes),
    connectErrors: merge((s) => s.connectErrors),
    serverErrors: merge((s) => s.serverErrors),
    badServerMessages: sum((s) => s.badServerMessages),
    acksVerified: sum((s) => s.acksVerified),
    loopDelayP99Ms: Math.max(0, ...all.map((s) => s.loopDelayP99Ms)),
  };
}

// ---- the run ---------------------------------------------------------------------------------

interface Sample {
  t: number;
  phase: string;
  connected: number;
  framesPerSecond: number;
  ackedFramesPerSecond: number;
  eventsPerSecond: number;
  p99Ms: number | null;
  pending: number;
  serverRssMiB: number | null;
  cpu: Record<string, number>;
  loadAverage1m: number;
  generatorLoopDelayP99Ms: number;
}

async function main(): Promise<void> {
  const options = parseLoadOptions(process.argv.slice(2));
  const startedAt = new Date();
  const runName = `load-${options.db}-${options.agents}a-${startedAt.toISOString().replace(/[:.]/g, '-')}`;
  const resultsDir = join(benchRoot, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const outFile = options.out ? resolve(options.out) : join(resultsDir, `${runName}.json`);
  const dataDir = mkdtempSync(join(tmpdir(), 'seatwatch-bench-'));
  const profileFile = options.profile ? join(resultsDir, `${runName}-hold.cpuprofile`) : null;

  const holdMs = options.minutes * 60_000;
  const rampBudgetMs = (options.agents / options.connectPerSecond) * 3000 + 120_000;
  /** Longest wait for the ramp's backlog to clear before the hold starts anyway. */
  const settleBudgetMs = 180_000;
  const budgetMs =
    15 * 60_000 +
    options.agents * 100 +
    rampBudgetMs +
    settleBudgetMs +
    holdMs +
    options.drainSeconds * 2000 +
    (options.storm ? rampBudgetMs + settleBudgetMs + 120_000 : 0);

  const result: Record<string, unknown> = {
    name: runName,
    command: `pnpm --filter @seatwatch/bench load -- ${process.argv
      .slice(2)
      .filter((a) => a !== '--')
      .join(' ')}`,
    startedAt: startedAt.toISOString(),
    options,
    machine: machineFacts(),
    targets: { p99Ms: TARGETS.p99Ms, serverRssBytes: TARGETS.serverRssBytes, nothingLost: true },
  };
  const writeResult = () => writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);

  let server: ServerProcess | null = null;
  /** With --processes N: the other N-1 server processes on the same database and data folder. */
  const others: ServerProcess[] = [];
  const generators: Generator[] = [];
  let database: { name: string; url: string; drop: () => Promise<void> } | null = null;
  let finished = false;
  const cleanup = async (why: string | null) => {
    if (finished) return;
    finished = true;
    for (const generator of generators) generator.child.kill('SIGKILL');
    await Promise.all([server, ...others].map((s) => s?.stop(why ? 1000 : 30_000)));
    if (!options.keep) {
      await database?.drop().catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    }
    if (why) {
      result.aborted = why;
      writeResult();
      log(`\nABORTED: ${why}\nPartial result: ${outFile}`);
    }
  };
  const abort = (why: string) => {
    cleanup(why).finally(() => process.exit(3));
  };
  const watchdog = setTimeout(
    () => abort(`time budget of ${Math.round(budgetMs / 60_000)} min exceeded`),
    budgetMs,
  );
  watchdog.unref();
  process.once('SIGINT', () => abort('interrupted (SIGINT)'));

  log(
    `Seatwatch collector load: ${options.agents} agents, ${options.minutes} min hold, ${options.db}, server from ${options.server}`,
  );
  log(`machine: ${JSON.stringify(result.machine)}; time budget ${Math.round(budgetMs / 60_000)} min`);
  log(`result file: ${outFile}`);

  // 1. Ceilings, before anything else runs, each on one core.
  let cryptoCeilings: CryptoCeilings | null = null;
  let insertCeiling: InsertCeiling | null = null;
  if (options.db === 'postgres')
    database = options.databaseUrl
      ? existingDatabase(options.databaseUrl)
      : await createBenchDatabase(options.pgAdminUrl, options.logStatements);
  result.database = await describeDatabase(options, database?.url ?? null, dataDir);
  if (options.ceilings) {
    log('measuring ceilings: node:crypto (one core), then event-row inserts ...');
    const loadBefore = loadavg()[0];
    cryptoCeilings = measureCryptoCeilings(options.eventsPerBatch);
    insertCeiling =
      options.db === 'postgres'
        ? await measureInScratchDatabase(options, database!, (url) =>
            measurePostgresInsertCeiling(url, options.eventsPerBatch),
          )
        : await measurePgliteInsertCeiling(dataDir, options.eventsPerBatch);
    if (options.db === 'pglite') rmSync(join(dataDir, 'ceiling'), { recursive: true, force: true });
    result.ceilings = { crypto: cryptoCeilings, insert: insertCeiling, loadAverage1mBefore: loadBefore };
    log(
      `  Ed25519 verify ${cryptoCeilings.ed25519VerifyPerSecond}/s, sign ${cryptoCeilings.ed25519SignPerSecond}/s, ` +
        `batch decode ${cryptoCeilings.batchDecodePerSecond}/s (${cryptoCeilings.batchFrameBytes} B frames); ` +
        `${insertCeiling.engine} event-row inserts (${insertCeiling.rowsPerCommit} a transaction): ` +
        insertCeiling.rates
          .map((r) => `${r.rowsPerSecond} rows/s by ${r.method} on ${r.connections}`)
          .join('; '),
    );
  }

  // 2. The server.
  log('starting the server ...');
  let stopping = false;
  /** Set while --storm restarts the servers: their exits are expected then. */
  let restarting = false;
  const serverLog = (i: number, restart: number) =>
    join(
      resultsDir,
      `${runName}-server${i > 0 ? `-${i + 1}` : ''}${restart > 0 ? `-restart${restart}` : ''}.log`,
    );
  const launch = async (i: number, restart: number, reuse: ServerProcess | null) => {
    const launchedAt = performance.now();
    const started = await startServerProcess({
      from: options.server,
      dataDir,
      databaseUrl: database?.url ?? null,
      logFile: serverLog(i, restart),
      // Only the first process is profiled (its share of the load is 1/N of the whole).
      inspect: options.profile && i === 0,
      poolSize: options.poolSize,
      extraEnv: {},
      ...(reuse ? { port: reuse.port, adminToken: reuse.adminToken } : {}),
    });
    started.exited.then((code) => {
      if (!finished && !stopping && !restarting) abort(`a server exited unexpectedly (${code}); see its log`);
    });
    log(
      `  server ${i + 1} ready in ${round((performance.now() - launchedAt) / 1000, 1)} s at ${started.url} (pid ${started.pid})`,
    );
    return started;
  };
  // One after the other: the first applies the migrations, the others find them done.
  server = await launch(0, 0, null);
  for (let i = 1; i < options.processes; i++) {
    const other = await launch(i, 0, null);
    others.push(other);
  }
  let running = server;
  const servers = () => [running, ...others];

  // 3. Project, token, enrollment.
  const project = await createBenchProject(running.url, running.adminToken, options.agents);
  log(`enrolling ${options.agents} seats over HTTP (${options.enrollConcurrency} at a time) ...`);
  const enrollStarted = performance.now();
  const seats = await enrollSeats(
    running.url,
    project.token,
    options.agents,
    options.enrollConcurrency,
    (done) => log(`  enrolled ${done}/${options.agents}`),
  );
  const enrollSeconds = (performance.now() - enrollStarted) / 1000;
  const serverKeys = new Set(seats.map((seat) => seat.serverPublicKey));
  if (serverKeys.size !== 1) throw new Error('enrollment answered with different server keys');
  result.enrollment = {
    seconds: round(enrollSeconds, 1),
    perSecond: round(options.agents / enrollSeconds, 1),
  };
  log(
    `  ${options.agents} enrolled in ${round(enrollSeconds, 1)} s (${round(options.agents / enrollSeconds)}/s)`,
  );

  const logAtConnect = options.logStatements ? logOffset() : 0;

  // 4. Generators.
  const localAddresses = Array.from({ length: options.sourceAddresses }, (_, i) => `127.0.0.${i + 1}`);
  for (let g = 0; g < options.generators; g++) {
    const generator = forkGenerator((message) => abort(`a generator failed: ${message}`));
    generators.push(generator);
    const config: GeneratorConfig = {
      // Generator g speaks to server g mod N (--processes), as a load balancer spreading agents would.
      wsUrl: servers()[g % options.processes]!.wsUrl,
      serverPublicKey: [...serverKeys][0]!,
      agents: seats
        .filter((seat) => seat.index % options.generators === g)
        .map((seat) => ({
          index: seat.index,
          agentId: seat.agentId,
          secretKey: seat.secretKey,
          noticeVersion: seat.noticeVersion,
        })),
      localAddresses,
      connectPerSecond: options.connectPerSecond / options.generators,
      batchIntervalMs: options.batchIntervalMs,
      eventsPerBatch: options.eventsPerBatch,
      batchJitter: options.batchJitter,
      screenshotIntervalMs: options.screenshotIntervalMs,
      screenshotJitter: options.screenshotJitter,
      screenshotBytes: options.screenshotBytes,
      verifyAcks: options.verifyAcks,
      seed: options.seed + g,
    };
    generator.send({ type: 'start', config });
  }
  await Promise.all(generators.map((g) => g.ready));

  // The PostgreSQL processes working for this run, refreshed at every progress line (backends come and go).
  let postgresPids: number[] = [];
  const monitor = database ? new pg.Client({ connectionString: database.url }) : null;
  await monitor?.connect();
  const refreshPostgresPids = async () => {
    if (monitor) postgresPids = await benchPostgresPids(monitor);
  };
  await refreshPostgresPids();
  const cpu = new CpuMeter(
    () =>
      new Map([
        ['server', servers().map((s) => s.pid)],
        ['generators', generators.map((g) => g.child.pid!)],
        ['postgres', postgresPids],
        ['orchestrator', [process.pid]],
      ]),
  );
  const samples: Sample[] = [];
  let previous = { at: performance.now(), framesSent: 0, framesAcked: 0, eventsSent: 0 };
  let phase = 'ramp';
  const runStarted = performance.now();
  const progress = async () => {
    await refreshPostgresPids();
    const t = totals(generators);
    const now = performance.now();
    const seconds = (now - previous.at) / 1000;
    const memory = readMemory(running.pid);
    const latency = phase === 'ramp' ? t.rampLatency : t.holdLatency;
    const sample: Sample = {
      t: round((now - runStarted) / 1000, 1),
      phase,
      connected: t.connected,
      framesPerSecond: round((t.framesSent - previous.framesSent) / seconds),
      ackedFramesPerSecond: round((t.framesAcked - previous.framesAcked) / seconds),
      eventsPerSecond: round((t.eventsSent - previous.eventsSent) / seconds),
      p99Ms: latency.percentile(99),
      pending: t.pending,
      serverRssMiB: memory ? round(memory.rssBytes / MiB) : null,
      cpu: cpu.sample(),
      loadAverage1m: round(loadavg()[0]!, 2),
      generatorLoopDelayP99Ms: t.loopDelayP99Ms,
    };
    previous = { at: now, framesSent: t.framesSent, framesAcked: t.framesAcked, eventsSent: t.eventsSent };
    samples.push(sample);
    const closes = Object.values(t.closes).reduce((a, b) => a + b, 0);
    log(
      `[${String(sample.t).padStart(6)}s ${phase.padEnd(5)}] connected ${t.connected}/${options.agents}` +
        `  frames/s ${sample.framesPerSecond}  acks/s ${sample.ackedFramesPerSecond}  events/s ${sample.eventsPerSecond}` +
        `  p99 ${sample.p99Ms === null ? '-' : `${round(sample.p99Ms)}ms`} (${phase})  pending ${t.pending}` +
        `  server RSS ${sample.serverRssMiB ?? '-'} MiB  cpu% ${Object.entries(sample.cpu)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}  load ${sample.loadAverage1m}` +
        (closes ? `  unexpected closes ${JSON.stringify(t.closes)}` : ''),
    );
  };

  // 5. Ramp: until every agent has its welcome.
  log(`connecting ${options.agents} agents at ${options.connectPerSecond}/s ...`);
  let nextProgress = performance.now() + options.progressSeconds * 1000;
  /** Polls while `condition` holds, for at most budgetMs, printing progress; returns the seconds it took. */
  const waitWhile = async (condition: () => boolean, budgetMs: number): Promise<number> => {
    const started = performance.now();
    while (condition() && performance.now() - started < budgetMs) {
      await sleep(250);
      if (performance.now() >= nextProgress) {
        await progress();
        nextProgress += options.progressSeconds * 1000;
      }
    }
    return (performance.now() - started) / 1000;
  };
  const rampSeconds = await waitWhile(() => totals(generators).connected < options.agents, rampBudgetMs);
  const connectedAtHold = totals(generators).connected;
  const handshakes = totals(generators).handshakeLatency.summary();
  result.ramp = { seconds: round(rampSeconds, 1), connected: connectedAtHold, handshakeLatency: handshakes };
  log(
    `  handshakes (socket open -> welcome): p50 ${handshakes.p50Ms} ms, p99 ${handshakes.p99Ms} ms, ` +
      `max ${handshakes.maxMs} ms over ${handshakes.count}`,
  );
  if (connectedAtHold < options.agents) {
    log(
      `  only ${connectedAtHold}/${options.agents} connected after ${round(rampSeconds)} s; holding with those`,
    );
  } else {
    log(`  all ${options.agents} connected in ${round(rampSeconds, 1)} s`);
  }

  // 5b. Settle: a connect storm leaves a backlog of frames (sent while thousands of hellos were being
  // served); the hold measures steady operation, so it starts once that backlog is under half a second
  // of traffic. How long that took is reported, not hidden.
  phase = 'settle';
  const settledBelow = Math.max(10, Math.round((options.agents * 1000) / options.batchIntervalMs / 2));
  const settleSeconds = await waitWhile(() => totals(generators).pending > settledBelow, settleBudgetMs);
  const pendingAtHold = totals(generators).pending;
  result.settle = {
    seconds: round(settleSeconds, 1),
    pendingBelow: settledBelow,
    pendingAtHold,
    settled: pendingAtHold <= settledBelow,
  };
  log(
    `  backlog after the ramp ${pendingAtHold <= settledBelow ? 'settled' : 'NOT settled'} in ${round(settleSeconds, 1)} s ` +
      `(${pendingAtHold} frames unacknowledged; threshold ${settledBelow})`,
  );

  // 6. Hold.
  phase = 'hold';
  for (const generator of generators) generator.send({ type: 'phase', phase: 'hold' });
  const profiler = running.inspectorPort ? await connectInspector(running.inspectorPort) : null;
  await profiler?.start();
  const scrapeBefore = await scrapeMetrics(running.url);
  const holdStart = performance.now();
  const holdStats = totals(generators);
  cpu.sample();
  await refreshPostgresPids();
  const databaseBefore = monitor ? await readDatabaseCounters(monitor) : null;
  const logAtHold = options.logStatements ? logOffset() : 0;
  nextProgress = holdStart + options.progressSeconds * 1000;
  while (performance.now() - holdStart < holdMs) {
    await sleep(Math.min(250, Math.max(1, holdStart + holdMs - performance.now())));
    if (performance.now() >= nextProgress) {
      await progress();
      nextProgress += options.progressSeconds * 1000;
    }
  }
  const holdSeconds = (performance.now() - holdStart) / 1000;
  const scrapeAfter = await scrapeMetrics(running.url);
  if (profiler && profileFile) {
    await profiler.stop(profileFile);
    profiler.close();
  }
  const atHoldEnd = totals(generators);
  const memoryAtHoldEnd = readMemory(running.pid);
  await refreshPostgresPids();
  const databaseAfter = monitor ? await readDatabaseCounters(monitor) : null;
  const logAtHoldEnd = options.logStatements ? logOffset() : 0;

  // 6b. Connect storm (--storm): every server process is restarted (SIGTERM: it acks what it read and
  // closes with 1001), and a new one listens on the same port; the agents come back with their own
  // backoff and jitter (0.25 s .. 60 s, as packages/agent's), all at once. Frames sent from here on
  // count as the ramp's, so the hold's figures above stay the hold's.
  let storm: { allBackSeconds: number; connected: number; handshakeP99Ms: number | null } | null = null;
  if (options.storm) {
    phase = 'ramp';
    for (const generator of generators) generator.send({ type: 'phase', phase: 'ramp' });
    nextProgress = performance.now() + options.progressSeconds * 1000;
    await waitWhile(() => totals(generators).pending > settledBelow, settleBudgetMs);
    for (const generator of generators) generator.send({ type: 'reset-handshakes' });
    log(`connect storm: restarting ${options.processes} server process(es) ...`);
    restarting = true;
    const stormStarted = performance.now();
    const previous = servers();
    await Promise.all(previous.map((s) => s.stop(60_000)));
    const stoppedSeconds = (performance.now() - stormStarted) / 1000;
    const restarted: ServerProcess[] = [];
    for (const [i, old] of previous.entries()) restarted.push(await launch(i, 1, old));
    restarting = false;
    running = restarted[0]!;
    server = running;
    others.splice(0, others.length, ...restarted.slice(1));
    const listeningSeconds = (performance.now() - stormStarted) / 1000;
    nextProgress = performance.now() + options.progressSeconds * 1000;
    await waitWhile(() => totals(generators).connected < options.agents, rampBudgetMs);
    const backSeconds = (performance.now() - stormStarted) / 1000;
    const stormHandshakes = totals(generators).handshakeLatency.summary();
    const back = totals(generators).connected;
    result.storm = {
      stoppedSeconds: round(stoppedSeconds, 1),
      listeningAgainSeconds: round(listeningSeconds, 1),
      allBackSeconds: round(backSeconds, 1),
      reconnectedAfterListening: round(backSeconds - listeningSeconds, 1),
      connected: back,
      handshakeLatency: stormHandshakes,
      target: { allBackWithinSeconds: 60, handshakeP99Ms: 5000 },
    };
    storm = { allBackSeconds: round(backSeconds, 1), connected: back, handshakeP99Ms: stormHandshakes.p99Ms };
    log(
      `  ${back}/${options.agents} back ${round(backSeconds, 1)} s after the restart began ` +
        `(stopped in ${round(stoppedSeconds, 1)} s, listening again at ${round(listeningSeconds, 1)} s); ` +
        `handshakes p50 ${stormHandshakes.p50Ms} ms, p99 ${stormHandshakes.p99Ms} ms, max ${stormHandshakes.maxMs} ms over ${stormHandshakes.count}`,
    );
  }
  await monitor?.end();

  // 7. Drain: no new frames; wait for every ack.
  phase = 'drain';
  log(
    `hold done after ${round(holdSeconds, 1)} s; draining (waiting for every ack, up to ${options.drainSeconds} s) ...`,
  );
  for (const generator of generators)
    generator.send({ type: 'drain', timeoutMs: options.drainSeconds * 1000 });
  const finals = await Promise.all(generators.map((g) => g.final));
  const drained = finals.every((f) => f.drained);
  const final = totals(generators);
  const outcomes = finals.flatMap((f) => f.agents);
  const memoryAtEnd = readMemory(running.pid);
  log(
    `  ${drained ? 'every frame acknowledged' : `NOT drained: ${final.pending} frames still unacknowledged`}`,
  );
  for (const generator of generators) generator.send({ type: 'close' });
  await Promise.race([Promise.all(generators.map((g) => g.exited)), sleep(30_000)]);

  // 8. Stop the server gracefully, then count what it stored.
  stopping = true;
  const stopStarted = performance.now();
  const exit = await running.stop(60_000);
  log(
    `server stopped (${exit}) in ${round((performance.now() - stopStarted) / 1000, 1)} s; counting rows ...`,
  );
  const stored: StoredCheck =
    options.db === 'postgres'
      ? await checkStoredPostgres(database!.url, project.projectId, outcomes)
      : await checkStoredPglite(dataDir, project.projectId, outcomes);

  const profile: ProfileSummary | null = profileFile ? summarizeCpuProfile(profileFile) : null;

  // 9. Report.
  const holdLatency: LatencySummary = final.holdLatency.summary();
  const offeredFramesPerSecond =
    connectedAtHold / (options.batchIntervalMs / 1000) +
    connectedAtHold / (options.screenshotIntervalMs / 1000);
  const holdSamples = samples.filter((s) => s.phase === 'hold');
  // CPU time per frame over the whole hold (unlike rates, it hardly moves when others load the
  // machine), as the mean of the progress samples: each reads the processes of that moment, so a
  // PostgreSQL backend that the server's pool closes and opens again within the hold is counted
  // while it lives. One reading at each end of the hold missed them (about a third of
  // PostgreSQL's CPU at 5,000 agents, counted as "other").
  const holdCpuPercent = Object.fromEntries(
    Object.keys(holdSamples[0]?.cpu ?? {}).map((k) => [
      k,
      round(holdSamples.reduce((sum, s) => sum + (s.cpu[k] ?? 0), 0) / holdSamples.length, 1),
    ]),
  );
  const view: ServerView | null = scrapeBefore && scrapeAfter ? serverView(scrapeBefore, scrapeAfter) : null;
  const framesAckedInHold = atHoldEnd.framesAcked - holdStats.framesAcked;
  const hold = {
    seconds: round(holdSeconds, 1),
    connectedAgents: connectedAtHold,
    offeredFramesPerSecond: round(offeredFramesPerSecond, 1),
    framesSentPerSecond: round(final.holdSent / holdSeconds, 1),
    framesAckedPerSecond: round(framesAckedInHold / holdSeconds, 1),
    eventsSentPerSecond: round(final.holdEvents / holdSeconds),
    screenshotsSent: final.holdBlobs,
    ackLatency: holdLatency,
    ackLatencyWithin250Ms: round(final.holdLatency.fractionAtOrBelow(250), 4),
    medianSample: {
      framesPerSecond: median(holdSamples.map((s) => s.framesPerSecond)),
      ackedFramesPerSecond: median(holdSamples.map((s) => s.ackedFramesPerSecond)),
      eventsPerSecond: median(holdSamples.map((s) => s.eventsPerSecond)),
      cpuPercentOfOneCore: Object.fromEntries(
        Object.keys(holdSamples[0]?.cpu ?? {}).map((k) => [k, median(holdSamples.map((s) => s.cpu[k] ?? 0))]),
      ),
      loadAverage1m: median(holdSamples.map((s) => s.loadAverage1m)),
      generatorLoopDelayP99Ms: median(holdSamples.map((s) => s.generatorLoopDelayP99Ms)),
    },
    maxLoadAverage1m: Math.max(0, ...holdSamples.map((s) => s.loadAverage1m)),
  };
  const serverMemory = {
    rssAtHoldEndBytes: memoryAtHoldEnd?.rssBytes ?? null,
    rssAtEndBytes: memoryAtEnd?.rssBytes ?? null,
    /** VmHWM: the peak resident size over the server's whole life (enrollment, ramp, hold, drain). */
    peakRssBytes: memoryAtEnd?.hwmBytes ?? memoryAtHoldEnd?.hwmBytes ?? null,
    medianRssInHoldMiB: median(holdSamples.map((s) => s.serverRssMiB ?? 0)),
  };
  const cpuMsPerFrame = Object.fromEntries(
    (['server', 'generators', 'postgres'] as const).map((group) => [
      group,
      framesAckedInHold === 0
        ? null
        : round((((holdCpuPercent[group] ?? 0) / 100) * holdSeconds * 1000) / framesAckedInHold, 3),
    ]),
  );
  const activity =
    databaseBefore && databaseAfter
      ? databaseActivity(databaseBefore, databaseAfter, holdSeconds, framesAckedInHold)
      : null;
  const ratios =
    cryptoCeilings && insertCeiling
      ? {
          framesPerSecondOverVerifyCeiling: round(
            hold.framesAckedPerSecond / cryptoCeilings.ed25519VerifyPerSecond,
            3,
          ),
          framesPerSecondOverBatchDecodeCeiling: round(
            hold.framesAckedPerSecond / cryptoCeilings.batchDecodePerSecond,
            3,
          ),
          eventsPerSecondOverInsertCeiling: round(
            (view?.eventsPerSecond ?? hold.eventsSentPerSecond) / insertCeiling.rowsPerSecond,
            3,
          ),
          // Events are not all the server writes: activity spans, agent rows, screenshots...
          rowsWrittenPerSecondOverInsertCeiling: activity
            ? round(
                (activity.rowsInserted.perSecond + activity.rowsUpdated.perSecond) /
                  insertCeiling.rowsPerSecond,
                3,
              )
            : null,
        }
      : null;
  const verdict = {
    allConnected: connectedAtHold === options.agents,
    p99UnderTarget: holdLatency.p99Ms !== null && holdLatency.p99Ms < TARGETS.p99Ms,
    nothingLost: stored.ok && drained,
    rssUnderTarget: serverMemory.peakRssBytes !== null && serverMemory.peakRssBytes < TARGETS.serverRssBytes,
    throughputKeptUp: hold.framesAckedPerSecond >= 0.97 * offeredFramesPerSecond,
    ...(storm
      ? {
          stormAllBackIn60s: storm.connected === options.agents && storm.allBackSeconds <= 60,
          stormHandshakeP99Under5s: storm.handshakeP99Ms !== null && storm.handshakeP99Ms < 5000,
        }
      : {}),
  };
  Object.assign(result, {
    finishedAt: new Date().toISOString(),
    hold,
    rampLatency: final.rampLatency.summary(),
    // With --storm: the reconnections after the restart (the ramp's are in ramp.handshakeLatency).
    handshakeLatency: final.handshakeLatency.summary(),
    serverView: view,
    serverMemory,
    cpuMsPerFrame,
    holdCpuPercentOfOneCore: holdCpuPercent,
    statements:
      options.logStatements && database
        ? {
            note: 'ramp: hellos plus the frames sent while connecting; the log itself slows PostgreSQL',
            ramp: countStatements(database.name, logAtConnect, logAtHold)
              .slice(0, 30)
              .map((row) => ({ ...row, perWelcome: round(row.count / Math.max(1, connectedAtHold), 3) })),
            hold: countStatements(database.name, logAtHold, logAtHoldEnd)
              .slice(0, 30)
              .map((row) => ({ ...row, perFrame: round(row.count / Math.max(1, framesAckedInHold), 3) })),
          }
        : null,
    databaseActivity: activity,
    ratios,
    drain: { drained, pendingAtEnd: final.pending },
    totals: {
      framesSent: final.framesSent,
      batchesSent: final.batchesSent,
      blobsSent: final.blobsSent,
      framesAcked: final.framesAcked,
      eventsSent: final.eventsSent,
      welcomes: final.welcomes,
      reconnects: final.reconnects,
      unexpectedCloses: final.closes,
      connectErrors: final.connectErrors,
      serverErrors: final.serverErrors,
      badServerMessages: final.badServerMessages,
      acksVerified: final.acksVerified,
    },
    stored,
    serverExit: exit,
    profile,
    samples,
    verdict,
    loadAverageAtEnd: loadavg().map((v) => round(v, 2)),
  });
  writeResult();

  const fmt = (ms: number | null) => (ms === null ? '-' : `${round(ms, 1)} ms`);
  log('\n==== result ====');
  log(
    `ramp ${result.ramp && (result.ramp as { seconds: number }).seconds} s, then the backlog settled in ${settleSeconds.toFixed(1)} s; ` +
      `hold ${hold.seconds} s with ${connectedAtHold}/${options.agents} agents connected`,
  );
  log(
    `frames/s offered ${hold.offeredFramesPerSecond}, sent ${hold.framesSentPerSecond}, acked ${hold.framesAckedPerSecond}; ` +
      `events/s ${hold.eventsSentPerSecond}; screenshots ${hold.screenshotsSent}`,
  );
  log(
    `ack latency (send -> ack, hold frames): p50 ${fmt(holdLatency.p50Ms)}, p95 ${fmt(holdLatency.p95Ms)}, ` +
      `p99 ${fmt(holdLatency.p99Ms)}, max ${fmt(holdLatency.maxMs)} (${holdLatency.count} frames)`,
  );
  if (view) {
    log(
      `server view: ${view.framesPerSecond} frames/s, ${view.eventsPerSecond} events/s, ack latency mean ${fmt(view.ackLatency.meanMs)} ` +
        `p99 <= ${fmt(view.ackLatency.p99Ms)}; ${view.commit.commitsPerSecond} commits/s of ${view.commit.meanFramesPerCommit} frames, ` +
        `commit p50 <= ${fmt(view.commit.p50Ms)} p99 <= ${fmt(view.commit.p99Ms)}`,
    );
  }
  log(
    `server RSS peak ${serverMemory.peakRssBytes === null ? '-' : `${round(serverMemory.peakRssBytes / MiB)} MiB`}, ` +
      `median in hold ${serverMemory.medianRssInHoldMiB} MiB; CPU % of one core (median): ${JSON.stringify(hold.medianSample.cpuPercentOfOneCore)}`,
  );
  log(
    `stored: ${JSON.stringify(stored.stored)} vs acknowledged ${JSON.stringify(stored.acknowledged)}; ` +
      `losing ${stored.agentsLosingData}, acked_seq behind ${stored.agentsAckedSeqBehind}, anomalies ${JSON.stringify(stored.anomalies)}`,
  );
  log(`CPU ms per acked frame in the hold: ${JSON.stringify(cpuMsPerFrame)}`);
  if (activity) {
    log(
      `database in the hold: ${activity.transactions.perSecond} transactions/s (${activity.transactions.perFrame} per frame), ` +
        `${activity.rowsInserted.perSecond} rows inserted/s, ${activity.rowsUpdated.perSecond} updated/s, ` +
        `${activity.rowsFetched.perSecond} fetched/s`,
    );
  }
  if (ratios) log(`ratios: ${JSON.stringify(ratios)}`);
  log(
    `load average: median ${hold.medianSample.loadAverage1m}, max ${hold.maxLoadAverage1m} (nproc ${machineFacts().nproc})`,
  );
  if (profile) {
    log(`server CPU profile of the hold (main thread ${profile.busyPercent}% busy), self time by module:`);
    for (const row of profile.byModule.slice(0, 15))
      log(`  ${String(row.percent).padStart(5)}%  ${row.name}`);
    log('  heaviest functions, inclusive:');
    for (const row of profile.topInclusive.slice(0, 15))
      log(`  ${String(row.percent).padStart(5)}%  ${row.name}`);
  }
  if (storm) {
    log(
      `connect storm: ${storm.connected}/${options.agents} back in ${storm.allBackSeconds} s (target 60 s), ` +
        `handshake p99 ${storm.handshakeP99Ms} ms (target 5,000 ms)`,
    );
  }
  log(`verdict: ${JSON.stringify(verdict)}`);
  log(`result: ${outFile}`);
  clearTimeout(watchdog);
  await cleanup(null);
}

// ---- database ----------------------------------------------------------------------------------

async function createBenchDatabase(
  adminUrl: string,
  logStatements: boolean,
): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `seatwatch_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
    if (logStatements) await enableStatementLog(admin, name);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A database the bench did not make (--database-url): used as it is and never dropped. */
function existingDatabase(url: string): { name: string; url: string; drop: () => Promise<void> } {
  return { name: decodeURIComponent(new URL(url).pathname.slice(1)), url, drop: async () => {} };
}

/**
 * The insert ceiling makes tables of its own: on a database the bench made, in it (same settings,
 * same disk); on one it was given, in a scratch database beside it, dropped afterwards.
 */
async function measureInScratchDatabase<T>(
  options: LoadOptions,
  database: { url: string },
  measure: (url: string) => Promise<T>,
): Promise<T> {
  if (!options.databaseUrl) return measure(database.url);
  const scratch = await createBenchDatabase(options.pgAdminUrl, false);
  try {
    return await measure(scratch.url);
  } finally {
    await scratch.drop();
  }
}

/**
 * The bench database's backends, plus the WAL writer, checkpointer and
 * background writer that its commits lean on (those three serve the whole
 * cluster, so anything else writing to it at the same time is counted too).
 */
async function benchPostgresPids(client: pg.Client): Promise<number[]> {
  const { rows } = await client.query<{ pid: number }>(
    `select pid from pg_stat_activity
     where datname = current_database() or backend_type in ('walwriter', 'checkpointer', 'background writer')`,
  );
  return rows.map((row) => row.pid);
}

async function describeDatabase(options: LoadOptions, url: string | null, dataDir: string) {
  if (!url) return { engine: 'pglite', dataDir };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const setting = async (name: string) =>
      (await client.query<{ setting: string }>('select current_setting($1) as setting', [name])).rows[0]
        ?.setting;
    return {
      engine: 'postgres',
      version: (await client.query<{ version: string }>('select version()')).rows[0]?.version,
      synchronousCommit: await setting('synchronous_commit'),
      sharedBuffers: await setting('shared_buffers'),
      maxConnections: await setting('max_connections'),
      serverPoolSize: options.poolSize ?? 'server default',
      dataDir,
    };
  } finally {
    await client.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`load benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
