import type { Grant, GrantOptions, Role } from '@seatwatch/shared/dashboard-api';
import { useState } from 'react';
import { useI18n } from '../i18n/i18n-context.js';

const ROLES: readonly Role[] = ['administrator', 'supervisor', 'investigator', 'auditor'];
const INSTALLATION = '*';

export function grantLabel(
  t: ReturnType<typeof useI18n>['t'],
  grant: Grant,
  options: GrantOptions | null,
): string {
  const project =
    grant.projectId === null
      ? t('users.everyProject')
      : (options?.projects.find((each) => each.id === grant.projectId)?.name ?? grant.projectId);
  const team =
    grant.teamId === null
      ? ''
      : ` / ${options?.teams.find((each) => each.id === grant.teamId)?.name ?? grant.teamId}`;
  return `${t(`role.${grant.role}`)} · ${project}${team}`;
}

/** Grants as removable chips plus a row to add one: role, project (or every project), team (optional). */
export function GrantEditor({
  grants,
  options,
  onChange,
}: {
  grants: readonly Grant[];
  options: GrantOptions;
  onChange: (grants: Grant[]) => void;
}) {
  const { t } = useI18n();
  const [role, setRole] = useState<Role>('supervisor');
  const [projectId, setProjectId] = useState(
    options.projects[0]?.id ?? (options.installation ? INSTALLATION : ''),
  );
  const [teamId, setTeamId] = useState('');
  const teams = options.teams.filter((team) => team.projectId === projectId);
  const add = () => {
    if (!projectId) return;
    const grant: Grant = {
      role,
      projectId: projectId === INSTALLATION ? null : projectId,
      teamId: projectId === INSTALLATION || !teamId ? null : teamId,
    };
    const same = (other: Grant) =>
      other.role === grant.role && other.projectId === grant.projectId && other.teamId === grant.teamId;
    if (!grants.some(same)) onChange([...grants, grant]);
  };
  return (
    <div className="grants">
      <ul className="chips">
        {grants.map((grant, index) => (
          <li key={`${grant.role}-${grant.projectId}-${grant.teamId}`}>
            {grantLabel(t, grant, options)}
            <button
              type="button"
              className="link"
              aria-label={t('common.remove')}
              onClick={() => onChange(grants.filter((_, other) => other !== index))}
            >
              ×
            </button>
          </li>
        ))}
        {grants.length === 0 && <li className="muted">{t('users.noGrants')}</li>}
      </ul>
      <div className="row">
        <select
          aria-label={t('users.role')}
          value={role}
          onChange={(event) => setRole(event.target.value as Role)}
        >
          {ROLES.map((each) => (
            <option key={each} value={each}>
              {t(`role.${each}`)}
            </option>
          ))}
        </select>
        <select
          aria-label={t('users.project')}
          value={projectId}
          onChange={(event) => {
            setProjectId(event.target.value);
            setTeamId('');
          }}
        >
          {options.installation && <option value={INSTALLATION}>{t('users.everyProject')}</option>}
          {options.projects.map((project) => (
            <option key={project.id} value={project.id}>
              {project.name}
            </option>
          ))}
        </select>
        <select
          aria-label={t('users.team')}
          value={teamId}
          disabled={projectId === INSTALLATION}
          onChange={(event) => setTeamId(event.target.value)}
        >
          <option value="">{t('users.wholeProject')}</option>
          {teams.map((team) => (
            <option key={team.id} value={team.id}>
              {team.name}
            </option>
          ))}
        </select>
        <button type="button" onClick={add}>
          {t('users.addGrant')}
        </button>
      </div>
    </div>
  );
}
