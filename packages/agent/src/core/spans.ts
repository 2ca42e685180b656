/**
 * Heartbeat merging of foreground-window samples into activity spans, in the
 * manner of ActivityWatch: a span grows while app and title stay the same and
 * samples keep arriving within `pulseMs` of its end. A gap longer than that
 * (the agent was suspended, or no window had focus) closes the span, so a
 * span never claims time nobody observed.
 */
export interface WindowSample {
  readonly time: number;
  readonly app: string;
  readonly title: string;
}

export interface Span {
  readonly time: number;
  readonly end: number;
  readonly app: string;
  readonly title: string;
}

export interface MergeResult {
  /** The span still growing after this sample (null when nothing has focus). */
  readonly open: Span | null;
  /** A span this sample ended, if any: it is final and will not grow again. */
  readonly closed: Span | null;
}

export function mergeSample(
  open: Span | null,
  sample: WindowSample | null,
  now: number,
  pulseMs: number,
): MergeResult {
  if (open && now - open.end > pulseMs) {
    // The gap is longer than a heartbeat: whatever comes next starts a new span.
    return sample ? { open: startSpan(sample), closed: open } : { open: null, closed: open };
  }
  if (!sample) return { open: null, closed: open };
  if (open && open.app === sample.app && open.title === sample.title) {
    return { open: { ...open, end: Math.max(open.end, sample.time) }, closed: null };
  }
  if (open) {
    // The new window took focus at sample.time: the old span ends there.
    return { open: startSpan(sample), closed: { ...open, end: Math.max(open.end, sample.time) } };
  }
  return { open: startSpan(sample), closed: null };
}

function startSpan(sample: WindowSample): Span {
  return { time: sample.time, end: sample.time, app: sample.app, title: sample.title };
}
