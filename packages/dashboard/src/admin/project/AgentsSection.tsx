import type { ProjectAgent } from '@seatwatch/shared/dashboard-api';
import { useQuery } from '@tanstack/react-query';
import { queries } from '../../api/queries.js';
import { Outcome } from '../../app/Outcome.js';
import { UntrustedText } from '../../components/UntrustedText.js';
import { useI18n } from '../../i18n/i18n-context.js';
import { isBehind, versionCounts } from './agent-versions.js';

/**
 * The project's agents seat by seat with the version each reported in its last
 * hello (issue #14): after a package is pushed, the seats still on an older
 * version are the ones to look at. Read from GET …/agents.
 */
export function AgentsSection({ projectId }: { projectId: string }) {
  const { t, dateTime } = useI18n();
  const agentsQuery = useQuery(queries.agents(projectId));
  const seatsQuery = useQuery(queries.seats(projectId));
  const agents = agentsQuery.data ?? [];
  const seatName = new Map((seatsQuery.data ?? []).map((seat) => [seat.id, seat.name]));
  const counts = versionCounts(agents);
  const seen = (agent: ProjectAgent) =>
    agent.connected
      ? t('agents.connected')
      : agent.lastSeenAt
        ? t('agents.lastSeen', { at: dateTime(Date.parse(agent.lastSeenAt)) })
        : t('agents.neverSeen');
  return (
    <div>
      <Outcome error={agentsQuery.error ?? seatsQuery.error} />
      {agentsQuery.isSuccess && agents.length === 0 && <p className="muted">{t('agents.none')}</p>}
      {counts.length > 0 && (
        <ul className="row" aria-label={t('agents.versions')}>
          {counts.map(({ version, count }) => (
            <li key={version}>
              <UntrustedText value={version} />: {t('agents.count', { n: count })}
            </li>
          ))}
        </ul>
      )}
      {agents.length > 0 && (
        <table className="data">
          <thead>
            <tr>
              <th>{t('agents.seat')}</th>
              <th>{t('agents.hostname')}</th>
              <th>{t('agents.os')}</th>
              <th>{t('agents.version')}</th>
              <th>{t('agents.seen')}</th>
            </tr>
          </thead>
          <tbody>
            {agents.map((agent) => (
              <tr key={agent.id} className={agent.status === 'revoked' ? 'muted' : undefined}>
                <td>
                  <UntrustedText value={seatName.get(agent.seatId) ?? agent.seatId} />
                </td>
                <td>
                  <UntrustedText value={agent.hostname} />
                </td>
                <td>
                  <UntrustedText value={agent.os} />
                </td>
                <td>
                  <UntrustedText value={agent.agentVersion} />
                  {isBehind(agent, counts) && (
                    <span className="badge sev-warning"> {t('agents.behind')}</span>
                  )}
                </td>
                <td>{agent.status === 'revoked' ? t('agents.revoked') : seen(agent)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
