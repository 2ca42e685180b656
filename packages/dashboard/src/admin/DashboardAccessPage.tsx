import type { DashboardAllowlistEntry, ProjectDashboardSettings } from '@seatwatch/shared/dashboard-api';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { dashboardAccess } from '../api/client.js';
import { queries, queryKeys } from '../api/queries.js';
import { errorText } from '../app/errors.js';
import { Outcome } from '../app/Outcome.js';
import { useI18n } from '../i18n/i18n-context.js';
import { AllowlistTable } from './AllowlistTable.js';

/** The dashboard's own allowlist is saved whole; the answer is the list as stored. */
function AllowlistEditor() {
  const i18n = useI18n();
  const { t } = i18n;
  const client = useQueryClient();
  const { data, error } = useQuery(queries.dashboardAllowlist());
  const save = useMutation({
    mutationFn: (entries: DashboardAllowlistEntry[]) => dashboardAccess.saveAllowlist({ entries }),
    onSuccess: (stored) => client.setQueryData(queryKeys.dashboardAllowlist, stored),
  });
  if (!data)
    return error ? (
      <p className="error">{errorText(i18n, error)}</p>
    ) : (
      <p className="muted">{t('common.loading')}</p>
    );
  const entries = data.entries;
  return (
    <div className="card">
      <h3>{t('access.allowlist')}</h3>
      <p className="muted">{t('access.allowlistHelp')}</p>
      <AllowlistTable
        rows={entries.map((entry) => ({
          key: entry.cidr,
          cidr: entry.cidr,
          note: entry.note,
          remove: () => save.mutate(entries.filter((other) => other !== entry)),
        }))}
        emptyText={t('access.allowlistEmpty')}
        onAdd={(entry, stored) => save.mutate([...entries, entry], { onSuccess: stored })}
      />
      <Outcome error={save.error} done={save.isSuccess ? t('common.saved') : null} />
    </div>
  );
}

/** Sign-in throttles (issue #13): pairs of a typed name and a client address that must wait. */
function SignInThrottles() {
  const i18n = useI18n();
  const { t, dateTime } = i18n;
  const client = useQueryClient();
  const { data, error } = useQuery(queries.signInThrottles());
  const clear = useMutation({
    mutationFn: (id: string) => dashboardAccess.clearSignInThrottle(id),
    onSettled: () => client.invalidateQueries({ queryKey: queryKeys.signInThrottles }),
  });
  return (
    <div className="card" data-testid="sign-in-throttles">
      <h3>{t('access.throttles')}</h3>
      <p className="muted">{t('access.throttlesHelp')}</p>
      {error && <p className="error">{errorText(i18n, error)}</p>}
      {data && data.length === 0 && <p className="muted">{t('access.throttlesEmpty')}</p>}
      {data && data.length > 0 && (
        <table className="data">
          <thead>
            <tr>
              <th>{t('access.throttleName')}</th>
              <th>{t('access.throttleIp')}</th>
              <th>{t('access.throttleFailures')}</th>
              <th>{t('access.throttleLast')}</th>
              <th>{t('access.throttleNext')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.map((row) => (
              <tr key={row.id} data-testid="sign-in-throttle" data-username={row.username}>
                <td>{row.username}</td>
                <td>{row.ip}</td>
                <td>{row.failures}</td>
                <td>{dateTime(row.lastFailureAt)}</td>
                <td>{dateTime(row.nextAttemptAt)}</td>
                <td>
                  <button type="button" disabled={clear.isPending} onClick={() => clear.mutate(row.id)}>
                    {t('access.throttleClear')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Outcome error={clear.error} done={null} />
    </div>
  );
}

function ProjectSettings({ projectId, name }: { projectId: string; name: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const client = useQueryClient();
  const { data: settings, error } = useQuery(queries.dashboardSettings(projectId));
  const save = useMutation({
    mutationFn: (next: ProjectDashboardSettings) => dashboardAccess.saveProjectSettings(projectId, next),
    onSuccess: (stored) => client.setQueryData(queries.dashboardSettings(projectId).queryKey, stored),
  });
  if (!settings) return error ? <p className="error">{errorText(i18n, error)}</p> : null;
  const message = save.error ? errorText(i18n, save.error) : save.isSuccess ? t('common.saved') : null;
  return (
    <tr>
      <td>{name}</td>
      <td>
        <label className="check">
          <input
            type="checkbox"
            checked={settings.clearThumbnails}
            onChange={(event) => save.mutate({ ...settings, clearThumbnails: event.target.checked })}
          />
          {t('access.clearThumbnails')}
        </label>
      </td>
      <td>
        <label className="check">
          <input
            type="checkbox"
            checked={settings.requireTotp}
            onChange={(event) => save.mutate({ ...settings, requireTotp: event.target.checked })}
          />
          {t('access.requireTotp')}
        </label>
      </td>
      <td className="muted small">{message}</td>
    </tr>
  );
}

export function DashboardAccessPage() {
  const i18n = useI18n();
  const { t } = i18n;
  const { data: options, error } = useQuery(queries.grantOptions());
  return (
    <section>
      <h2>{t('access.title')}</h2>
      {error && <p className="error">{errorText(i18n, error)}</p>}
      {options?.installation && <AllowlistEditor />}
      {options?.installation && <SignInThrottles />}
      {options && (
        <div className="card">
          <h3>{t('access.projectSettings')}</h3>
          <p className="muted">{t('access.projectSettingsHelp')}</p>
          <table className="data">
            <tbody>
              {options.projects.map((project) => (
                <ProjectSettings key={project.id} projectId={project.id} name={project.name} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
