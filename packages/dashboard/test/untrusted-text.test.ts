import { controlMarker, revealControls, revealParts } from '@seatwatch/shared/dashboard-api';
import { describe, expect, it } from 'vitest';

describe('revealControls', () => {
  it('shows a right-to-left override as a marker, so a reversed name cannot pass for another', () => {
    const shown = revealControls('\u202Eexe.tset');
    expect(shown).toBe('⟨U+202E⟩exe.tset');
    expect(shown).not.toContain('\u202E');
  });

  it('reveals every bidi control, mark and isolate, and C0, DEL and C1 controls', () => {
    const hidden = [
      '\u0000',
      '\u0007',
      '\t',
      '\n',
      '\u001B',
      '\u007F',
      '\u0085',
      '\u009F',
      '\u061C',
      '\u200E',
      '\u200F',
      '\u202A',
      '\u202B',
      '\u202C',
      '\u202D',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
      '\u2028',
      '\u2029',
      '\uFEFF',
    ];
    for (const char of hidden) {
      expect(revealControls(`a${char}b`)).toBe(`a${controlMarker(char)}b`);
    }
    expect(controlMarker('\u0000')).toBe('⟨U+0000⟩');
    expect(controlMarker('\u2066')).toBe('⟨U+2066⟩');
  });

  it('leaves ordinary text alone: Chinese, Arabic letters, emoji with joiners, spaces', () => {
    for (const text of ['李伟 — 工作簿1.xlsx', 'مرحبا', '👩‍💻 Code', 'a  b', '']) {
      expect(revealControls(text)).toBe(text);
    }
  });

  it('makes a lone surrogate U+FFFD as storage does, and keeps pairs whole around markers', () => {
    expect(revealControls('x\uD800y')).toBe('x\uFFFDy');
    expect(revealControls('😀\u202E😀')).toBe('😀⟨U+202E⟩😀');
  });
});

describe('revealParts', () => {
  it('splits plain runs from revealed characters in logical order', () => {
    expect(revealParts('ab\u202Ecd\u0007')).toEqual([
      { text: 'ab' },
      { hidden: '\u202E', marker: '⟨U+202E⟩' },
      { text: 'cd' },
      { hidden: '\u0007', marker: '⟨U+0007⟩' },
    ]);
    expect(revealParts('')).toEqual([]);
  });

  it('handles a 10 kB title in one pass', () => {
    const long = `${'x'.repeat(5000)}\u202E${'y'.repeat(5000)}`;
    expect(revealControls(long)).toHaveLength(10_000 + '⟨U+202E⟩'.length);
  });
});
