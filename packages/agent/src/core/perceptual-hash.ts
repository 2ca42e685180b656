/**
 * A difference hash (dHash) of a screen: the frame is reduced to a
 * (W+1)×H greyscale thumbnail and each bit says whether a pixel is brighter
 * than its right neighbour. Re-encoding noise, a blinking cursor or a clock
 * leave it alone; a window that opens or text that scrolls changes many bits.
 * 16×16 = 256 bits: finer than the classic 8×8 so a new paragraph of text
 * still counts as a change.
 */
export const HASH_WIDTH = 16;
export const HASH_HEIGHT = 16;
/** Two frames whose hashes differ in at most this many bits are "unchanged". */
export const UNCHANGED_MAX_DISTANCE = 2;

/** `grey` is (HASH_WIDTH + 1) × HASH_HEIGHT bytes, row-major. Returns a hex string. */
export function differenceHash(grey: Uint8Array): string {
  const rowBytes = HASH_WIDTH + 1;
  if (grey.length !== rowBytes * HASH_HEIGHT) {
    throw new RangeError(`dHash needs ${rowBytes}×${HASH_HEIGHT} greyscale pixels, got ${grey.length}`);
  }
  const bits = new Uint8Array((HASH_WIDTH * HASH_HEIGHT) / 8);
  let bit = 0;
  for (let y = 0; y < HASH_HEIGHT; y++) {
    for (let x = 0; x < HASH_WIDTH; x++) {
      if (grey[y * rowBytes + x]! > grey[y * rowBytes + x + 1]!) bits[bit >> 3]! |= 1 << (7 - (bit & 7));
      bit++;
    }
  }
  return Array.from(bits, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function hammingDistance(a: string, b: string): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let distance = 0;
  for (let i = 0; i < a.length; i += 2) {
    let x = Number.parseInt(a.slice(i, i + 2), 16) ^ Number.parseInt(b.slice(i, i + 2), 16);
    while (x) {
      distance += x & 1;
      x >>= 1;
    }
  }
  return distance;
}

export function isUnchanged(previous: string | null, current: string): boolean {
  return previous !== null && hammingDistance(previous, current) <= UNCHANGED_MAX_DISTANCE;
}

/** A frame whose thumbnail is all but black is not a real screenshot (locked screen, blocked capture). */
export function looksBlank(grey: Uint8Array): boolean {
  let max = 0;
  for (const value of grey) if (value > max) max = value;
  return max < 8;
}
