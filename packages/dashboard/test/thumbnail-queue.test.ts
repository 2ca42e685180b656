import { describe, expect, it } from 'vitest';
import { type Release, ThumbnailQueue } from '../src/board/thumbnail-queue.js';

/** A manual clock: timers run only when the test advances time. */
function manualClock() {
  let now = 0;
  const timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => timers.push({ at: now + ms, fn }),
    advance(ms: number) {
      now += ms;
      for (const timer of timers.splice(0).sort((a, b) => a.at - b.at)) {
        if (timer.at <= now) timer.fn();
        else timers.push(timer);
      }
    },
  };
}

describe('ThumbnailQueue', () => {
  it('runs at most `concurrency` loads and starts them no faster than the interval', () => {
    const clock = manualClock();
    const queue = new ThumbnailQueue({ concurrency: 2, minIntervalMs: 100, ...clock });
    const started: string[] = [];
    const releases = new Map<string, Release>();
    for (const key of ['a', 'b', 'c', 'd']) {
      queue.request(key, (release) => {
        started.push(key);
        releases.set(key, release);
      });
    }
    expect(started).toEqual(['a']);
    clock.advance(100);
    expect(started).toEqual(['a', 'b']);
    clock.advance(500);
    expect(started).toEqual(['a', 'b']);
    expect(queue.active).toBe(2);
    releases.get('a')!();
    expect(started).toEqual(['a', 'b', 'c']);
    releases.get('a')!();
    expect(queue.active).toBe(2);
    releases.get('b')!();
    expect(started).toEqual(['a', 'b', 'c']);
    clock.advance(100);
    expect(started).toEqual(['a', 'b', 'c', 'd']);
  });

  it('forgets a request withdrawn before its turn', () => {
    const clock = manualClock();
    const queue = new ThumbnailQueue({ concurrency: 1, minIntervalMs: 0, ...clock });
    const started: string[] = [];
    let releaseFirst: Release = () => {};
    queue.request('first', (release) => {
      started.push('first');
      releaseFirst = release;
    });
    const withdraw = queue.request('gone', () => started.push('gone'));
    queue.request('kept', () => started.push('kept'));
    withdraw();
    expect(queue.pending).toBe(1);
    releaseFirst();
    expect(started).toEqual(['first', 'kept']);
  });
});
