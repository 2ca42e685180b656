/**
 * The documented rule for untrusted text from a seat (window titles, device
 * names, hostnames...), applied before storage:
 * 1. NUL (U+0000) is removed: PostgreSQL text cannot hold it.
 * 2. A lone UTF-16 surrogate becomes U+FFFD: it has no UTF-8 encoding.
 * 3. Longer than `maxCodePoints`: cut at a code point boundary, and the last
 *    kept code point becomes "…" so a reader can see it was cut.
 * The result is plain text; renderers must still escape it.
 */
export function sanitizeText(input: string, maxCodePoints: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what we strip
  let text = input.includes('\u0000') ? input.replace(/\u0000/g, '') : input;
  if (!text.isWellFormed()) text = text.toWellFormed();
  if (text.length <= maxCodePoints) return text;
  const points = Array.from(text);
  if (points.length <= maxCodePoints) return text;
  return `${points.slice(0, Math.max(0, maxCodePoints - 1)).join('')}…`;
}
