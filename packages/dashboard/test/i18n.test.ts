import { ANOMALY_CODES, ANOMALY_MESSAGES, ANOMALY_RULES } from '@seatwatch/shared/dashboard-api';
import { describe, expect, it } from 'vitest';
import { en } from '../src/i18n/catalogue.en.js';
import { zhCN } from '../src/i18n/catalogue.zh-CN.js';
import { formatDuration, messageParts, pickLocale, todayRange, translate } from '../src/i18n/translate.js';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('catalogues', () => {
  it('Simplified Chinese has exactly the English keys, with the same placeholders', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of Object.entries(en)) {
      expect({ key, names: placeholders(zhCN[key as keyof typeof en]) }).toEqual({
        key,
        names: placeholders(text),
      });
    }
  });

  it('has no empty message', () => {
    for (const catalogue of [en, zhCN]) {
      for (const [key, text] of Object.entries(catalogue))
        expect({ key, empty: text.trim() === '' }).toEqual({ key, empty: false });
    }
  });
});

/*
 * The anomaly codes and their parameters are the contract's ANOMALY_MESSAGES;
 * the server's test (packages/server/test/anomalies/rules/anomaly-summary.test.ts)
 * holds every rule of its registry to those codes, and this one holds the
 * catalogues to them, so no rule's alert reaches a reader untranslated.
 */
describe('anomaly messages', () => {
  it('every rule and every alert code has a message in both languages, with exactly its parameters', () => {
    const missing: string[] = [];
    for (const [name, catalogue] of [
      ['en', en],
      ['zh-CN', zhCN],
    ] as const) {
      const has = (key: string) => Object.hasOwn(catalogue, key);
      for (const rule of ANOMALY_RULES) if (!has(`rule.${rule}`)) missing.push(`${name}: rule.${rule}`);
      for (const code of ANOMALY_CODES) {
        const key = `alert.${code}`;
        if (!has(key)) missing.push(`${name}: ${key}`);
        else
          expect({ key, name, params: placeholders(catalogue[key as keyof typeof en]) }).toEqual({
            key,
            name,
            params: [...ANOMALY_MESSAGES[code]].sort(),
          });
      }
    }
    expect(missing).toEqual([]);
  });

  it('has no message for a code the contract does not know', () => {
    const codes = new Set<string>(ANOMALY_CODES);
    const stale = Object.keys(en).filter((key) => key.startsWith('alert.') && !codes.has(key.slice(6)));
    expect(stale).toEqual([]);
  });

  it('cuts a message at its parameters, in the viewer’s language', () => {
    expect(messageParts('zh-CN', 'alert.usb_storage', { device: 'SanDisk {x}' })).toEqual([
      { text: '接入了大容量存储设备：' },
      { param: 'device', value: 'SanDisk {x}' },
    ]);
    expect(messageParts('en', 'alert.tamper.sequence_gap', { from: 6 })).toEqual([
      { text: 'Frames ' },
      { param: 'from', value: 6 },
      { text: '–' },
      { text: '{to}' },
      { text: ' missing without notice' },
    ]);
  });
});

describe('translate', () => {
  it('fills placeholders and leaves unknown ones visible', () => {
    expect(translate('en', 'board.count', { shown: 3, total: 10 })).toBe('3 of 10 seats');
    expect(translate('zh-CN', 'board.count', { shown: 3, total: 10 })).toBe('显示 3 / 共 10 个座席');
    expect(translate('en', 'board.count', { shown: 3 })).toBe('3 of {total} seats');
  });

  it('does not interpret placeholder values', () => {
    expect(translate('en', 'seat.title', { name: '{shown} <b>$&' })).toBe('Seat {shown} <b>$&');
  });

  it('picks the first supported browser language', () => {
    expect(pickLocale(['fr-FR', 'zh-TW', 'en'])).toBe('zh-CN');
    expect(pickLocale(['en-GB'])).toBe('en');
    expect(pickLocale(['de'])).toBe('en');
  });

  it('formats durations coarsely', () => {
    expect(formatDuration('en', 30_000)).toBe('<1 min');
    expect(formatDuration('en', 5 * 60_000)).toBe('5 min');
    expect(formatDuration('en', 125 * 60_000)).toBe('2 h 5 min');
    expect(formatDuration('zh-CN', 26 * 3_600_000)).toBe('1 天 2 小时');
  });

  it('today is the local midnight-to-midnight around now', () => {
    const now = Date.now();
    const { from, to } = todayRange(now);
    expect(from).toBeLessThanOrEqual(now);
    expect(to).toBeGreaterThan(now);
    expect(new Date(from).getHours()).toBe(0);
    expect(new Date(to).getHours()).toBe(0);
  });
});
