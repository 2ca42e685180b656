import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import {
  formatDateTime,
  formatDuration,
  formatTime,
  type Locale,
  type MessageKey,
  type Params,
  pickLocale,
  translate,
} from './translate.js';

const STORAGE_KEY = 'seatwatch.locale';

export interface I18n {
  readonly locale: Locale;
  setLocale(locale: Locale): void;
  t(key: MessageKey, params?: Params): string;
  time(ms: number): string;
  dateTime(ms: number): string;
  duration(ms: number): string;
}

const I18nContext = createContext<I18n | null>(null);

function initialLocale(): Locale {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'zh-CN') return saved;
  return pickLocale(navigator.languages);
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const setLocale = useCallback((next: Locale) => {
    localStorage.setItem(STORAGE_KEY, next);
    document.documentElement.lang = next;
    setLocaleState(next);
  }, []);
  const value = useMemo<I18n>(() => {
    document.documentElement.lang = locale;
    return {
      locale,
      setLocale,
      t: (key, params) => translate(locale, key, params),
      // No time zone given: Intl uses the viewer's own.
      time: (ms) => formatTime(locale, ms),
      dateTime: (ms) => formatDateTime(locale, ms),
      duration: (ms) => formatDuration(locale, ms),
    };
  }, [locale, setLocale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}
