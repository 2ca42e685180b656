/**
 * The audit log on both databases: entries chain, the database refuses to
 * change or remove them, and a row changed behind the server's back (a
 * superuser who disables the trigger first) is named by verify-audit.
 */

import { createTestDatabase, DB_KINDS, type TestDatabase } from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntryHash, chainEntry, findChainBreak, GENESIS_HASH } from '../../src/audit/audit-chain.js';
import { auditPage, recordAudit } from '../../src/audit/audit-log.js';
import { describeVerification, verifyAuditLog } from '../../src/audit/verify-audit.js';
import { runInvestigationCommand } from '../../src/cli/investigation-cli.js';
import { configWith } from '../../src/config.js';

describe.each(DB_KINDS)('audit log on %s', (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  /** Runs SQL as a superuser on the test database: a separate connection on PostgreSQL, PGlite's only user otherwise. */
  async function asSuperuser(statements: string[]): Promise<void> {
    if (kind === 'pglite') {
      for (const statement of statements) await db.database.db.execute(sql.raw(statement));
      return;
    }
    const client = new pg.Client({ connectionString: db.url! });
    await client.connect();
    try {
      for (const statement of statements) await client.query(statement);
    } finally {
      await client.end();
    }
  }

  it('chains entries from the genesis hash and verifies', async () => {
    const first = await recordAudit(
      db.database.db,
      { actor: 'user:alice', action: 'timeline.read', reason: 'case 1' },
      1_000,
    );
    const second = await recordAudit(
      db.database.db,
      { actor: 'user:bob', action: 'screenshot.view', details: { nested: { b: 1, a: [1, 'x\u0000y'] } } },
      2_000,
    );
    expect(first.seq).toBe(1);
    expect(first.prevHash).toBe(GENESIS_HASH);
    expect(second.prevHash).toBe(first.hash);
    expect(second.details).toEqual({ nested: { a: [1, 'xy'], b: 1 } });
    const result = await verifyAuditLog(db.database.db);
    expect(result).toMatchObject({ ok: true, entries: 2, head: { seq: 2, hash: second.hash } });
  });

  it('commits an entry with the caller’s transaction, or not at all', async () => {
    await expect(
      db.database.db.transaction(async (tx) => {
        await recordAudit(tx, { actor: 'user:carol', action: 'case.update' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const count = await countRows();
    expect(count).toBe(2);
  });

  async function countRows(): Promise<number> {
    const result = (await db.database.db.execute(
      sql`select count(*)::int as n from audit_log`,
    )) as unknown as {
      rows: Array<{ n: number }>;
    };
    return result.rows[0]!.n;
  }

  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    await expect(
      db.database.db.execute(sql`update audit_log set reason = 'rewritten' where seq = 1`),
    ).rejects.toThrow();
    await expect(db.database.db.execute(sql`delete from audit_log where seq = 2`)).rejects.toThrow();
    await expect(db.database.db.execute(sql`truncate audit_log`)).rejects.toThrow();
    expect(await countRows()).toBe(2);
  });

  it('names the first entry changed behind its back', async () => {
    for (let i = 0; i < 5; i++)
      await recordAudit(db.database.db, { actor: 'user:dave', action: 'timeline.read' }, 3_000 + i);
    await asSuperuser([
      'alter table audit_log disable trigger audit_log_no_update_delete',
      "update audit_log set reason = 'nothing to see' where seq = 4",
      'alter table audit_log enable trigger audit_log_no_update_delete',
    ]);
    const result = await verifyAuditLog(db.database.db, { pageSize: 3 });
    expect(result.ok).toBe(false);
    expect(result.firstBreak).toEqual({
      seq: 4,
      problem: 'content does not match its hash (the entry was changed)',
    });
    expect(describeVerification(result)).toContain('BROKEN at entry seq 4');
  });

  it('names the gap where an entry was removed', async () => {
    await asSuperuser([
      'alter table audit_log disable trigger audit_log_no_update_delete',
      'delete from audit_log where seq = 2',
      'alter table audit_log enable trigger audit_log_no_update_delete',
    ]);
    const result = await verifyAuditLog(db.database.db);
    expect(result.firstBreak).toEqual({ seq: 3, problem: 'entry 2 is missing' });
  });

  it('pages the log newest first; an action filter takes the action and its dotted children', async () => {
    const recorded = [];
    for (const action of ['case.read', 'casework', 'case.note', 'case']) {
      recorded.push(await recordAudit(db.database.db, { actor: 'user:pager', action }, 10_000));
    }
    const filter = { projectIds: null, actor: 'user:pager', action: 'case', limit: 2 };
    const newest = await auditPage(db.database.db, filter);
    expect(newest.entries.map((entry) => entry.action)).toEqual(['case', 'case.note']);
    expect(newest.nextBeforeSeq).toBe(newest.entries[1]!.seq);
    const older = await auditPage(db.database.db, { ...filter, beforeSeq: newest.nextBeforeSeq! });
    expect(older).toEqual({ entries: [recorded[0]], nextBeforeSeq: null });
  });

  if (kind === 'postgres') {
    it('builds one gapless chain from many concurrent writers', async () => {
      const fresh = await createTestDatabase('postgres');
      try {
        await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            recordAudit(fresh.database.db, {
              actor: `user:u${i % 4}`,
              action: 'timeline.read',
              details: { i },
            }),
          ),
        );
        expect(await verifyAuditLog(fresh.database.db)).toMatchObject({ ok: true, entries: 40 });
        // The command line tool says the same (exit 0), and exit 1 after a tamper.
        const lines: string[] = [];
        const io = {
          out: (text: string) => lines.push(text),
          err: (text: string) => lines.push(text),
          readConfig: () => configWith({ databaseUrl: fresh.url!, dataDir: '/nonexistent-seatwatch' }),
          cwd: process.cwd(),
        };
        expect(await runInvestigationCommand(['verify-audit'], io)).toBe(0);
        // It also says that, with no checkpoints given, a cut tail or a full rewrite could not be seen.
        expect(lines).toContainEqual(
          expect.stringMatching(/^audit log OK: 40 entries, head seq 40 hash [0-9a-f]{64}$/),
        );
        expect(lines).toContainEqual(expect.stringMatching(/^no checkpoints /));
        lines.length = 0;
        const client = new pg.Client({ connectionString: fresh.url! });
        await client.connect();
        await client.query('alter table audit_log disable trigger audit_log_no_update_delete');
        await client.query(`update audit_log set actor = 'user:someone-else' where seq = 17`);
        await client.end();
        expect(await runInvestigationCommand(['verify-audit'], io)).toBe(1);
        expect(lines).toContainEqual(expect.stringContaining('BROKEN at entry seq 17'));
      } finally {
        await fresh.close();
      }
    }, 60_000);
  }
});

describe('chainEntry', () => {
  const fields = (at: number) => ({
    at,
    actor: 'user:alice',
    actorId: null,
    action: 'case.read',
    outcome: 'success' as const,
    projectId: 'p1',
    seatId: null,
    caseId: 'c1',
    target: { kind: 'case', id: 'c1' },
    reason: null,
    ip: '10.0.0.1',
    details: {},
  });

  it('starts at seq 1 from the genesis hash, then links each entry to the one before it', () => {
    const first = chainEntry(null, fields(1_000));
    const second = chainEntry(first, fields(2_000));
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH });
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash });
    const { hash, ...draft } = second;
    expect(hash).toBe(auditEntryHash(draft));
    expect(findChainBreak([first, second], null)).toBeNull();
  });

  it('continues a chain from its last link, which findChainBreak checks', () => {
    const next = chainEntry({ seq: 41, hash: 'a'.repeat(64) }, fields(3_000));
    expect(next).toMatchObject({ seq: 42, prevHash: 'a'.repeat(64) });
    expect(findChainBreak([next], { seq: 41, hash: 'a'.repeat(64) })).toBeNull();
    expect(findChainBreak([{ ...next, actor: 'user:mallory' }], { seq: 41, hash: 'a'.repeat(64) })).toEqual({
      seq: 42,
      problem: 'content does not match its hash (the entry was changed)',
    });
  });
});
