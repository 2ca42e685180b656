import {
  ERROR_CATALOG,
  isErrorCode,
  MAX_STRING_LENGTHS,
  SeatwatchError,
  sanitizeText,
} from '@seatwatch/shared';
import { describe, expect, it } from 'vitest';

describe('sanitizeText', () => {
  it('removes NUL and replaces lone surrogates', () => {
    expect(sanitizeText('a\u0000b\u0000', 10)).toBe('ab');
    expect(sanitizeText('x\uD800y', 10)).toBe('x\uFFFDy');
  });

  it('truncates at a code point boundary and marks the cut', () => {
    const emoji = '😀'.repeat(10); // 20 UTF-16 units, 10 code points
    expect(sanitizeText(emoji, 10)).toBe(emoji);
    const cut = sanitizeText(emoji, 4);
    expect(Array.from(cut)).toEqual(['😀', '😀', '😀', '…']);
    expect(sanitizeText('a'.repeat(MAX_STRING_LENGTHS.title + 5), MAX_STRING_LENGTHS.title)).toHaveLength(
      MAX_STRING_LENGTHS.title,
    );
  });

  it('leaves ordinary text (and markup, which renderers escape) alone', () => {
    expect(sanitizeText('<b>Ticket</b> – 客户', 100)).toBe('<b>Ticket</b> – 客户');
  });
});

describe('error catalog', () => {
  it('maps every code to an HTTP status and a close code', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
      expect(isErrorCode(code)).toBe(true);
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(
        entry.close === 1011 || entry.close === 1013 || (entry.close >= 4400 && entry.close < 4500),
      ).toBe(true);
      const error = new SeatwatchError(code as keyof typeof ERROR_CATALOG, 'detail');
      expect(error.toBody()).toEqual({ error: code, message: `${entry.message}: detail` });
    }
    expect(isErrorCode('nope')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
  });
});
