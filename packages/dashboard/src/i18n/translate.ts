/**
 * Translation without a framework: a typed catalogue (tsc rejects a key that
 * is missing in any language), `{name}` placeholders, and Intl for dates,
 * times and numbers in the viewer's own time zone and locale.
 */
import { en } from './catalogue.en.js';
import { zhCN } from './catalogue.zh-CN.js';

export type MessageKey = keyof typeof en;
export type Catalogue = Readonly<Record<MessageKey, string>>;
export type Locale = 'en' | 'zh-CN';

export const LOCALES: readonly Locale[] = ['en', 'zh-CN'];
export const CATALOGUES: Readonly<Record<Locale, Catalogue>> = { en, 'zh-CN': zhCN };

export type Params = Readonly<Record<string, string | number>>;

export function translate(locale: Locale, key: MessageKey, params?: Params): string {
  const template = CATALOGUES[locale][key];
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

export type MessagePart =
  | { readonly text: string }
  | { readonly param: string; readonly value: string | number };

/**
 * A message cut at its placeholders, so a caller can render each parameter
 * its own way (a seat's string through UntrustedText); a placeholder without
 * a parameter stays visible as text.
 */
export function messageParts(locale: Locale, key: MessageKey, params: Params): MessagePart[] {
  const parts: MessagePart[] = [];
  for (const [index, piece] of CATALOGUES[locale][key].split(/\{(\w+)\}/).entries()) {
    // split() with a group puts the placeholder names at the odd positions.
    if (index % 2 === 1 && Object.hasOwn(params, piece)) parts.push({ param: piece, value: params[piece]! });
    else if (index % 2 === 1) parts.push({ text: `{${piece}}` });
    else if (piece !== '') parts.push({ text: piece });
  }
  return parts;
}

/** The first of the browser's languages that we have, else English. */
export function pickLocale(preferred: readonly string[]): Locale {
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

/** "3 min", "2 h 5 min", "4 d 1 h": time in state, coarse on purpose. */
export function formatDuration(locale: Locale, ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 1) return translate(locale, 'duration.lessThanMinute');
  if (minutes < 60) return translate(locale, 'duration.minutes', { m: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return translate(locale, 'duration.hoursMinutes', { h: hours, m: minutes % 60 });
  return translate(locale, 'duration.daysHours', { d: Math.floor(hours / 24), h: hours % 24 });
}

export function formatTime(locale: Locale, ms: number, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, { timeStyle: 'medium', ...(timeZone ? { timeZone } : {}) }).format(
    ms,
  );
}

export function formatDateTime(locale: Locale, ms: number, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: 'medium',
    ...(timeZone ? { timeZone } : {}),
  }).format(ms);
}

/** Midnight-to-midnight of the viewer's today, as epoch ms. */
export function todayRange(now: number): { from: number; to: number } {
  const start = new Date(now);
  start.setHours(0, 0, 0, 0);
  const end = new Date(start);
  end.setDate(end.getDate() + 1);
  return { from: start.getTime(), to: end.getTime() };
}
