/**
 * Child process for the crash test: appends batches and large blobs to an
 * outbox forever, acknowledging some as it goes (so compaction runs too),
 * and prints "appended <seq> <sha256>" / "acked <seq>" only after each call
 * has returned. The parent SIGKILLs it at a random instant.
 */
import { createHash } from 'node:crypto';
import { Outbox } from '../../src/outbox/outbox.js';

const dir = process.argv[2]!;
const seed = Number(process.argv[3] ?? 1);
const outbox = Outbox.open(dir, { maxBytes: 64 * 1024 * 1024, now: Date.now });
let n = seed;
const write = (line: string) => process.stdout.write(`${line}\n`);
write(`ready ${outbox.lastSeq} ${outbox.ackedSeq}`);
for (;;) {
  n++;
  if (n % 3 === 0) {
    const blob = new Uint8Array(512 * 1024 + (n % 7) * 4096).fill(n % 251);
    const sha = createHash('sha256').update(blob).digest('hex');
    const seq = outbox.appendBlob(
      'image/jpeg',
      sha,
      {
        type: 'capture',
        time: n,
        outcome: 'captured',
        trigger: 'schedule',
        monitor: 0,
        width: 10,
        height: 10,
        reason: '',
        commandId: null,
      },
      blob,
    );
    write(`appended ${seq} ${sha}`);
  } else {
    const events = Array.from({ length: 20 }, (_, i) => ({
      type: 'status' as const,
      time: n * 100 + i,
      state: 'active' as const,
      idleMs: i,
    }));
    const seq = outbox.appendBatch(events);
    write(`appended ${seq} batch`);
  }
  if (n % 10 === 0 && outbox.lastSeq > 5) {
    const seq = outbox.lastSeq - 5;
    outbox.ack(seq);
    write(`acked ${seq}`);
  }
}
