import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { moduleOf, summarizeCpuProfile } from '../load/cpu-profile-summary.js';

describe('moduleOf', () => {
  it('names packages, our folders and node internals', () => {
    expect(moduleOf('file:///r/node_modules/.pnpm/pg@8.23.1/node_modules/pg/lib/client.js', 'query')).toBe(
      'pg',
    );
    expect(
      moduleOf(
        'file:///r/node_modules/.pnpm/@electric-sql+pglite@0.5.16/node_modules/@electric-sql/pglite/dist/x.js',
        'f',
      ),
    ).toBe('@electric-sql/pglite');
    expect(moduleOf('file:///r/packages/server/dist/ingest/group-committer.js', 'f')).toBe(
      '@seatwatch/server/ingest/group-committer',
    );
    expect(moduleOf('node:internal/crypto/sig', 'verify')).toBe('node:crypto/sig');
    expect(moduleOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(moduleOf('', 'parse')).toBe('(native) parse');
  });
});

describe('summarizeCpuProfile', () => {
  it('adds self time by module and inclusive time up the stack, leaving idle out', () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 4] },
        {
          id: 2,
          callFrame: { functionName: 'handle', url: 'file:///r/packages/server/dist/a/b.js', lineNumber: 9 },
          children: [3],
        },
        { id: 3, callFrame: { functionName: 'verify', url: 'node:internal/crypto/sig', lineNumber: 0 } },
        { id: 4, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
      ],
      samples: [2, 3, 3, 3, 4],
      timeDeltas: [1000, 1000, 1000, 1000, 6000],
      startTime: 0,
      endTime: 10_000,
    };
    const file = join(mkdtempSync(join(tmpdir(), 'profile-')), 'p.cpuprofile');
    writeFileSync(file, JSON.stringify(profile));
    const summary = summarizeCpuProfile(file);
    expect(summary.busyPercent).toBe(40);
    expect(summary.byModule).toEqual([
      { name: 'node:crypto/sig', ms: 3, percent: 75 },
      { name: '@seatwatch/server/a/b', ms: 1, percent: 25 },
    ]);
    expect(summary.topInclusive[0]).toEqual({ name: 'handle @seatwatch/server/a/b:10', ms: 4, percent: 100 });
  });
});
