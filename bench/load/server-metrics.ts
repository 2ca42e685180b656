/**
 * The server's own view, from its Prometheus endpoint: scraped when the
 * hold starts and when it ends, and subtracted, so the numbers cover the
 * hold only. Percentiles from Prometheus buckets are bucket bounds (coarse:
 * 50, 100, 250, 500 ms...), which is why the client-side histogram is the
 * headline and this the cross-check.
 */
export interface Scrape {
  at: number;
  /** name{labels} -> value, as in the text format. */
  samples: Map<string, number>;
}

export async function scrapeMetrics(baseUrl: string): Promise<Scrape | null> {
  try {
    const response = await fetch(`${baseUrl}/metrics`);
    if (!response.ok) return null;
    const samples = new Map<string, number>();
    for (const line of (await response.text()).split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      const space = line.lastIndexOf(' ');
      samples.set(line.slice(0, space), Number(line.slice(space + 1)));
    }
    return { at: Date.now(), samples };
  } catch {
    return null;
  }
}

function delta(before: Scrape, after: Scrape, key: string): number {
  return (after.samples.get(key) ?? 0) - (before.samples.get(key) ?? 0);
}

function sumMatching(scrape: Scrape, prefix: string): number {
  let sum = 0;
  for (const [key, value] of scrape.samples) if (key.startsWith(prefix)) sum += value;
  return sum;
}

export interface HistogramDelta {
  count: number;
  meanMs: number | null;
  /** Upper bound of the bucket holding the percentile. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Share of observations at or below 250 ms. */
  within250Ms: number | null;
}

function histogramDelta(before: Scrape, after: Scrape, name: string, labels = ''): HistogramDelta {
  const buckets: Array<{ le: number; count: number }> = [];
  for (const key of after.samples.keys()) {
    if (!key.startsWith(`${name}_bucket{`)) continue;
    if (labels && !key.includes(labels)) continue;
    const le = /le="([^"]+)"/.exec(key)?.[1];
    if (!le) continue;
    buckets.push({
      le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le),
      count: delta(before, after, key),
    });
  }
  buckets.sort((a, b) => a.le - b.le);
  const suffix = labels ? `{${labels}}` : '';
  const count = delta(before, after, `${name}_count${suffix}`);
  const sum = delta(before, after, `${name}_sum${suffix}`);
  const at = (p: number) => {
    if (count === 0) return null;
    const bucket = buckets.find((b) => b.count >= (p / 100) * count);
    return bucket ? bucket.le * 1000 : null;
  };
  const within = buckets.find((b) => b.le >= 0.25);
  return {
    count,
    meanMs: count === 0 ? null : Math.round((sum / count) * 1e5) / 100,
    p50Ms: at(50),
    p99Ms: at(99),
    within250Ms: count === 0 || !within ? null : Math.round((within.count / count) * 1e4) / 1e4,
  };
}

export interface ServerView {
  seconds: number;
  connectedAgents: number | null;
  framesPerSecond: number;
  eventsPerSecond: number;
  ackLatency: HistogramDelta;
  commit: HistogramDelta & { commitsPerSecond: number; meanFramesPerCommit: number | null };
  verificationFailures: number;
  resends: number;
}

export function serverView(before: Scrape, after: Scrape): ServerView {
  const seconds = (after.at - before.at) / 1000;
  const frames =
    sumMatching(after, 'seatwatch_frames_stored_total') -
    sumMatching(before, 'seatwatch_frames_stored_total');
  const commit = histogramDelta(before, after, 'seatwatch_db_write_seconds', 'outcome="ok"');
  const commitFrames = delta(before, after, 'seatwatch_commit_frames_sum');
  const commitCount = delta(before, after, 'seatwatch_commit_frames_count');
  return {
    seconds,
    connectedAgents: after.samples.get('seatwatch_connected_agents') ?? null,
    framesPerSecond: Math.round(frames / seconds),
    eventsPerSecond: Math.round(delta(before, after, 'seatwatch_events_stored_total') / seconds),
    ackLatency: histogramDelta(before, after, 'seatwatch_ack_latency_seconds'),
    commit: {
      ...commit,
      commitsPerSecond: Math.round((commit.count / seconds) * 10) / 10,
      meanFramesPerCommit: commitCount === 0 ? null : Math.round((commitFrames / commitCount) * 10) / 10,
    },
    verificationFailures:
      sumMatching(after, 'seatwatch_verification_failures_total') -
      sumMatching(before, 'seatwatch_verification_failures_total'),
    resends: delta(before, after, 'seatwatch_frames_resent_total'),
  };
}
