import { Navigate, NavLink, Route, Routes } from 'react-router';
import { useI18n } from '../i18n/i18n-context.js';
import { DashboardAccessPage } from './DashboardAccessPage.js';
import { ProjectAdminPage } from './project/ProjectAdminPage.js';
import { UsersPage } from './UsersPage.js';

export function AdminPage() {
  const { t } = useI18n();
  return (
    <section className="admin">
      <h1>{t('admin.title')}</h1>
      <nav className="tabs" aria-label={t('admin.title')}>
        <NavLink className="tab" to="/admin/projects">
          {t('admin.projects')}
        </NavLink>
        <NavLink className="tab" to="/admin/users">
          {t('admin.users')}
        </NavLink>
        <NavLink className="tab" to="/admin/access">
          {t('admin.access')}
        </NavLink>
      </nav>
      <Routes>
        <Route index element={<Navigate to="projects" replace />} />
        <Route path="projects" element={<ProjectAdminPage />} />
        <Route path="users" element={<UsersPage />} />
        <Route path="access" element={<DashboardAccessPage />} />
      </Routes>
    </section>
  );
}
