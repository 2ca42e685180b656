import type { DashboardAllowlistEntry, ProjectDashboardSettings } from '@seatwatch/shared/dashboard-api';
import { useCallback, useEffect, useState } from 'react';
import { dashboardAccess, users } from '../api/client.js';
import { errorText } from '../app/errors.js';
import { useI18n } from '../i18n/i18n-context.js';
import { cidrProblem } from './cidr.js';

function AllowlistEditor() {
  const i18n = useI18n();
  const { t } = i18n;
  const [entries, setEntries] = useState<DashboardAllowlistEntry[] | null>(null);
  const [cidr, setCidr] = useState('');
  const [note, setNote] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => {
    dashboardAccess.allowlist().then(
      (list) => setEntries(list.entries),
      (caught: unknown) => setMessage({ ok: false, text: errorText(i18n, caught) }),
    );
  }, [i18n]);
  const problem = cidr ? cidrProblem(cidr) : null;
  const save = async (next: DashboardAllowlistEntry[]) => {
    try {
      setEntries((await dashboardAccess.saveAllowlist({ entries: next })).entries);
      setMessage({ ok: true, text: t('common.saved') });
    } catch (caught) {
      setMessage({ ok: false, text: errorText(i18n, caught) });
    }
  };
  if (!entries)
    return message ? <p className="error">{message.text}</p> : <p className="muted">{t('common.loading')}</p>;
  return (
    <div className="card">
      <h3>{t('access.allowlist')}</h3>
      <p className="muted">{t('access.allowlistHelp')}</p>
      <table className="data">
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.cidr}>
              <td>
                <code>{entry.cidr}</code>
              </td>
              <td>{entry.note}</td>
              <td>
                <button
                  type="button"
                  className="link"
                  onClick={() => void save(entries.filter((other) => other !== entry))}
                >
                  {t('common.remove')}
                </button>
              </td>
            </tr>
          ))}
          {entries.length === 0 && (
            <tr>
              <td className="muted">{t('access.allowlistEmpty')}</td>
            </tr>
          )}
        </tbody>
      </table>
      <form
        className="row"
        onSubmit={(event) => {
          event.preventDefault();
          if (problem) return;
          void save([...entries, { cidr: cidr.trim(), note }]).then(() => {
            setCidr('');
            setNote('');
          });
        }}
      >
        <input
          aria-label={t('access.cidr')}
          placeholder={t('access.cidrPlaceholder')}
          value={cidr}
          aria-invalid={problem !== null}
          onChange={(event) => setCidr(event.target.value)}
          required
        />
        <input
          aria-label={t('access.note')}
          placeholder={t('access.note')}
          value={note}
          onChange={(event) => setNote(event.target.value)}
        />
        <button type="submit" disabled={problem !== null}>
          {t('common.add')}
        </button>
      </form>
      {problem && <p className="error small">{t(problem)}</p>}
      {message && <p className={message.ok ? 'ok small' : 'error small'}>{message.text}</p>}
    </div>
  );
}

function ProjectSettings({ projectId, name }: { projectId: string; name: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [settings, setSettings] = useState<ProjectDashboardSettings | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    dashboardAccess
      .projectSettings(projectId)
      .then(setSettings, (caught: unknown) => setMessage(errorText(i18n, caught)));
  }, [projectId, i18n]);
  const save = async (next: ProjectDashboardSettings) => {
    try {
      setSettings(await dashboardAccess.saveProjectSettings(projectId, next));
      setMessage(t('common.saved'));
    } catch (caught) {
      setMessage(errorText(i18n, caught));
    }
  };
  if (!settings) return message ? <p className="error">{message}</p> : null;
  return (
    <tr>
      <td>{name}</td>
      <td>
        <label className="check">
          <input
            type="checkbox"
            checked={settings.clearThumbnails}
            onChange={(event) => void save({ ...settings, clearThumbnails: event.target.checked })}
          />
          {t('access.clearThumbnails')}
        </label>
      </td>
      <td>
        <label className="check">
          <input
            type="checkbox"
            checked={settings.requireTotp}
            onChange={(event) => void save({ ...settings, requireTotp: event.target.checked })}
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
  const [projects, setProjects] = useState<{ id: string; name: string }[] | null>(null);
  const [installation, setInstallation] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async () => {
    try {
      const options = await users.grantOptions();
      setProjects(options.projects);
      setInstallation(options.installation);
    } catch (caught) {
      setError(caught);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <section>
      <h2>{t('access.title')}</h2>
      {error !== null && <p className="error">{errorText(i18n, error)}</p>}
      {installation && <AllowlistEditor />}
      {projects && (
        <div className="card">
          <h3>{t('access.projectSettings')}</h3>
          <p className="muted">{t('access.projectSettingsHelp')}</p>
          <table className="data">
            <tbody>
              {projects.map((project) => (
                <ProjectSettings key={project.id} projectId={project.id} name={project.name} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
