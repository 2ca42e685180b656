/**
 * The installation's first administrator: made at the first start, with a
 * setup link that main.ts prints (never logs) until someone uses it.
 */
import type { Db } from '../db/connect.js';
import * as repo from './accounts.repository.js';
import { issueSetupLink } from './setup-links.service.js';

const FIRST_ADMIN_USERNAME = 'admin';
const FIRST_START = 'first start';

export type FirstAdministratorService = ReturnType<typeof createFirstAdministratorService>;

export function createFirstAdministratorService(deps: { db: Db; now: () => number }) {
  return {
    /**
     * At start: with no account at all, creates the administrator of the
     * installation and returns a one-time setup token for it. While that
     * administrator has not finished setup and holds no open link (it
     * expired), each start makes a new one. Otherwise null.
     */
    async ensureFirstAdministrator(): Promise<{ username: string; token: string; expiresAt: number } | null> {
      return deps.db.transaction(async (tx) => {
        await repo.lockFirstAdministrator(tx);
        if ((await repo.countUsers(tx)) === 0) {
          const user = await repo.insertUser(tx, {
            username: FIRST_ADMIN_USERNAME,
            displayName: '',
            createdBy: FIRST_START,
          });
          await repo.replaceGrants(tx, user.id, [{ role: 'administrator', projectId: null, teamId: null }]);
          return { username: user.username, ...(await issueSetupLink(tx, deps.now(), user.id, FIRST_START)) };
        }
        const first = await repo.findUserByUsername(tx, FIRST_ADMIN_USERNAME);
        if (
          first &&
          first.createdBy === FIRST_START &&
          first.passwordHash === null &&
          !(await repo.hasOpenSetupLink(tx, first.id, new Date(deps.now())))
        ) {
          return {
            username: first.username,
            ...(await issueSetupLink(tx, deps.now(), first.id, FIRST_START)),
          };
        }
        return null;
      });
    },
  };
}
