import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countStatements } from '../load/statement-log.js';

describe('countStatements', () => {
  it('counts one database’s statements by text, including ones that start on the next line', () => {
    const log = [
      '2026-11-25 20:19:01.001 UTC [11] postgres@seatwatch_bench_aa LOG:  execute <unnamed>: begin',
      '2026-11-25 20:19:01.002 UTC [11] postgres@seatwatch_bench_aa LOG:  execute <unnamed>: ',
      '\t      insert into events (project_id, agent_id)',
      '\t      select project_id, agent_id from jsonb_to_recordset($1)',
      '2026-11-25 20:19:01.003 UTC [11] postgres@seatwatch_bench_aa LOG:  execute <unnamed>: commit',
      '2026-11-25 20:19:01.004 UTC [12] postgres@seatwatch_test_bb LOG:  execute <unnamed>: begin',
      '2026-11-25 20:19:01.005 UTC [11] postgres@seatwatch_bench_aa LOG:  statement: begin',
      '2026-11-25 20:19:01.006 UTC [11] postgres@seatwatch_bench_aa ERROR:  something',
    ].join('\n');
    const file = join(mkdtempSync(join(tmpdir(), 'pglog-')), 'postgresql.log');
    writeFileSync(file, log);
    expect(countStatements('seatwatch_bench_aa', 0, log.length, file)).toEqual([
      { statement: 'begin', count: 2 },
      { statement: 'insert into events (project_id, agent_id)', count: 1 },
      { statement: 'commit', count: 1 },
    ]);
    const firstLineOnly = log.indexOf('\n') + 1;
    expect(countStatements('seatwatch_bench_aa', 0, firstLineOnly, file)).toEqual([
      { statement: 'begin', count: 1 },
    ]);
  });
});
