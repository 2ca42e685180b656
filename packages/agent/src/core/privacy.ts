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
