import type { Site } from '@seatwatch/shared/dashboard-api';
import { useI18n } from '../../i18n/i18n-context.js';

/** A project's sites, or none ("no site": the whole project). */
export function SiteSelect({
  sites,
  value,
  onChange,
}: {
  sites: readonly Site[];
  value: string;
  onChange: (value: string) => void;
}) {
  const { t } = useI18n();
  return (
    <select aria-label={t('seat.site')} value={value} onChange={(event) => onChange(event.target.value)}>
      <option value="">{t('projects.noSite')}</option>
      {sites.map((site) => (
        <option key={site.id} value={site.id}>
          {site.name}
        </option>
      ))}
    </select>
  );
}
