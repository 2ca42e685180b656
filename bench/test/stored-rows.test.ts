import { describe, expect, it } from 'vitest';
import type { AgentOutcome } from '../load/generator-messages.js';
import { compareStored } from '../load/stored-rows.js';

const outcome = (agentId: string, lastSeq: number, blobs: number): AgentOutcome => ({
  agentId,
  lastSeq,
  ackedSeq: lastSeq,
  batches: lastSeq - blobs,
  blobs,
  eventsAcked: (lastSeq - blobs) * 10 + blobs,
  blobsAcked: blobs,
});
const row = (agentId: string, frames: number, events: number, screenshots: number, ackedSeq = frames) => ({
  agent_id: agentId,
  frames,
  events,
  max_seq: frames,
  acked_seq: ackedSeq,
  screenshots,
});

describe('compareStored', () => {
  it('is ok when every acknowledged frame is stored exactly once', () => {
    const check = compareStored(
      [outcome('a', 12, 1), outcome('b', 3, 0)],
      [row('a', 12, 111, 1), row('b', 3, 30, 0)],
      {},
    );
    expect(check.ok).toBe(true);
    expect(check.stored).toEqual(check.acknowledged);
  });

  it('finds a lost frame, a lost screenshot and an agent row left behind', () => {
    const check = compareStored(
      [outcome('a', 12, 1), outcome('b', 3, 1), outcome('c', 5, 0)],
      [row('a', 11, 101, 1, 12), row('b', 3, 21, 0), row('c', 5, 50, 0, 4)],
      {},
    );
    expect(check.ok).toBe(false);
    expect(check.agentsLosingData).toBe(2);
    expect(check.agentsAckedSeqBehind).toBe(1);
  });

  it('tells stored-but-unacknowledged (a drain that timed out) apart from loss', () => {
    const pending: AgentOutcome = { ...outcome('a', 12, 0), ackedSeq: 10, eventsAcked: 100 };
    const check = compareStored([pending], [row('a', 12, 120, 0)], {});
    expect(check.agentsLosingData).toBe(0);
    expect(check.agentsWithUnackedStored).toBe(1);
    expect(check.ok).toBe(false);
  });

  it('counts an agent the database does not know as missing', () => {
    const check = compareStored([outcome('a', 2, 0)], [], {});
    expect(check.agentsMissing).toBe(1);
    expect(check.ok).toBe(false);
  });
});
