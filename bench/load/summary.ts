/**
 * One summary table of load-benchmark results (bench/load/main.ts JSON files): what docs/benchmarks.md
 * reports for each run, CPU per acknowledged frame beside the ceilings of the same run.
 *
 *   node --conditions=seatwatch-source --import tsx bench/load/summary.ts results/load-*.json
 */
import { readFileSync } from 'node:fs';

interface Latency {
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

interface LoadResult {
  startedAt: string;
  options: { agents: number; minutes: number; db: string; processes?: number };
  hold?: {
    seconds: number;
    offeredFramesPerSecond: number;
    framesAckedPerSecond: number;
    ackLatency: Latency;
    medianSample: { cpuPercentOfOneCore: Record<string, number>; loadAverage1m: number };
  };
  ramp?: { seconds: number; handshakeLatency: Latency };
  cpuMsPerFrame?: Record<string, number>;
  holdCpuPercentOfOneCore?: Record<string, number>;
  ceilings?: {
    crypto: { ed25519VerifyPerSecond: number; batchDecodePerSecond: number };
    insert: { rates: Array<{ method: string; connections: number; rowsPerSecond: number }> };
  };
  storm?: {
    allBackSeconds: number;
    listeningAgainSeconds: number;
    connected: number;
    handshakeLatency: Latency;
  };
  verdict?: Record<string, boolean>;
  aborted?: string;
}

const ms = (value: number | null | undefined) =>
  value === null || value === undefined ? '-' : `${Math.round(value)}`;

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: summary.ts <result.json> ...\n');
  process.exit(2);
}
for (const file of files) {
  const r = JSON.parse(readFileSync(file, 'utf8')) as LoadResult;
  const lines: string[] = [];
  lines.push(
    `${file}: ${r.options.agents} agents, ${r.options.processes ?? 1} server process(es), ${r.options.db}, ` +
      `hold ${r.hold?.seconds ?? '-'} s, started ${r.startedAt}${r.aborted ? ` (ABORTED: ${r.aborted})` : ''}`,
  );
  if (r.hold) {
    const a = r.hold.ackLatency;
    lines.push(
      `  frames/s acked ${r.hold.framesAckedPerSecond} of ${r.hold.offeredFramesPerSecond} offered; ` +
        `ack p50/p95/p99/max ${ms(a.p50Ms)}/${ms(a.p95Ms)}/${ms(a.p99Ms)}/${ms(a.maxMs)} ms; ` +
        `load average ${Math.round(r.hold.medianSample.loadAverage1m * 10) / 10}`,
    );
  }
  if (r.holdCpuPercentOfOneCore) {
    const cpu = r.holdCpuPercentOfOneCore;
    const idle = cpu.machine === undefined ? null : Math.max(0, 200 - cpu.machine);
    lines.push(
      `  CPU % of one core over the hold: ${JSON.stringify(cpu)}${idle === null ? '' : `; idle ${idle} % of 200`}`,
    );
  }
  if (r.cpuMsPerFrame) lines.push(`  CPU ms per acknowledged frame: ${JSON.stringify(r.cpuMsPerFrame)}`);
  if (r.ceilings) {
    lines.push(
      `  ceilings: Ed25519 verify ${r.ceilings.crypto.ed25519VerifyPerSecond}/s, batch decode ` +
        `${r.ceilings.crypto.batchDecodePerSecond}/s; ` +
        r.ceilings.insert.rates
          .map((x) => `${x.rowsPerSecond} rows/s (${x.method}, ${x.connections})`)
          .join(', '),
    );
  }
  if (r.ramp) {
    lines.push(
      `  ramp ${r.ramp.seconds} s, handshakes p50/p99 ${ms(r.ramp.handshakeLatency.p50Ms)}/${ms(r.ramp.handshakeLatency.p99Ms)} ms`,
    );
  }
  if (r.storm) {
    lines.push(
      `  connect storm: ${r.storm.connected} back in ${r.storm.allBackSeconds} s after the restart began ` +
        `(target 60; the new process listened after ${r.storm.listeningAgainSeconds} s), ` +
        `handshakes p50/p99 ${ms(r.storm.handshakeLatency.p50Ms)}/${ms(r.storm.handshakeLatency.p99Ms)} ms (target p99 5000)`,
    );
  }
  if (r.verdict) lines.push(`  verdict: ${JSON.stringify(r.verdict)}`);
  process.stdout.write(`${lines.join('\n')}\n\n`);
}
