import type { Grant, GrantOptions, SetupLinkResponse, UserRow } from '@seatwatch/shared/dashboard-api';
import { type FormEvent, Fragment, useCallback, useEffect, useState } from 'react';
import { users } from '../api/client.js';
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
  onSaved,
  onLink,
}: {
  user: UserRow;
  options: GrantOptions;
  onSaved: () => void;
  onLink: (link: SetupLinkResponse) => void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const [grants, setGrants] = useState<Grant[]>(user.grants);
  const [displayName, setDisplayName] = useState(user.displayName);
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<unknown>) => {
    try {
      await action();
      setError(null);
      onSaved();
    } catch (caught) {
      setError(errorText(i18n, caught));
    }
  };
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
          onClick={() => void run(() => users.update(user.id, { displayName, grants }))}
        >
          {t('common.save')}
        </button>
        <button type="button" onClick={() => void run(async () => onLink(await users.resetLink(user.id)))}>
          {t('users.newLink')}
        </button>
        <button
          type="button"
          onClick={() => void run(() => users.update(user.id, { disabled: !user.disabled }))}
        >
          {user.disabled ? t('users.enable') : t('users.disable')}
        </button>
        <button type="button" onClick={() => void run(() => users.revokeSessions(user.id))}>
          {t('users.signOutEverywhere')}
        </button>
      </div>
      {error && <p className="error">{error}</p>}
    </div>
  );
}

export function UsersPage() {
  const i18n = useI18n();
  const { t, dateTime } = i18n;
  const [list, setList] = useState<UserRow[] | null>(null);
  const [options, setOptions] = useState<GrantOptions | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [link, setLink] = useState<SetupLinkResponse | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [grants, setGrants] = useState<Grant[]>([]);

  const load = useCallback(async () => {
    try {
      const [rows, grantOptions] = await Promise.all([users.list(), users.grantOptions()]);
      setList(rows);
      setOptions(grantOptions);
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    try {
      setLink(await users.create({ username, displayName, grants }));
      setUsername('');
      setDisplayName('');
      setGrants([]);
      await load();
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <section>
      <h2>{t('users.title')}</h2>
      {error !== null && <p className="error">{errorText(i18n, error)}</p>}
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
              <th />
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
                        : user.lockedUntil && user.lockedUntil > Date.now()
                          ? t('users.locked')
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
                      <UserEditor
                        user={user}
                        options={options}
                        onSaved={() => void load()}
                        onLink={setLink}
                      />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
      {options && (
        <form className="card" onSubmit={(event) => void create(event)}>
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
