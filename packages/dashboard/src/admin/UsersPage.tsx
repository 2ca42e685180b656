import type { Grant, GrantOptions, SetupLinkResponse, UserRow } from '@seatwatch/shared/dashboard-api';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { users } from '../api/client.js';
import { changed, queries } from '../api/queries.js';
import { errorText } from '../app/errors.js';
import { useI18n } from '../i18n/i18n-context.js';
import { GrantEditor, grantLabel } from './GrantEditor.js';

function OneTimeLink({ link, onClose }: { link: SetupLinkResponse; onClose: () => void }) {
  const { t, dateTime } = useI18n();
  return (
    <div className="notice ok one-time" role="status">
      <p>{t('users.linkOnce', { username: link.user.username, expires: dateTime(link.expiresAt) })}</p>
      <input
        readOnly
        value={link.setupUrl}
        data-testid="setup-link"
        onFocus={(event) => event.target.select()}
      />
      <button type="button" onClick={onClose}>
        {t('common.close')}
      </button>
    </div>
  );
}

function UserEditor({
  user,
  options,
  onLink,
}: {
  user: UserRow;
  options: GrantOptions;
  onLink: (link: SetupLinkResponse) => void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const client = useQueryClient();
  const [grants, setGrants] = useState<Grant[]>(user.grants);
  const [displayName, setDisplayName] = useState(user.displayName);
  const change = useMutation({
    mutationFn: (send: () => Promise<unknown>) => send(),
    onSuccess: () => changed.users(client),
  });
  const run = (send: () => Promise<unknown>) => change.mutate(send);
  return (
    <div className="editor">
      <label>
        {t('users.displayName')}
        <input value={displayName} maxLength={128} onChange={(event) => setDisplayName(event.target.value)} />
      </label>
      <GrantEditor grants={grants} options={options} onChange={setGrants} />
      <div className="row">
        <button
          type="button"
          className="primary"
          onClick={() => run(() => users.update(user.id, { displayName, grants }))}
        >
          {t('common.save')}
        </button>
        <button type="button" onClick={() => run(async () => onLink(await users.resetLink(user.id)))}>
          {t('users.newLink')}
        </button>
        <button type="button" onClick={() => run(() => users.update(user.id, { disabled: !user.disabled }))}>
          {user.disabled ? t('users.enable') : t('users.disable')}
        </button>
        <button type="button" onClick={() => run(() => users.revokeSessions(user.id))}>
          {t('users.signOutEverywhere')}
        </button>
      </div>
      {change.error && <p className="error">{errorText(i18n, change.error)}</p>}
    </div>
  );
}

export function UsersPage() {
  const i18n = useI18n();
  const { t, dateTime } = i18n;
  const client = useQueryClient();
  const { data: list, error: listError } = useQuery(queries.users());
  const { data: options, error: optionsError } = useQuery(queries.grantOptions());
  const [link, setLink] = useState<SetupLinkResponse | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [grants, setGrants] = useState<Grant[]>([]);

  const create = useMutation({
    mutationFn: () => users.create({ username, displayName, grants }),
    onSuccess: (made) => {
      setLink(made);
      setUsername('');
      setDisplayName('');
      setGrants([]);
      return changed.users(client);
    },
  });
  const error = create.error ?? listError ?? optionsError;

  return (
    <section>
      <h2>{t('users.title')}</h2>
      {error && <p className="error">{errorText(i18n, error)}</p>}
      {link && <OneTimeLink link={link} onClose={() => setLink(null)} />}
      {list && options && (
        <table className="data">
          <thead>
            <tr>
              <th>{t('users.username')}</th>
              <th>{t('users.displayName')}</th>
              <th>{t('users.grants')}</th>
              <th>{t('users.twoFactor')}</th>
              <th>{t('users.status')}</th>
              <th>{t('users.lastLogin')}</th>
              <th>
                <span className="sr-only">{t('common.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((user) => (
              <Fragment key={user.id}>
                <tr data-testid="user-row" data-username={user.username}>
                  <td>{user.username}</td>
                  <td>{user.displayName}</td>
                  <td>{user.grants.map((grant) => grantLabel(t, grant, options)).join(', ')}</td>
                  <td>{user.totpEnabled ? t('common.yes') : t('common.no')}</td>
                  <td>
                    {user.disabled
                      ? t('users.disabled')
                      : user.pendingSetup
                        ? t('users.pendingSetup')
                        : t('users.active')}
                  </td>
                  <td>{user.lastLoginAt ? dateTime(user.lastLoginAt) : t('common.none')}</td>
                  <td>
                    {user.manageable && (
                      <button
                        type="button"
                        className="link"
                        onClick={() => setEditing(editing === user.id ? null : user.id)}
                      >
                        {t('common.edit')}
                      </button>
                    )}
                  </td>
                </tr>
                {editing === user.id && (
                  <tr>
                    <td colSpan={7}>
                      <UserEditor user={user} options={options} onLink={setLink} />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
      {options && (
        <form
          className="card"
          onSubmit={(event) => {
            event.preventDefault();
            create.mutate();
          }}
        >
          <h3>{t('users.create')}</h3>
          <div className="row">
            <label>
              {t('users.username')}
              <input
                value={username}
                onChange={(event) => setUsername(event.target.value)}
                required
                maxLength={64}
              />
            </label>
            <label>
              {t('users.displayName')}
              <input
                value={displayName}
                onChange={(event) => setDisplayName(event.target.value)}
                maxLength={128}
              />
            </label>
          </div>
          <GrantEditor grants={grants} options={options} onChange={setGrants} />
          <button type="submit" className="primary">
            {t('users.createSubmit')}
          </button>
        </form>
      )}
    </section>
  );
}
