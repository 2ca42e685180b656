/** The allowlist check against the database's current entries (read each time: other processes may edit them). */

import type { Executor } from '../db/connect.js';
import { applicableRanges, decideIp, type IpDecision } from '../domain/allowlist.js';
import { listAllowlist } from './allowlist.repository.js';

export async function checkIpAccess(
  ex: Executor,
  projectId: string,
  siteId: string | null,
  ip: string,
): Promise<IpDecision> {
  const entries = await listAllowlist(ex, projectId);
  return decideIp(ip, applicableRanges(entries, siteId));
}
