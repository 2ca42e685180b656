/**
 * The live stream's reaction to the server ending it (issue #13): a dropped
 * connection is left to the browser's own retry, but a refusal the browser
 * will not retry (the session ended) is told to the pages, once, and a later
 * subscriber opens a fresh stream. Driven through a fake EventSource.
 */
import { describe, expect, it } from 'vitest';
import { type LiveSource, LiveStream } from '../src/live/live-stream.js';

class FakeSource implements LiveSource {
  readyState = 0;
  closed = false;
  private readonly listeners = new Map<string, Array<(event: Event) => void>>();
  addEventListener(type: string, listener: (event: Event) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
  emit(type: string, readyState: number): void {
    this.readyState = readyState;
    for (const listener of this.listeners.get(type) ?? []) listener(new Event(type));
  }
}

function streamWithFakes() {
  const sources: FakeSource[] = [];
  const stream = new LiveStream(() => {
    const source = new FakeSource();
    sources.push(source);
    return source;
  });
  return { stream, sources };
}

describe('live stream', () => {
  it('a dropped connection is the browser’s to retry: the pages are not told the session ended', () => {
    const { stream, sources } = streamWithFakes();
    let ended = 0;
    stream.subscribe({ ended: () => ended++ });
    sources[0]!.emit('open', 1);
    sources[0]!.emit('error', 0);
    expect(ended).toBe(0);
    expect(stream.status).toBe('reconnecting');
    expect(sources).toHaveLength(1);
  });

  it('a refusal the browser will not retry tells the pages once, and the next page opens a fresh stream', () => {
    const { stream, sources } = streamWithFakes();
    let ended = 0;
    stream.subscribe({ ended: () => ended++ });
    sources[0]!.emit('open', 1);
    sources[0]!.emit('error', 2);
    expect(ended).toBe(1);
    sources[0]!.emit('error', 2);
    expect(ended).toBe(1);
    const unsubscribe = stream.subscribe({});
    expect(sources).toHaveLength(2);
    unsubscribe();
  });
});
