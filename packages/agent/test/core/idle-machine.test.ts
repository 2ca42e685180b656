import { describe, expect, it } from 'vitest';
import { nextPresence, presenceOf } from '../../src/core/idle-machine.js';

const T = 180_000;

describe('presence state machine', () => {
  it('uses the policy threshold', () => {
    expect(presenceOf({ idleMs: T - 1, locked: null }, T)).toBe('active');
    expect(presenceOf({ idleMs: T, locked: null }, T)).toBe('idle');
    expect(presenceOf({ idleMs: 10, locked: true }, T)).toBe('locked');
    expect(presenceOf({ idleMs: T * 2, locked: false }, T)).toBe('idle');
  });

  it('reports only changes, dated from the last input', () => {
    const now = 1_000_000;
    expect(nextPresence('active', { idleMs: 5000, locked: null }, now, T, 0)).toBeNull();
    expect(nextPresence('active', { idleMs: 200_000, locked: null }, now, T, 0)).toEqual({
      state: 'idle',
      time: now - 200_000,
      idleMs: 200_000,
    });
    expect(nextPresence('idle', { idleMs: 300, locked: null }, now, T, 0)).toEqual({
      state: 'active',
      time: now - 300,
      idleMs: 300,
    });
  });

  it('dates the first state and lock changes from now, and never goes back in time', () => {
    const now = 500_000;
    expect(nextPresence(null, { idleMs: 400_000, locked: null }, now, T, 0)?.time).toBe(now);
    expect(nextPresence('active', { idleMs: 1000, locked: true }, now, T, 0)).toEqual({
      state: 'locked',
      time: now,
      idleMs: 1000,
    });
    expect(nextPresence('locked', { idleMs: 1000, locked: false }, now, T, 0)?.time).toBe(now);
    expect(nextPresence('active', { idleMs: 300_000, locked: null }, now, T, 450_000)?.time).toBe(450_000);
  });

  it('follows a new threshold immediately (policy without restart)', () => {
    expect(nextPresence('active', { idleMs: 30_000, locked: null }, 100_000, 20_000, 0)?.state).toBe('idle');
  });
});
