/** A project's administration: pick or create a project, then one section at a time (each in its own file). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useSearchParams } from 'react-router';
import { admin } from '../../api/admin.js';
import { changed, queries } from '../../api/queries.js';
import { Outcome } from '../../app/Outcome.js';
import { useI18n } from '../../i18n/i18n-context.js';
import { AgentsSection } from './AgentsSection.js';
import { AllowlistSection } from './AllowlistSection.js';
import { PolicySection } from './PolicySection.js';
import { RulesSection } from './RulesSection.js';
import { StructureSection } from './StructureSection.js';
import { TokensSection } from './TokensSection.js';

type Section = 'structure' | 'agents' | 'tokens' | 'allowlist' | 'policy' | 'rules';
const SECTIONS: readonly Section[] = ['structure', 'agents', 'tokens', 'allowlist', 'policy', 'rules'];

export function ProjectAdminPage() {
  const { t } = useI18n();
  const client = useQueryClient();
  const [params, setParams] = useSearchParams();
  const { data: projects, error } = useQuery(queries.projects());
  const [newName, setNewName] = useState('');
  const projectId = params.get('project') ?? projects?.[0]?.id ?? '';
  const section = (params.get('section') as Section | null) ?? 'structure';
  const go = (next: { project?: string; section?: Section }) =>
    setParams({ project: next.project ?? projectId, section: next.section ?? section });
  const create = useMutation({
    mutationFn: () => admin.createProject(newName.trim()),
    onSuccess: async (project) => {
      setNewName('');
      await changed.projects(client);
      go({ project: project.id });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const sectionLabel: Record<Section, string> = {
    structure: t('projects.structure'),
    agents: t('projects.agents'),
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
        <form className="row" onSubmit={submit}>
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
      <Outcome error={create.error ?? error} />
      {projects?.length === 0 && <p className="muted">{t('projects.none')}</p>}
      {projectId && (
        <>
          <nav className="tabs" aria-label={t('admin.projects')}>
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
          {section === 'structure' && <StructureSection key={projectId} projectId={projectId} />}
          {section === 'agents' && <AgentsSection key={projectId} projectId={projectId} />}
          {section === 'tokens' && <TokensSection key={projectId} projectId={projectId} />}
          {section === 'allowlist' && <AllowlistSection key={projectId} projectId={projectId} />}
          {section === 'policy' && <PolicySection key={projectId} projectId={projectId} />}
          {section === 'rules' && <RulesSection key={projectId} projectId={projectId} />}
        </>
      )}
    </section>
  );
}
