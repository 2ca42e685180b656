/** When to try a failed delivery again: passed in, so tests and operators choose the schedule. */
export type Backoff = (attempt: number) => number;

/**
 * Exponential with jitter: base × factor^(attempt-1), capped, then moved by
 * up to ±jitter so that many failed deliveries do not retry in one burst.
 */
export function exponentialBackoff(options: {
  baseMs: number;
  maxMs: number;
  factor?: number;
  jitter?: number;
  random?: () => number;
}): Backoff {
  const { baseMs, maxMs, factor = 2, jitter = 0.2, random = Math.random } = options;
  return (attempt) => {
    const raw = Math.min(maxMs, baseMs * factor ** Math.max(0, attempt - 1));
    return Math.max(0, Math.round(raw * (1 + jitter * (2 * random() - 1))));
  };
}

/** 10 s, 20 s, 40 s … up to 1 h; eight attempts span about two hours. */
export const DEFAULT_WEBHOOK_BACKOFF = exponentialBackoff({ baseMs: 10_000, maxMs: 3_600_000 });
export const DEFAULT_WEBHOOK_MAX_ATTEMPTS = 8;
