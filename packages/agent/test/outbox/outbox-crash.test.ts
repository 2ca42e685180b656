/**
 * SIGKILL at any instant loses nothing already written and corrupts nothing:
 * a real child process appends to a real journal and is killed at random
 * moments, many times over the same journal; after each kill the journal
 * must open, and every item the child had reported written must be there
 * intact unless the child had acknowledged it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { Outbox } from '../../src/outbox/outbox.js';
import { tsNodeArgs } from '../support/child-process.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-crash-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Written {
  seq: number;
  sha: string | null;
}

function runUntilKilled(
  round: number,
  linesBeforeKill: number,
): Promise<{ written: Written[]; acked: number }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      [
        ...tsNodeArgs(),
        path.join(import.meta.dirname, '../support/outbox-crash-child.ts'),
        dir,
        String(round * 1000),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const written: Written[] = [];
    let acked = 0;
    let lines = 0;
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      const [word, a, b] = line.split(' ');
      if (word === 'appended') written.push({ seq: Number(a), sha: b === 'batch' ? null : b! });
      if (word === 'acked') acked = Number(a);
      if (++lines === linesBeforeKill) child.kill('SIGKILL');
    });
    child.on('error', reject);
    // Lines already in the pipe still count (they were printed after their append returned):
    // wait for both the exit and the end of the output.
    const exited = new Promise<NodeJS.Signals | null>((done) =>
      child.on('exit', (_code, signal) => done(signal)),
    );
    const drained = new Promise<void>((done) => rl.on('close', () => done()));
    Promise.all([exited, drained]).then(([signal]) => {
      if (signal === 'SIGKILL') resolve({ written, acked });
      else reject(new Error(`child exited without being killed (${signal})`));
    }, reject);
  });
}

describe('outbox under SIGKILL', () => {
  it('opens cleanly after every kill with every written, unacknowledged item intact', async () => {
    const everWritten = new Map<number, string | null>();
    let ackedFloor = 0;
    let lastSeqSeen = 0;
    for (let round = 1; round <= 12; round++) {
      // Kill after a varying number of completed appends, usually while the next big write is under way.
      const { written, acked } = await runUntilKilled(round, 5 + ((round * 7) % 23));
      for (const w of written) everWritten.set(w.seq, w.sha);
      ackedFloor = Math.max(ackedFloor, acked);

      const outbox = Outbox.open(dir, { maxBytes: 64 * 1024 * 1024, now: Date.now });
      try {
        expect(outbox.ackedSeq).toBeGreaterThanOrEqual(ackedFloor);
        expect(outbox.lastSeq).toBeGreaterThanOrEqual(Math.max(lastSeqSeen, ...written.map((w) => w.seq)));
        lastSeqSeen = outbox.lastSeq;
        for (const [seq, expected] of everWritten) {
          if (seq <= outbox.ackedSeq) continue;
          const item = outbox.read(seq);
          expect(item, `seq ${seq} lost after round ${round}`).not.toBeNull();
          if (expected && item?.kind === 'blob') {
            expect(createHash('sha256').update(item.blob).digest('hex')).toBe(expected);
            expect(item.sha256).toBe(expected);
          } else {
            expect(item?.kind).toBe(expected ? 'blob' : 'batch');
          }
        }
        // Numbers stay strictly increasing across crashes: the next one is fresh.
        const seqs = outbox.seqsAfter(0);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      } finally {
        outbox.close();
      }
    }
    expect(everWritten.size).toBeGreaterThan(50);
  }, 120_000);
});
