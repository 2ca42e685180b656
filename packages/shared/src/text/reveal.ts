/**
 * How a renderer shows untrusted text from a seat (application names, window
 * titles, host names, OS users, device names...). Storage already applied
 * `sanitizeText`; this is the display half of the same rule:
 * - control characters (C0, DEL, C1) and the invisible characters that
 *   reorder or break text (bidi embeddings, overrides, isolates and marks,
 *   line and paragraph separators, the BOM) become a visible marker such as
 *   "⟨U+202E⟩", so `"\u202Eexe.tset"` cannot pass for "test.exe";
 * - each plain run goes through `sanitizeText` (a lone surrogate becomes
 *   U+FFFD), so this works on text that never went through storage too;
 *   NUL is revealed like any control character rather than dropped unseen.
 * The renderer must still isolate the result (`<bdi>`, `unicode-bidi:
 * isolate`) so right-to-left text cannot reorder what stands beside it.
 */
import { sanitizeText } from './sanitize.js';

/** One piece of displayed text: plain text, or the code point of a character shown as a marker. */
export type RevealedPart = { readonly text: string } | { readonly hidden: string; readonly marker: string };

const HIDDEN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we reveal
  /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029\uFEFF]/g;

/** "⟨U+202E⟩" for U+202E RIGHT-TO-LEFT OVERRIDE. */
export function controlMarker(char: string): string {
  const hex = char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return `⟨U+${hex}⟩`;
}

/** The text split into plain runs and revealed characters, in logical order. */
export function revealParts(input: string): RevealedPart[] {
  const parts: RevealedPart[] = [];
  // Runs end only at BMP characters, never inside a surrogate pair.
  const plain = (from: number, to: number) => {
    if (to > from) parts.push({ text: sanitizeText(input.slice(from, to), Number.MAX_SAFE_INTEGER) });
  };
  let last = 0;
  for (const match of input.matchAll(HIDDEN)) {
    plain(last, match.index);
    parts.push({ hidden: match[0], marker: controlMarker(match[0]) });
    last = match.index + match[0].length;
  }
  plain(last, input.length);
  return parts;
}

/** The text as one string with every hidden character replaced by its marker (for `title` and search). */
export function revealControls(input: string): string {
  return revealParts(input)
    .map((part) => ('text' in part ? part.text : part.marker))
    .join('');
}
