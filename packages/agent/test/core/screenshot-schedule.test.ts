import { describe, expect, it } from 'vitest';
import { nextCaptureDelay } from '../../src/core/screenshot-schedule.js';

describe('nextCaptureDelay', () => {
  it('stays within ±jitter of the interval', () => {
    expect(nextCaptureDelay(300_000, 0.2, () => 0)).toBe(240_000);
    expect(nextCaptureDelay(300_000, 0.2, () => 1)).toBe(360_000);
    expect(nextCaptureDelay(300_000, 0.2, () => 0.5)).toBe(300_000);
  });

  it('has no jitter at 0 and clamps silly inputs', () => {
    expect(nextCaptureDelay(60_000, 0, () => 0.9)).toBe(60_000);
    expect(nextCaptureDelay(100_000, 5, () => 0)).toBe(50_000);
    expect(nextCaptureDelay(10, 0.2, () => 0)).toBe(1000);
  });
});
