import { describe, expect, it } from 'vitest';
import { mergeSample, type Span } from '../../src/core/spans.js';

const PULSE = 2000;
const sample = (time: number, title: string, app = 'XTerm') => ({ time, app, title });

describe('mergeSample (heartbeat merging)', () => {
  it('grows a span while app and title stay the same', () => {
    let open: Span | null = null;
    for (const t of [1000, 2000, 3000, 4000]) {
      const r = mergeSample(open, sample(t, 'a'), t, PULSE);
      expect(r.closed).toBeNull();
      open = r.open;
    }
    expect(open).toEqual({ time: 1000, end: 4000, app: 'XTerm', title: 'a' });
  });

  it('closes the span at the moment another window takes focus', () => {
    const open: Span = { time: 1000, end: 3000, app: 'XTerm', title: 'a' };
    const r = mergeSample(open, sample(4000, 'b'), 4000, PULSE);
    expect(r.closed).toEqual({ time: 1000, end: 4000, app: 'XTerm', title: 'a' });
    expect(r.open).toEqual({ time: 4000, end: 4000, app: 'XTerm', title: 'b' });
  });

  it('treats a change of app with the same title as a new span', () => {
    const open: Span = { time: 0, end: 1000, app: 'XTerm', title: 'same' };
    const r = mergeSample(open, sample(2000, 'same', 'Firefox'), 2000, PULSE);
    expect(r.closed?.app).toBe('XTerm');
    expect(r.open?.app).toBe('Firefox');
  });

  it('does not bridge a gap longer than the pulse (suspend, missed samples)', () => {
    const open: Span = { time: 0, end: 1000, app: 'XTerm', title: 'a' };
    const r = mergeSample(open, sample(60_000, 'a'), 60_000, PULSE);
    expect(r.closed).toEqual(open);
    expect(r.open).toEqual({ time: 60_000, end: 60_000, app: 'XTerm', title: 'a' });
  });

  it('closes the span when nothing has focus', () => {
    const open: Span = { time: 0, end: 1000, app: 'XTerm', title: 'a' };
    expect(mergeSample(open, null, 2000, PULSE)).toEqual({ open: null, closed: open });
    expect(mergeSample(null, null, 2000, PULSE)).toEqual({ open: null, closed: null });
  });
});
