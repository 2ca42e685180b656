import { useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useState } from 'react';
import { NavLink, useNavigate } from 'react-router';
import { auth } from '../api/client.js';
import { forgetAccountData } from '../api/queries.js';
import { useSession } from '../auth/use-session.js';
import { useI18n } from '../i18n/i18n-context.js';
import { LOCALES, type Locale } from '../i18n/translate.js';
import { type LiveStatus, liveStream } from '../live/live-stream.js';
import { menusFor } from './menus.js';

export function LanguagePicker() {
  const i18n = useI18n();
  return (
    <label className="language">
      <span className="sr-only">{i18n.t('language.label')}</span>
      <select
        aria-label={i18n.t('language.label')}
        value={i18n.locale}
        onChange={(event) => i18n.setLocale(event.target.value as Locale)}
      >
        {LOCALES.map((locale) => (
          <option key={locale} value={locale}>
            {i18n.t(locale === 'en' ? 'language.en' : 'language.zhCN')}
          </option>
        ))}
      </select>
    </label>
  );
}

function LiveIndicator() {
  const { t } = useI18n();
  const [status, setStatus] = useState<LiveStatus>(liveStream.status);
  useEffect(() => liveStream.onStatus(setStatus), []);
  if (status === 'idle') return null;
  const label =
    status === 'open'
      ? t('live.open')
      : status === 'reconnecting'
        ? t('live.reconnecting')
        : t('live.connecting');
  return (
    <span className={`live live-${status}`} data-testid="live-status" data-status={status}>
      {label}
    </span>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const { session, set } = useSession();
  const navigate = useNavigate();
  const user = session?.user;
  const menus = menusFor(user?.grants ?? []);
  const queryClient = useQueryClient();
  const signOut = async () => {
    liveStream.close();
    set(await auth.logout());
    forgetAccountData(queryClient);
    await navigate('/login');
  };
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">{t('app.name')}</span>
        <nav>
          {menus.board && <NavLink to="/">{t('nav.board')}</NavLink>}
          {menus.alerts && <NavLink to="/alerts">{t('nav.alerts')}</NavLink>}
          {menus.investigation && <NavLink to="/investigation/timeline">{t('nav.timeline')}</NavLink>}
          {menus.investigation && <NavLink to="/investigation/cases">{t('nav.cases')}</NavLink>}
          {menus.reports && <NavLink to="/reports">{t('nav.reports')}</NavLink>}
          {menus.audit && <NavLink to="/audit">{t('nav.audit')}</NavLink>}
          {menus.admin && <NavLink to="/admin">{t('nav.admin')}</NavLink>}
          <NavLink to="/account">{t('nav.account')}</NavLink>
        </nav>
        <span className="spacer" />
        <LiveIndicator />
        <LanguagePicker />
        {user && <span className="who">{user.displayName || user.username}</span>}
        <button type="button" className="link" onClick={() => void signOut()}>
          {t('nav.signOut')}
        </button>
      </header>
      <main>{children}</main>
    </div>
  );
}
