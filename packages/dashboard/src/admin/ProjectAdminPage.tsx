import type { Policy } from '@seatwatch/shared';
import type {
  AllowlistEntry,
  EnrollmentToken,
  IssuedToken,
  Project,
  ProjectPolicy,
  RuleSettingView,
  Seat,
  Severity,
  Site,
  Team,
} from '@seatwatch/shared/dashboard-api';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { ruleLabel } from '../alerts/rule-label.js';
import { admin } from '../api/admin.js';
import { errorText } from '../app/errors.js';
import { type I18n, useI18n } from '../i18n/i18n-context.js';
import { cidrProblem } from './cidr.js';

type Section = 'structure' | 'tokens' | 'allowlist' | 'policy' | 'rules';
const SECTIONS: readonly Section[] = ['structure', 'tokens', 'allowlist', 'policy', 'rules'];

/** Runs an action, reporting failure in the viewer's language. */
function useAction(i18n: I18n) {
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const run = useCallback(
    async (action: () => Promise<unknown>, done?: string) => {
      try {
        await action();
        setMessage(done ? { ok: true, text: done } : null);
        return true;
      } catch (caught) {
        setMessage({ ok: false, text: errorText(i18n, caught) });
        return false;
      }
    },
    [i18n],
  );
  const view = message && <p className={message.ok ? 'ok small' : 'error small'}>{message.text}</p>;
  return { run, view };
}

function SiteSelect({
  sites,
  value,
  onChange,
  label,
}: {
  sites: readonly Site[];
  value: string;
  onChange: (value: string) => void;
  label: string;
}) {
  const { t } = useI18n();
  return (
    <select aria-label={label} value={value} onChange={(event) => onChange(event.target.value)}>
      <option value="">{t('projects.noSite')}</option>
      {sites.map((site) => (
        <option key={site.id} value={site.id}>
          {site.name}
        </option>
      ))}
    </select>
  );
}

function Structure({ projectId }: { projectId: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [sites, setSites] = useState<Site[]>([]);
  const [teams, setTeams] = useState<Team[]>([]);
  const [seats, setSeats] = useState<Seat[]>([]);
  const [siteName, setSiteName] = useState('');
  const [teamName, setTeamName] = useState('');
  const [teamSite, setTeamSite] = useState('');
  const [seatName, setSeatName] = useState('');
  const [seatSite, setSeatSite] = useState('');
  const [seatTeam, setSeatTeam] = useState('');
  const { run, view } = useAction(i18n);
  const load = useCallback(async () => {
    const [s, tm, st] = await Promise.all([
      admin.sites(projectId),
      admin.teams(projectId),
      admin.seats(projectId),
    ]);
    setSites(s);
    setTeams(tm);
    setSeats(st);
  }, [projectId]);
  useEffect(() => {
    void run(load);
  }, [load, run]);
  const nameOfSite = (id: string | null) => sites.find((site) => site.id === id)?.name ?? t('common.none');
  const nameOfTeam = (id: string | null) => teams.find((team) => team.id === id)?.name ?? t('common.none');
  const submit = (action: () => Promise<unknown>, reset: () => void) => async (event: FormEvent) => {
    event.preventDefault();
    if (await run(action)) {
      reset();
      await run(load);
    }
  };
  return (
    <div className="columns">
      <div>
        <h3>{t('projects.seats')}</h3>
        <table className="data">
          <thead>
            <tr>
              <th>{t('projects.name')}</th>
              <th>{t('seat.site')}</th>
              <th>{t('seat.team')}</th>
            </tr>
          </thead>
          <tbody>
            {seats.map((seat) => (
              <tr key={seat.id}>
                <td>{seat.name}</td>
                <td>{nameOfSite(seat.siteId)}</td>
                <td>{nameOfTeam(seat.teamId)}</td>
              </tr>
            ))}
          </tbody>
        </table>
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
          <SiteSelect sites={sites} value={seatSite} onChange={setSeatSite} label={t('seat.site')} />
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
          <SiteSelect sites={sites} value={teamSite} onChange={setTeamSite} label={t('seat.site')} />
          <button type="submit">{t('projects.addTeam')}</button>
        </form>
        {view}
      </div>
    </div>
  );
}

function Tokens({ projectId }: { projectId: string }) {
  const i18n = useI18n();
  const { t, dateTime } = i18n;
  const [tokens, setTokens] = useState<EnrollmentToken[]>([]);
  const [sites, setSites] = useState<Site[]>([]);
  const [issued, setIssued] = useState<IssuedToken | null>(null);
  const [label, setLabel] = useState('');
  const [siteId, setSiteId] = useState('');
  const [hours, setHours] = useState(168);
  const [maxUses, setMaxUses] = useState(1);
  const { run, view } = useAction(i18n);
  const load = useCallback(async () => {
    const [list, s] = await Promise.all([admin.tokens(projectId), admin.sites(projectId)]);
    setTokens(list);
    setSites(s);
  }, [projectId]);
  useEffect(() => {
    void run(load);
  }, [load, run]);
  const issue = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      setIssued(
        await admin.issueToken(projectId, {
          label,
          expiresInHours: hours,
          maxUses,
          ...(siteId ? { siteId } : {}),
        }),
      );
      setLabel('');
      await load();
    });
  };
  const state = (token: EnrollmentToken) =>
    token.revokedAt
      ? t('tokens.revoked')
      : Date.parse(token.expiresAt) <= Date.now()
        ? t('tokens.expired')
        : token.uses >= token.maxUses
          ? t('tokens.usedUp')
          : t('tokens.valid');
  return (
    <div>
      {issued && (
        <div className="notice ok one-time" role="status">
          <p>{t('tokens.shownOnce')}</p>
          <input
            readOnly
            value={issued.token}
            data-testid="issued-token"
            onFocus={(event) => event.target.select()}
          />
          <button type="button" onClick={() => setIssued(null)}>
            {t('common.close')}
          </button>
        </div>
      )}
      <table className="data">
        <thead>
          <tr>
            <th>{t('tokens.label')}</th>
            <th>{t('seat.site')}</th>
            <th>{t('tokens.uses')}</th>
            <th>{t('tokens.expires')}</th>
            <th>{t('users.status')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {tokens.map((token) => (
            <tr key={token.id}>
              <td>{token.label || t('common.none')}</td>
              <td>{sites.find((site) => site.id === token.siteId)?.name ?? t('common.none')}</td>
              <td>
                {token.uses} / {token.maxUses}
              </td>
              <td>{dateTime(Date.parse(token.expiresAt))}</td>
              <td>{state(token)}</td>
              <td>
                {!token.revokedAt && (
                  <button
                    type="button"
                    className="link"
                    onClick={() =>
                      void run(async () => {
                        await admin.revokeToken(projectId, token.id);
                        await load();
                      })
                    }
                  >
                    {t('tokens.revoke')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="row" onSubmit={(event) => void issue(event)}>
        <label>
          {t('tokens.label')}
          <input value={label} maxLength={200} onChange={(event) => setLabel(event.target.value)} />
        </label>
        <SiteSelect sites={sites} value={siteId} onChange={setSiteId} label={t('seat.site')} />
        <label>
          {t('tokens.validHours')}
          <input
            type="number"
            min={1}
            max={8760}
            value={hours}
            onChange={(event) => setHours(Number(event.target.value))}
          />
        </label>
        <label>
          {t('tokens.maxUses')}
          <input
            type="number"
            min={1}
            max={100000}
            value={maxUses}
            onChange={(event) => setMaxUses(Number(event.target.value))}
          />
        </label>
        <button type="submit" className="primary">
          {t('tokens.issue')}
        </button>
      </form>
      {view}
    </div>
  );
}

function Allowlist({ projectId }: { projectId: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [entries, setEntries] = useState<AllowlistEntry[]>([]);
  const [sites, setSites] = useState<Site[]>([]);
  const [cidr, setCidr] = useState('');
  const [note, setNote] = useState('');
  const [siteId, setSiteId] = useState('');
  const { run, view } = useAction(i18n);
  const load = useCallback(async () => {
    const [list, s] = await Promise.all([admin.allowlist(projectId), admin.sites(projectId)]);
    setEntries(list);
    setSites(s);
  }, [projectId]);
  useEffect(() => {
    void run(load);
  }, [load, run]);
  const problem = cidr ? cidrProblem(cidr) : null;
  const add = async (event: FormEvent) => {
    event.preventDefault();
    if (problem) return;
    if (
      await run(() =>
        admin.addAllowlist(projectId, { cidr: cidr.trim(), note, ...(siteId ? { siteId } : {}) }),
      )
    ) {
      setCidr('');
      setNote('');
      await run(load);
    }
  };
  return (
    <div>
      <p className="muted">{t('allowlist.help')}</p>
      <table className="data">
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id}>
              <td>
                <code>{entry.cidr}</code>
              </td>
              <td>{sites.find((site) => site.id === entry.siteId)?.name ?? t('allowlist.wholeProject')}</td>
              <td>{entry.note}</td>
              <td>
                <button
                  type="button"
                  className="link"
                  onClick={() =>
                    void run(async () => {
                      await admin.removeAllowlist(projectId, entry.id);
                      await load();
                    })
                  }
                >
                  {t('common.remove')}
                </button>
              </td>
            </tr>
          ))}
          {entries.length === 0 && (
            <tr>
              <td className="muted">{t('allowlist.empty')}</td>
            </tr>
          )}
        </tbody>
      </table>
      <form className="row" onSubmit={(event) => void add(event)}>
        <input
          aria-label={t('access.cidr')}
          placeholder={t('access.cidrPlaceholder')}
          value={cidr}
          aria-invalid={problem !== null}
          onChange={(event) => setCidr(event.target.value)}
          required
        />
        <SiteSelect sites={sites} value={siteId} onChange={setSiteId} label={t('seat.site')} />
        <input
          aria-label={t('access.note')}
          placeholder={t('access.note')}
          value={note}
          maxLength={500}
          onChange={(event) => setNote(event.target.value)}
        />
        <button type="submit" disabled={problem !== null}>
          {t('common.add')}
        </button>
      </form>
      {problem && <p className="error small">{t(problem)}</p>}
      {view}
    </div>
  );
}

const MINUTE = 60_000;

function PolicyEditor({ projectId }: { projectId: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [current, setCurrent] = useState<ProjectPolicy | null>(null);
  const [policy, setPolicy] = useState<Policy | null>(null);
  const [noticeText, setNoticeText] = useState('');
  const { run, view } = useAction(i18n);
  useEffect(() => {
    void run(async () => {
      const loaded = await admin.policy(projectId);
      setCurrent(loaded);
      setPolicy(loaded.policy);
      setNoticeText(loaded.notice.text);
    });
  }, [projectId, run]);
  if (!policy || !current) return view ?? <p className="muted">{t('common.loading')}</p>;
  const number = (key: keyof Policy, scale = 1) => ({
    type: 'number' as const,
    value: Math.round((policy[key] as number) / scale),
    onChange: (event: { target: { value: string } }) =>
      setPolicy({ ...policy, [key]: Math.round(Number(event.target.value) * scale) }),
  });
  const save = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      const saved = await admin.savePolicy(projectId, policy, noticeText);
      setCurrent(saved);
      setPolicy(saved.policy);
    }, t('common.saved'));
  };
  return (
    <form className="policy" onSubmit={(event) => void save(event)}>
      <div className="row">
        <label className="check">
          <input
            type="checkbox"
            checked={policy.screenshotsEnabled}
            onChange={(event) => setPolicy({ ...policy, screenshotsEnabled: event.target.checked })}
          />
          {t('policy.screenshotsEnabled')}
        </label>
      </div>
      <div className="row">
        <label>
          {t('policy.screenshotIntervalMin')}
          <input min={1} max={1440} {...number('screenshotIntervalMs', MINUTE)} />
        </label>
        <label>
          {t('policy.screenshotMaxWidth')}
          <input min={160} max={7680} {...number('screenshotMaxWidth')} />
        </label>
        <label>
          {t('policy.screenshotQuality')}
          <input min={1} max={100} {...number('screenshotQuality')} />
        </label>
        <label>
          {t('policy.idleThresholdMin')}
          <input min={1} max={1440} {...number('idleThresholdMs', MINUTE)} />
        </label>
        <label>
          {t('policy.heartbeatS')}
          <input min={1} max={600} {...number('heartbeatMs', 1000)} />
        </label>
        <label>
          {t('policy.retentionDays')}
          <input min={1} max={3650} {...number('retentionDays')} />
        </label>
      </div>
      <label>
        {t('policy.privacyList')}
        <textarea
          rows={4}
          value={policy.privacyList.join('\n')}
          onChange={(event) =>
            setPolicy({
              ...policy,
              privacyList: event.target.value
                .split('\n')
                .map((line) => line.trim())
                .filter(Boolean),
            })
          }
        />
      </label>
      <label>
        {t('policy.notice', { version: current.notice.version })}
        <textarea
          rows={8}
          value={noticeText}
          maxLength={20000}
          onChange={(event) => setNoticeText(event.target.value)}
        />
      </label>
      <p className="muted small">{t('policy.noticeHelp')}</p>
      <button type="submit" className="primary">
        {t('policy.save')}
      </button>
      {view}
    </form>
  );
}

const SEVERITIES: readonly Severity[] = ['low', 'warning', 'medium', 'high', 'critical'];

/** One rule: on or off, severity, and its settings as JSON (the server checks them against the rule's schema). */
function RuleRow({
  projectId,
  rule,
  onSaved,
}: {
  projectId: string;
  rule: RuleSettingView;
  onSaved: () => void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const [enabled, setEnabled] = useState(rule.enabled);
  const [severity, setSeverity] = useState<Severity>(rule.severity);
  const [config, setConfig] = useState(JSON.stringify(rule.config, null, 2));
  const { run, view } = useAction(i18n);
  let parsed: Record<string, unknown> | null = null;
  try {
    const value: unknown = JSON.parse(config);
    if (value && typeof value === 'object' && !Array.isArray(value))
      parsed = value as Record<string, unknown>;
  } catch {
    parsed = null;
  }
  const save = () =>
    void run(async () => {
      if (!parsed) return;
      await admin.saveRule(projectId, rule.rule, { enabled, severity, config: parsed });
      onSaved();
    }, t('common.saved'));
  return (
    <tr data-testid="rule-row" data-rule={rule.rule}>
      <td>
        <label className="check">
          <input type="checkbox" checked={enabled} onChange={(event) => setEnabled(event.target.checked)} />
          <strong>{ruleLabel(i18n, rule.rule)}</strong>
        </label>
        <div className="muted small">{rule.summary}</div>
      </td>
      <td>
        <select
          aria-label={t('rules.severity')}
          value={severity}
          onChange={(event) => setSeverity(event.target.value as Severity)}
        >
          {SEVERITIES.map((each) => (
            <option key={each} value={each}>
              {t(`severity.${each}`)}
            </option>
          ))}
        </select>
      </td>
      <td>
        <textarea
          aria-label={t('rules.config')}
          aria-invalid={parsed === null}
          rows={Math.min(8, config.split('\n').length)}
          value={config}
          onChange={(event) => setConfig(event.target.value)}
        />
        {parsed === null && <p className="error small">{t('rules.configInvalid')}</p>}
      </td>
      <td>
        <button type="button" onClick={save} disabled={parsed === null}>
          {t('common.save')}
        </button>
        {view}
      </td>
    </tr>
  );
}

function Rules({ projectId }: { projectId: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [rules, setRules] = useState<RuleSettingView[] | null>(null);
  const { run, view } = useAction(i18n);
  const load = useCallback(async () => setRules((await admin.rules(projectId)).rules), [projectId]);
  useEffect(() => {
    void run(load);
  }, [load, run]);
  return (
    <div>
      <p className="muted">{t('rules.help')}</p>
      {view}
      <table className="data">
        <thead>
          <tr>
            <th>{t('rules.rule')}</th>
            <th>{t('rules.severity')}</th>
            <th>{t('rules.config')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rules?.map((rule) => (
            <RuleRow
              key={`${rule.rule}-${rule.updatedAt}`}
              projectId={projectId}
              rule={rule}
              onSaved={() => void run(load)}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ProjectAdminPage() {
  const i18n = useI18n();
  const { t } = i18n;
  const [params, setParams] = useSearchParams();
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [newName, setNewName] = useState('');
  const { run, view } = useAction(i18n);
  const load = useCallback(async () => setProjects(await admin.projects()), []);
  useEffect(() => {
    void run(load);
  }, [load, run]);
  const projectId = params.get('project') ?? projects?.[0]?.id ?? '';
  const section = (params.get('section') as Section | null) ?? 'structure';
  const go = (next: { project?: string; section?: Section }) =>
    setParams({ project: next.project ?? projectId, section: next.section ?? section });
  const create = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      const project = await admin.createProject(newName.trim());
      setNewName('');
      await load();
      go({ project: project.id });
    });
  };
  const sectionLabel: Record<Section, string> = {
    structure: t('projects.structure'),
    tokens: t('projects.tokens'),
    allowlist: t('projects.allowlist'),
    policy: t('projects.policy'),
    rules: t('projects.rules'),
  };
  return (
    <section>
      <div className="toolbar">
        <h2>{t('projects.title')}</h2>
        {projects && projects.length > 0 && (
          <select
            aria-label={t('users.project')}
            value={projectId}
            onChange={(event) => go({ project: event.target.value })}
          >
            {projects.map((project) => (
              <option key={project.id} value={project.id}>
                {project.name}
              </option>
            ))}
          </select>
        )}
        <span className="spacer" />
        <form className="row" onSubmit={(event) => void create(event)}>
          <input
            aria-label={t('projects.newProject')}
            placeholder={t('projects.newProject')}
            value={newName}
            maxLength={200}
            onChange={(event) => setNewName(event.target.value)}
            required
          />
          <button type="submit">{t('projects.create')}</button>
        </form>
      </div>
      {view}
      {projects?.length === 0 && <p className="muted">{t('projects.none')}</p>}
      {projectId && (
        <>
          <nav className="tabs">
            {SECTIONS.map((each) => (
              <button
                key={each}
                type="button"
                className={each === section ? 'tab active' : 'tab'}
                onClick={() => go({ section: each })}
              >
                {sectionLabel[each]}
              </button>
            ))}
          </nav>
          {section === 'structure' && <Structure key={projectId} projectId={projectId} />}
          {section === 'tokens' && <Tokens key={projectId} projectId={projectId} />}
          {section === 'allowlist' && <Allowlist key={projectId} projectId={projectId} />}
          {section === 'policy' && <PolicyEditor key={projectId} projectId={projectId} />}
          {section === 'rules' && <Rules key={projectId} projectId={projectId} />}
        </>
      )}
    </section>
  );
}
