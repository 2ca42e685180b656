import type { Policy } from '@seatwatch/shared';
import type { ProjectPolicy } from '@seatwatch/shared/dashboard-api';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { admin } from '../../api/admin.js';
import { queries } from '../../api/queries.js';
import { Outcome } from '../../app/Outcome.js';
import { useI18n } from '../../i18n/i18n-context.js';

const MINUTE = 60_000;

/** The collection policy and the operators' notice, edited as one and pushed to the project's agents on save. */
export function PolicySection({ projectId }: { projectId: string }) {
  const { t } = useI18n();
  const { data, error } = useQuery(queries.policy(projectId));
  if (!data) return error ? <Outcome error={error} /> : <p className="muted">{t('common.loading')}</p>;
  return <PolicyForm projectId={projectId} stored={data} />;
}

/** Starts from the stored policy; after a save the answer (with the notice's new version) is what is stored. */
function PolicyForm({ projectId, stored }: { projectId: string; stored: ProjectPolicy }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const [policy, setPolicy] = useState<Policy>(stored.policy);
  const [noticeText, setNoticeText] = useState(stored.notice.text);
  // The patterns as typed (a line being written may be empty for now); the policy gets the non-empty lines.
  const [maskText, setMaskText] = useState((stored.policy.masks?.patterns ?? []).join('\n'));
  const save = useMutation({
    mutationFn: () => admin.savePolicy(projectId, policy, noticeText),
    onSuccess: (saved) => {
      client.setQueryData(queries.policy(projectId).queryKey, saved);
      setPolicy(saved.policy);
    },
  });
  const number = (key: keyof Policy, scale = 1) => ({
    type: 'number' as const,
    value: Math.round((policy[key] as number) / scale),
    onChange: (event: { target: { value: string } }) =>
      setPolicy({ ...policy, [key]: Math.round(Number(event.target.value) * scale) }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form className="policy" onSubmit={submit}>
      <div className="row">
        <label className="check">
          <input
            type="checkbox"
            checked={policy.screenshotsEnabled}
            onChange={(event) => setPolicy({ ...policy, screenshotsEnabled: event.target.checked })}
          />
          {t('policy.screenshotsEnabled')}
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={policy.showWindowTitles ?? true}
            onChange={(event) => setPolicy({ ...policy, showWindowTitles: event.target.checked })}
          />
          {t('policy.showWindowTitles')}
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
      <label className="check">
        <input
          type="checkbox"
          checked={policy.masks?.cardNumbers ?? true}
          onChange={(event) =>
            setPolicy({
              ...policy,
              masks: { cardNumbers: event.target.checked, patterns: policy.masks?.patterns ?? [] },
            })
          }
        />
        {t('policy.maskCardNumbers')}
      </label>
      <label>
        {t('policy.maskPatterns')}
        <textarea
          rows={3}
          spellCheck={false}
          value={maskText}
          onChange={(event) => {
            setMaskText(event.target.value);
            setPolicy({
              ...policy,
              masks: {
                cardNumbers: policy.masks?.cardNumbers ?? true,
                // Spaces can be part of a pattern: only empty lines go.
                patterns: event.target.value.split('\n').filter((line) => line.length > 0),
              },
            });
          }}
        />
      </label>
      <label>
        {t('policy.notice', { version: stored.notice.version })}
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
      <Outcome error={save.error} done={save.isSuccess ? t('common.saved') : null} />
    </form>
  );
}
