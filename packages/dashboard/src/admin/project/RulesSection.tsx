import type { RuleSettingView, Severity } from '@seatwatch/shared/dashboard-api';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ruleLabel } from '../../alerts/rule-label.js';
import { admin } from '../../api/admin.js';
import { changed, queries } from '../../api/queries.js';
import { Outcome } from '../../app/Outcome.js';
import { useI18n } from '../../i18n/i18n-context.js';

const SEVERITIES: readonly Severity[] = ['low', 'warning', 'medium', 'high', 'critical'];

/** The settings as typed, if they are a JSON object (the server checks them against the rule's schema). */
function parseConfig(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** One rule: on or off, severity, and its settings as JSON. */
function RuleRow({ projectId, rule }: { projectId: string; rule: RuleSettingView }) {
  const i18n = useI18n();
  const { t } = i18n;
  const client = useQueryClient();
  const [enabled, setEnabled] = useState(rule.enabled);
  const [severity, setSeverity] = useState<Severity>(rule.severity);
  const [config, setConfig] = useState(JSON.stringify(rule.config, null, 2));
  const parsed = parseConfig(config);
  // The rules are read again after a save; the row comes back (keyed by its update time) with
  // the settings as stored.
  const save = useMutation({
    mutationFn: (settings: Record<string, unknown>) =>
      admin.saveRule(projectId, rule.rule, { enabled, severity, config: settings }),
    onSuccess: () => changed.projectPart(client, projectId, 'rules'),
  });
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
        <button type="button" onClick={() => parsed && save.mutate(parsed)} disabled={parsed === null}>
          {t('common.save')}
        </button>
        <Outcome error={save.error} done={save.isSuccess ? t('common.saved') : null} />
      </td>
    </tr>
  );
}

/** The anomaly rules of a project, each on or off with its severity and settings. */
export function RulesSection({ projectId }: { projectId: string }) {
  const { t } = useI18n();
  const { data, error } = useQuery(queries.rules(projectId));
  return (
    <div>
      <p className="muted">{t('rules.help')}</p>
      <Outcome error={error} />
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
          {data?.rules.map((rule) => (
            <RuleRow key={`${rule.rule}-${rule.updatedAt}`} projectId={projectId} rule={rule} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
