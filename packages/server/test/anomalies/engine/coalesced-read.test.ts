/** The rules engine's coalesced statements: what a turn asks goes together, each caller gets its own answer. */
import { describe, expect, it } from 'vitest';
import { coalesce } from '../../../src/anomalies/engine/coalesced-read.js';

/** A statement the test answers by hand: the keys of each call, and the call's settlement. */
function statement() {
  const calls: Array<{ keys: readonly number[]; answer: () => void; fail: (error: Error) => void }> = [];
  const many = (keys: readonly number[]) =>
    new Promise<readonly string[]>((resolve, reject) => {
      calls.push({ keys, answer: () => resolve(keys.map((k) => `answer ${k}`)), fail: reject });
    });
  return { calls, many };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('coalesce', () => {
  it('asks what one turn asked in one statement and answers each caller its own key', async () => {
    const { calls, many } = statement();
    const read = coalesce(many, 100);
    const answers = Promise.all([read(1), read(2), read(3)]);
    await turn();
    expect(calls.map((c) => c.keys)).toEqual([[1, 2, 3]]);
    calls[0]!.answer();
    expect(await answers).toEqual(['answer 1', 'answer 2', 'answer 3']);
  });

  it('holds what is asked while a statement is in flight and sends it together afterwards', async () => {
    const { calls, many } = statement();
    const read = coalesce(many, 100);
    const first = read(1);
    await turn();
    const later = [read(2), read(3), read(4)];
    await turn();
    expect(calls.map((c) => c.keys)).toEqual([[1]]);
    calls[0]!.answer();
    expect(await first).toBe('answer 1');
    await expect.poll(() => calls.map((c) => c.keys)).toEqual([[1], [2, 3, 4]]);
    calls[1]!.answer();
    expect(await Promise.all(later)).toEqual(['answer 2', 'answer 3', 'answer 4']);
  });

  it('splits a burst into statements of at most maxPerStatement keys, in order', async () => {
    const { calls, many } = statement();
    const read = coalesce(many, 2);
    const answers = Promise.all([1, 2, 3, 4, 5].map((k) => read(k)));
    await turn();
    calls[0]!.answer();
    await expect.poll(() => calls.length).toBe(2);
    calls[1]!.answer();
    await expect.poll(() => calls.length).toBe(3);
    calls[2]!.answer();
    expect(calls.map((c) => c.keys)).toEqual([[1, 2], [3, 4], [5]]);
    expect(await answers).toEqual(['answer 1', 'answer 2', 'answer 3', 'answer 4', 'answer 5']);
  });

  it('fails the callers of a failed statement only, and keeps answering after it', async () => {
    const { calls, many } = statement();
    const read = coalesce(many, 100);
    const failed = Promise.allSettled([read(1), read(2)]);
    await turn();
    const after = read(3);
    calls[0]!.fail(new Error('connection lost'));
    expect((await failed).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect.poll(() => calls.length).toBe(2);
    calls[1]!.answer();
    expect(await after).toBe('answer 3');
  });
});
