/**
 * CPU per frame of the server's ingest mapping (mapBatch: sanitising and rows) on the load
 * benchmark's own seat workload: 2,000 seats' 10-event batches, mapped five times a round.
 * CPU time (process.cpuUsage), so it moves little with the machine's load; rounds after the first
 * are the optimised code.
 *
 *   node --conditions=seatwatch-source --import tsx bench/load/mapping-cost.ts [--rounds N]
 */
import { parseArgs } from 'node:util';
import { mapBatch } from '@seatwatch/server';
import type { Event } from '@seatwatch/shared';
import { SeatWorkload, seatIdentity } from './seat-workload.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } });
const rounds = Number(values.rounds);
const start = Date.now() - 3_600_000;
// As the server sees them: parsed from JSON text.
const frames: Event[][] = Array.from({ length: 2000 }, (_, i) =>
  JSON.parse(JSON.stringify(new SeatWorkload(i, seatIdentity(i), start).nextBatch(start + 5000, 10))),
);
const ctx = { projectId: 'p', agentId: 'a', seatId: 's', siteId: null, teamId: null };
const perFrame: number[] = [];
for (let round = 0; round < rounds; round++) {
  const before = process.cpuUsage();
  for (let pass = 0; pass < 5; pass++) {
    frames.forEach((events, i) => {
      mapBatch(ctx, i + 1, events, Date.now(), 'operator');
    });
  }
  const used = process.cpuUsage(before);
  perFrame.push((used.user + used.system) / (5 * frames.length));
}
const sorted = perFrame.slice(1).sort((a, b) => a - b);
console.log(
  `mapBatch CPU per 10-event frame: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} us`,
);
console.log(`rounds (us): ${perFrame.map((v) => v.toFixed(2)).join(', ')}`);
