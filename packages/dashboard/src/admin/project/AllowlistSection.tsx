import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { admin } from '../../api/admin.js';
import { changed, queries } from '../../api/queries.js';
import { Outcome } from '../../app/Outcome.js';
import { useI18n } from '../../i18n/i18n-context.js';
import { AllowlistTable } from '../AllowlistTable.js';
import { SiteSelect } from './SiteSelect.js';

/** The addresses a project's agents may connect from, each for the whole project or one site. */
export function AllowlistSection({ projectId }: { projectId: string }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const entriesQuery = useQuery(queries.allowlist(projectId));
  const sitesQuery = useQuery(queries.sites(projectId));
  const sites = sitesQuery.data ?? [];
  const [siteId, setSiteId] = useState('');
  // Adding and removing share one outcome line: the last change's.
  const change = useMutation({
    mutationFn: (send: () => Promise<unknown>) => send(),
    onSuccess: () => changed.projectPart(client, projectId, 'allowlist'),
  });
  return (
    <div>
      <p className="muted">{t('allowlist.help')}</p>
      <AllowlistTable
        rows={(entriesQuery.data ?? []).map((entry) => ({
          key: entry.id,
          cidr: entry.cidr,
          scope: sites.find((site) => site.id === entry.siteId)?.name ?? t('allowlist.wholeProject'),
          note: entry.note,
          remove: () => change.mutate(() => admin.removeAllowlist(projectId, entry.id)),
        }))}
        emptyText={t('allowlist.empty')}
        scopeInput={<SiteSelect sites={sites} value={siteId} onChange={setSiteId} />}
        noteMaxLength={500}
        onAdd={(entry, stored) =>
          change.mutate(() => admin.addAllowlist(projectId, { ...entry, ...(siteId ? { siteId } : {}) }), {
            onSuccess: stored,
          })
        }
      />
      <Outcome error={change.error ?? entriesQuery.error ?? sitesQuery.error} />
    </div>
  );
}
