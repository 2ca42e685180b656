/**
 * The policy heartbeat that applies to an agent (its site's policy, else
 * its project's), kept a minute: the silence rule asks on every connect.
 */
import type { Db } from '../../db/connect.js';
import { effectivePolicy } from '../../tenancy/tenancy.repository.js';

const KEEP_MS = 60_000;

export type HeartbeatLookup = (projectId: string, siteId: string | null) => Promise<number>;

export function createHeartbeatLookup(db: Db, now: () => number): HeartbeatLookup {
  const heartbeats = new Map<string, { value: Promise<number>; expiresAt: number }>();
  return (projectId, siteId) => {
    const key = `${projectId}/${siteId ?? ''}`;
    const hit = heartbeats.get(key);
    if (hit && hit.expiresAt > now()) return hit.value;
    const value = effectivePolicy(db, projectId, siteId).then((p) => p.policy.heartbeatMs);
    heartbeats.set(key, { value, expiresAt: now() + KEEP_MS });
    value.catch(() => heartbeats.delete(key));
    return value;
  };
}
