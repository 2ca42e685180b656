import { describe, expect, it } from 'vitest';
import {
  differenceHash,
  HASH_HEIGHT,
  HASH_WIDTH,
  hammingDistance,
  isUnchanged,
  looksBlank,
} from '../../src/core/perceptual-hash.js';

const SIZE = (HASH_WIDTH + 1) * HASH_HEIGHT;
const gradient = () => Uint8Array.from({ length: SIZE }, (_, i) => (i * 37) % 251);

describe('perceptual hash', () => {
  it('makes a 256-bit hex hash and is deterministic', () => {
    const h = differenceHash(gradient());
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(differenceHash(gradient())).toBe(h);
  });

  it('ignores uniform brightness shifts and small noise, but sees structural change', () => {
    const base = gradient();
    const brighter = base.map((v) => Math.min(255, v + 3));
    expect(isUnchanged(differenceHash(base), differenceHash(brighter))).toBe(true);
    const changed = base.slice();
    for (let i = 0; i < SIZE / 2; i++) changed[i] = 255 - changed[i]!;
    expect(hammingDistance(differenceHash(base), differenceHash(changed))).toBeGreaterThan(20);
    expect(isUnchanged(differenceHash(base), differenceHash(changed))).toBe(false);
    expect(isUnchanged(null, differenceHash(base))).toBe(false);
  });

  it('refuses a thumbnail of the wrong size', () => {
    expect(() => differenceHash(new Uint8Array(10))).toThrow(RangeError);
  });

  it('counts bits exactly', () => {
    expect(hammingDistance('00ff', '0000')).toBe(8);
    expect(hammingDistance('0f', 'f0')).toBe(8);
    expect(hammingDistance('0', '00')).toBe(Number.POSITIVE_INFINITY);
  });

  it('recognises a black frame', () => {
    expect(looksBlank(new Uint8Array(SIZE))).toBe(true);
    expect(looksBlank(gradient())).toBe(false);
  });
});
