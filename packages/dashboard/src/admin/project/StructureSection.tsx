import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { admin } from '../../api/admin.js';
import { changed, queries } from '../../api/queries.js';
import { Outcome } from '../../app/Outcome.js';
import { useI18n } from '../../i18n/i18n-context.js';
import { SeatPlacement } from './SeatPlacement.js';
import { SiteSelect } from './SiteSelect.js';

/** A project's seats, sites and teams, and the forms that add them. */
export function StructureSection({ projectId }: { projectId: string }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const sitesQuery = useQuery(queries.sites(projectId));
  const teamsQuery = useQuery(queries.teams(projectId));
  const seatsQuery = useQuery(queries.seats(projectId));
  const sites = sitesQuery.data ?? [];
  const teams = teamsQuery.data ?? [];
  const seats = seatsQuery.data ?? [];
  const [siteName, setSiteName] = useState('');
  const [teamName, setTeamName] = useState('');
  const [teamSite, setTeamSite] = useState('');
  const [seatName, setSeatName] = useState('');
  const [seatSite, setSeatSite] = useState('');
  const [seatTeam, setSeatTeam] = useState('');
  // The three forms share one outcome line: the last addition's.
  const add = useMutation({
    mutationFn: (send: () => Promise<unknown>) => send(),
    onSuccess: () => changed.structure(client, projectId),
  });
  const nameOfSite = (id: string | null) => sites.find((site) => site.id === id)?.name ?? t('common.none');
  const submit = (send: () => Promise<unknown>, reset: () => void) => (event: FormEvent) => {
    event.preventDefault();
    add.mutate(send, { onSuccess: reset });
  };
  return (
    <div className="columns">
      <div>
        <h3>{t('projects.seats')}</h3>
        <SeatPlacement projectId={projectId} seats={seats} sites={sites} teams={teams} />
        <form
          className="row"
          onSubmit={submit(
            () => admin.createSeat(projectId, seatName.trim(), seatSite || null, seatTeam || null),
            () => setSeatName(''),
          )}
        >
          <input
            aria-label={t('projects.seatName')}
            placeholder={t('projects.seatName')}
            value={seatName}
            onChange={(event) => setSeatName(event.target.value)}
            required
            maxLength={200}
          />
          <SiteSelect sites={sites} value={seatSite} onChange={setSeatSite} />
          <select
            aria-label={t('seat.team')}
            value={seatTeam}
            onChange={(event) => setSeatTeam(event.target.value)}
          >
            <option value="">{t('projects.noTeam')}</option>
            {teams.map((team) => (
              <option key={team.id} value={team.id}>
                {team.name}
              </option>
            ))}
          </select>
          <button type="submit">{t('projects.addSeat')}</button>
        </form>
        <p className="muted small">{t('projects.seatsHelp')}</p>
      </div>
      <div>
        <h3>{t('projects.sites')}</h3>
        <ul className="chips">
          {sites.map((site) => (
            <li key={site.id}>{site.name}</li>
          ))}
        </ul>
        <form
          className="row"
          onSubmit={submit(
            () => admin.createSite(projectId, siteName.trim()),
            () => setSiteName(''),
          )}
        >
          <input
            aria-label={t('projects.siteName')}
            placeholder={t('projects.siteName')}
            value={siteName}
            onChange={(event) => setSiteName(event.target.value)}
            required
            maxLength={200}
          />
          <button type="submit">{t('projects.addSite')}</button>
        </form>
        <h3>{t('projects.teams')}</h3>
        <ul className="chips">
          {teams.map((team) => (
            <li key={team.id}>
              {team.name}
              {team.siteId ? ` · ${nameOfSite(team.siteId)}` : ''}
            </li>
          ))}
        </ul>
        <form
          className="row"
          onSubmit={submit(
            () => admin.createTeam(projectId, teamName.trim(), teamSite || null),
            () => setTeamName(''),
          )}
        >
          <input
            aria-label={t('projects.teamName')}
            placeholder={t('projects.teamName')}
            value={teamName}
            onChange={(event) => setTeamName(event.target.value)}
            required
            maxLength={200}
          />
          <SiteSelect sites={sites} value={teamSite} onChange={setTeamSite} />
          <button type="submit">{t('projects.addTeam')}</button>
        </form>
        <Outcome error={add.error ?? sitesQuery.error ?? teamsQuery.error ?? seatsQuery.error} />
      </div>
    </div>
  );
}
