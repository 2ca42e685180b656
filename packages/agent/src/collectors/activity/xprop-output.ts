/**
 * Parsing of `xprop` output lines such as
 *   _NET_ACTIVE_WINDOW(WINDOW): window id # 0x40000c
 *   _NET_WM_NAME(UTF8_STRING) = "caf\303\251 — notes"
 *   WM_CLASS(STRING) = "xterm", "XTerm"
 *   _NET_WM_NAME:  not found.
 * xprop escapes quotes, backslashes, control characters and (outside a
 * UTF-8 locale) non-ASCII bytes as octal; we decode all of them.
 */
export interface XpropLine {
  readonly property: string;
  /** Quoted strings of the value, decoded; empty when the property is absent. */
  readonly strings: readonly string[];
  /** A window id for WINDOW-typed properties (0 means none). */
  readonly windowId: number | null;
  readonly missing: boolean;
}

const LINE = /^([A-Za-z0-9_]+)(?:\(([A-Za-z0-9_]+)\))?\s*(?:=|:)\s*(.*)$/;

export function parseXpropLine(line: string): XpropLine | null {
  const match = LINE.exec(line.trim());
  if (!match) return null;
  const [, property, , rest] = match as unknown as [string, string, string | undefined, string];
  if (/^not found\.?$/.test(rest.trim()) || /no such atom/i.test(rest)) {
    return { property, strings: [], windowId: null, missing: true };
  }
  const id = /window id # (0x[0-9a-fA-F]+)/.exec(rest);
  return {
    property,
    strings: quotedStrings(rest).map(decodeEscapes),
    windowId: id ? Number.parseInt(id[1]!, 16) : null,
    missing: false,
  };
}

function quotedStrings(value: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(value); m !== null; m = re.exec(value)) out.push(m[1]!);
  return out;
}

const decoder = new TextDecoder('utf-8');

function decodeEscapes(raw: string): string {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch !== '\\' || i + 1 >= raw.length) {
      // Characters xprop printed as they are (UTF-8 locale): keep their UTF-8 bytes.
      const cp = raw.codePointAt(i)!;
      const text = String.fromCodePoint(cp);
      bytes.push(...encoder.encode(text));
      i += text.length - 1;
      continue;
    }
    const next = raw[i + 1]!;
    const octal = /^[0-7]{3}/.exec(raw.slice(i + 1, i + 4));
    if (octal) {
      bytes.push(Number.parseInt(octal[0], 8));
      i += 3;
    } else {
      const simple: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, '\\': 92 };
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return decoder.decode(Uint8Array.from(bytes));
}
