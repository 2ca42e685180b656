/**
 * The networks the dashboard accepts sign-ins and sessions from (empty:
 * anywhere), kept by installation administrators. Every authenticated
 * request asks the network check, so it reads the list at most every
 * ALLOWLIST_CACHE_MS; saving drops the cache of this process at once, other
 * processes follow within that time.
 */
import { SeatwatchError } from '@seatwatch/shared';
import type { Db } from '../db/connect.js';
import { type AllowlistRange, decideIp, normalizeCidr } from '../domain/allowlist.js';
import { can, INSTALLATION, type Principal } from '../domain/authz-policy.js';
import * as repo from './accounts.repository.js';

const ALLOWLIST_CACHE_MS = 5_000;

export interface DashboardNetworkCheck {
  /** Throws `ip_not_allowed` for an address the list leaves out. */
  check(ip: string): Promise<void>;
  /** The list changed: read it again at the next check. */
  forget(): void;
}

const rangesOf = (entries: readonly Pick<repo.DashboardAllowlistEntry, 'cidr'>[]): AllowlistRange[] =>
  entries.map(({ cidr }) => ({ cidr, siteId: null }));

export function createDashboardNetworkCheck(deps: { db: Db; now: () => number }): DashboardNetworkCheck {
  let cache: { at: number; ranges: AllowlistRange[] } | null = null;
  const ranges = async () => {
    const at = deps.now();
    if (!cache || at - cache.at > ALLOWLIST_CACHE_MS) {
      cache = { at, ranges: rangesOf(await repo.listDashboardAllowlist(deps.db)) };
    }
    return cache.ranges;
  };
  return {
    async check(ip) {
      if (!decideIp(ip, await ranges()).allowed) {
        throw new SeatwatchError(
          'ip_not_allowed',
          'the dashboard does not accept sign-ins from this network',
        );
      }
    },
    forget() {
      cache = null;
    },
  };
}

export type DashboardAllowlistService = ReturnType<typeof createDashboardAllowlistService>;

export function createDashboardAllowlistService(deps: { db: Db; network: DashboardNetworkCheck }) {
  const { db } = deps;
  const requireInstallationAdministrator = (viewer: Principal) => {
    if (!can(viewer, 'installation.manage', INSTALLATION)) throw new SeatwatchError('forbidden');
  };
  return {
    async dashboardAllowlist(viewer: Principal): Promise<repo.DashboardAllowlistEntry[]> {
      requireInstallationAdministrator(viewer);
      return repo.listDashboardAllowlist(db);
    },

    /** Replaces the list; refuses one that would lock out the administrator saving it. */
    async saveDashboardAllowlist(
      viewer: Principal,
      entries: readonly repo.DashboardAllowlistEntry[],
      ip: string,
    ): Promise<repo.DashboardAllowlistEntry[]> {
      requireInstallationAdministrator(viewer);
      const normal = new Map<string, repo.DashboardAllowlistEntry>();
      for (const entry of entries) {
        const cidr = normalizeCidr(entry.cidr);
        if (!cidr)
          throw new SeatwatchError('bad_request', `not an IP address or CIDR: ${entry.cidr.slice(0, 64)}`);
        normal.set(cidr, { cidr, note: entry.note.trim() });
      }
      const list = [...normal.values()];
      if (viewer.kind === 'user' && !decideIp(ip, rangesOf(list)).allowed) {
        throw new SeatwatchError('conflict', `the list must include your own address (${ip})`);
      }
      await db.transaction((tx) => repo.replaceDashboardAllowlist(tx, list));
      deps.network.forget();
      return repo.listDashboardAllowlist(db);
    },
  };
}
