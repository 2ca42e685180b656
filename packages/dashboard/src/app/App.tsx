import { QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { AdminPage } from '../admin/AdminPage.js';
import { AlertsPage } from '../alerts/AlertsPage.js';
import { AccountPage } from '../auth/AccountPage.js';
import { LoginPage } from '../auth/LoginPage.js';
import { SetupPage } from '../auth/SetupPage.js';
import { useSession } from '../auth/use-session.js';
import { BoardPage } from '../board/BoardPage.js';
import { I18nProvider, useI18n } from '../i18n/i18n-context.js';
import { AuditPage } from '../investigation/AuditPage.js';
import { CasePage } from '../investigation/CasePage.js';
import { CasesPage } from '../investigation/CasesPage.js';
import { SelfViewPage } from '../investigation/SelfViewPage.js';
import { TimelinePage } from '../investigation/TimelinePage.js';
import { ReportsPage } from '../reports/ReportsPage.js';
import { SeatPage } from '../seat/SeatPage.js';
import { errorText } from './errors.js';
import { Layout } from './Layout.js';
import { menusFor } from './menus.js';
import { createQueryClient } from './query-client.js';

function Home() {
  const { session } = useSession();
  const menus = menusFor(session?.user?.grants ?? []);
  if (menus.board) return <BoardPage />;
  if (menus.alerts) return <Navigate to="/alerts" replace />;
  if (menus.investigation) return <Navigate to="/investigation/timeline" replace />;
  if (menus.audit) return <Navigate to="/audit" replace />;
  return <Navigate to="/account" replace />;
}

function SignedIn() {
  return (
    <Layout>
      <Routes>
        <Route path="/" element={<Home />} />
        <Route path="/alerts" element={<AlertsPage />} />
        <Route path="/seats/:id" element={<SeatPage />} />
        <Route path="/admin/*" element={<AdminPage />} />
        <Route path="/investigation/timeline" element={<TimelinePage />} />
        <Route path="/investigation/cases" element={<CasesPage />} />
        <Route path="/investigation/cases/:id" element={<CasePage />} />
        <Route path="/reports" element={<ReportsPage />} />
        <Route path="/audit" element={<AuditPage />} />
        <Route path="/account" element={<AccountPage />} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Routes>
    </Layout>
  );
}

function Gate() {
  const i18n = useI18n();
  const { session, error } = useSession();
  if (!session) {
    return <p className="centered muted">{error ? errorText(i18n, error) : i18n.t('common.loading')}</p>;
  }
  return (
    <Routes>
      <Route path="/setup" element={<SetupPage />} />
      <Route path="/login" element={<LoginPage />} />
      {/* The operator self-view: no dashboard account, its own one-time token (issue #7). */}
      <Route path="/self-view" element={<SelfViewPage />} />
      <Route path="*" element={session.stage === 'full' ? <SignedIn /> : <Navigate to="/login" replace />} />
    </Routes>
  );
}

export function App() {
  const [queryClient] = useState(createQueryClient);
  return (
    <I18nProvider>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <Gate />
        </BrowserRouter>
      </QueryClientProvider>
    </I18nProvider>
  );
}
