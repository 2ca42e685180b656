/**
 * The policy's privacy list: case-insensitive substrings of the foreground
 * app or window title during which screenshots pause (payment pages under
 * PCI DSS, for example). Returns the entry that matched, so the "paused"
 * event can say why.
 */
export function matchPrivacyList(list: readonly string[], app: string, title: string): string | null {
  const haystacks = [app.toLocaleLowerCase('en-US'), title.toLocaleLowerCase('en-US')];
  for (const entry of list) {
    const needle = entry.trim().toLocaleLowerCase('en-US');
    if (needle.length > 0 && haystacks.some((h) => h.includes(needle))) return entry;
  }
  return null;
}

/** The foreground window read at one moment: a window, none in front, or not known (the read failed). */
export type ForegroundReading =
  | { readonly known: true; readonly window: { readonly app: string; readonly title: string } | null }
  | { readonly known: false; readonly reason: string };

/**
 * Whether a screenshot may be taken (before it, `after` absent) or kept
 * (after it). The window is read right before capturing and again right
 * after (issue #12: deciding on the last activity sample, up to a sampling
 * interval old, let a just-focused payment window through). An image is kept
 * only when neither reading shows a privacy-listed window; with a privacy
 * list set, a reading that failed counts as one that might have.
 *
 * Returns null to capture/keep, or why not (the "paused" event's reason).
 */
export function privacyPause(
  privacyList: readonly string[],
  before: ForegroundReading,
  after?: ForegroundReading,
): string | null {
  const listed = privacyList.some((entry) => entry.trim().length > 0);
  const unknown = (reading: ForegroundReading) => listed && !reading.known;
  const match = (reading: ForegroundReading) =>
    reading.known && reading.window
      ? matchPrivacyList(privacyList, reading.window.app, reading.window.title)
      : null;
  const reason = (reading: ForegroundReading) => (reading.known ? '' : reading.reason);

  if (unknown(before))
    return `the foreground window could not be read (${reason(before)}), so the privacy list cannot be checked`;
  const first = match(before);
  if (first !== null) return `the foreground window matches the privacy list entry "${first}"`;
  if (after === undefined) return null;
  if (unknown(after))
    return `the foreground window could not be read after capturing (${reason(after)}); the image was dropped`;
  const second = match(after);
  if (second !== null)
    return `a window matching the privacy list entry "${second}" came to the front during the capture; the image was dropped`;
  return null;
}
