/**
 * Following a rollout: how many active agents run each version, newest first,
 * and which seats are behind the newest. Versions are whatever the seats
 * reported (untrusted text): numbers compare as numbers (0.10.0 after 0.9.1),
 * anything else as text, so a strange value sorts somewhere, never throws.
 */
import type { ProjectAgent } from '@seatwatch/shared/dashboard-api';

const parts = (version: string) => version.split(/([0-9]+)/).filter((part) => part !== '');

/** Negative when a is older than b, in the order of dotted version numbers. */
export function compareVersions(a: string, b: string): number {
  const left = parts(a);
  const right = parts(b);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i];
    const y = right[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const numeric = /^[0-9]+$/.test(x) && /^[0-9]+$/.test(y);
    const order = numeric ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
    if (order !== 0) return order;
  }
  return 0;
}

export interface VersionCount {
  readonly version: string;
  readonly count: number;
}

/** Active (not revoked) agents per version, newest version first. */
export function versionCounts(agents: readonly ProjectAgent[]): VersionCount[] {
  const counts = new Map<string, number>();
  for (const agent of agents) {
    if (agent.status === 'revoked') continue;
    counts.set(agent.agentVersion, (counts.get(agent.agentVersion) ?? 0) + 1);
  }
  return [...counts]
    .map(([version, count]) => ({ version, count }))
    .sort((a, b) => compareVersions(b.version, a.version));
}

/** Whether this agent runs an older version than the newest any active agent of the project runs. */
export function isBehind(agent: ProjectAgent, counts: readonly VersionCount[]): boolean {
  const newest = counts[0]?.version;
  return (
    newest !== undefined && agent.status !== 'revoked' && compareVersions(agent.agentVersion, newest) < 0
  );
}
