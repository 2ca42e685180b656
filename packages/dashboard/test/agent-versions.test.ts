/** The rollout view's arithmetic (admin/project/agent-versions.ts): versions per seat, newest first, who is behind. */
import type { ProjectAgent } from '@seatwatch/shared/dashboard-api';
import { describe, expect, it } from 'vitest';
import { compareVersions, isBehind, versionCounts } from '../src/admin/project/agent-versions.js';

const agent = (id: string, agentVersion: string, status = 'active'): ProjectAgent => ({
  id,
  projectId: 'p',
  seatId: `seat-${id}`,
  status,
  hostname: `host-${id}`,
  os: 'Linux 6.1.0 x64',
  osUser: 'operator',
  agentVersion,
  enrolledAt: '2026-12-01T08:00:00.000Z',
  lastSeenAt: null,
  connected: false,
  revokedAt: status === 'revoked' ? '2026-12-02T08:00:00.000Z' : null,
});

describe('compareVersions', () => {
  it.each([
    ['0.9.1', '0.10.0', -1],
    ['0.1.0', '0.1.0+upgrade1', -1],
    ['1.2.3', '1.2.3', 0],
    ['2.0.0', '1.99.99', 1],
    ['0.1.0', 'weird\u202e', -1],
  ])('%s against %s', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
    expect(Math.sign(compareVersions(b, a))).toBe(-sign || 0);
  });
});

describe('versionCounts and isBehind', () => {
  const agents = [
    agent('a', '0.1.0'),
    agent('b', '0.10.0'),
    agent('c', '0.9.2'),
    agent('d', '0.10.0'),
    agent('e', '0.1.0', 'revoked'),
  ];
  const counts = versionCounts(agents);

  it('counts active agents per version, newest first; revoked ones are not in use', () => {
    expect(counts).toEqual([
      { version: '0.10.0', count: 2 },
      { version: '0.9.2', count: 1 },
      { version: '0.1.0', count: 1 },
    ]);
  });

  it('marks the seats behind the newest version, never a revoked one', () => {
    expect(agents.filter((each) => isBehind(each, counts)).map((each) => each.id)).toEqual(['a', 'c']);
  });

  it('has nothing behind when every seat runs one version, or there is none', () => {
    expect(isBehind(agent('x', '1.0.0'), versionCounts([agent('x', '1.0.0')]))).toBe(false);
    expect(versionCounts([])).toEqual([]);
  });
});
