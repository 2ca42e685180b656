// One database each: database roles are PostgreSQL's; the embedded part opens a PGlite folder of its own.
/**
 * verify-audit only reads (issue #11): on real PostgreSQL it runs as an
 * auditor's role that has nothing but CONNECT and SELECT on audit_log (a
 * migrating open fails as that role), it never migrates a database (an
 * empty one stays empty), and on the embedded database it opens an
 * existing folder and never creates one.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPostgresDatabase,
  createTestDatabase,
  POSTGRES_ADMIN_URL,
  type TestDatabase,
} from '@seatwatch/testkit/server';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/audit/audit-log.js';
import { verifyAuditLog } from '../../src/audit/verify-audit.js';
import { runInvestigationCommand } from '../../src/cli/investigation-cli.js';
import { configWith } from '../../src/config.js';
import { withDatabase, withReadOnlyDatabase } from '../../src/startup/startup.js';

async function verifyAuditCli(config: ReturnType<typeof configWith>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runInvestigationCommand(['verify-audit'], {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    readConfig: () => config,
    cwd: process.cwd(),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function asSuperuser<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('verify-audit on PostgreSQL as a read-only auditor role', () => {
  let db: TestDatabase;
  const role = `seatwatch_auditor_${randomBytes(4).toString('hex')}`;
  let auditorUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    for (let i = 0; i < 5; i++) {
      await recordAudit(db.database.db, { actor: 'user:alice', action: 'timeline.read', details: { i } });
    }
    const dbName = new URL(db.url!).pathname.slice(1);
    await asSuperuser(db.url!, async (client) => {
      await client.query(`create role ${role} login`);
      // Nothing for everyone else's defaults either: only what the docs grant.
      await client.query(`revoke all on database ${dbName} from public`);
      await client.query(`revoke create on schema public from public`);
      await client.query(`grant connect on database ${dbName} to ${role}`);
      await client.query(`grant select on audit_log to ${role}`);
    });
    const url = new URL(db.url!);
    url.username = role;
    auditorUrl = url.toString();
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await asSuperuser(POSTGRES_ADMIN_URL, (client) => client.query(`drop role if exists ${role}`));
  });

  it('the role can do nothing but read the audit log: a migrating open fails as it, on CREATE SCHEMA', async () => {
    await expect(withDatabase(configWith({ databaseUrl: auditorUrl }), async () => {})).rejects.toThrow(
      /CREATE SCHEMA/,
    );
  });

  it('verifies as that role, from the command line (exit 0) and as a function', async () => {
    const result = await verifyAuditCli(
      configWith({ databaseUrl: auditorUrl, dataDir: '/nonexistent-seatwatch' }),
    );
    expect(result.err).toBe('');
    expect(result).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^audit log OK: 5 entries, head seq 5 /),
    });
    // Without checkpoints it says what it cannot see.
    expect(result.out).toContain(
      'no checkpoints (none given, none at /nonexistent-seatwatch/audit-checkpoints.jsonl)',
    );
    const direct = await withReadOnlyDatabase(configWith({ databaseUrl: auditorUrl }), (database) =>
      verifyAuditLog(database.db),
    );
    expect(direct).toMatchObject({ ok: true, entries: 5 });
  });

  it('and still names a changed entry (exit 1)', async () => {
    await asSuperuser(db.url!, async (client) => {
      await client.query('alter table audit_log disable trigger audit_log_no_update_delete');
      await client.query(`update audit_log set actor = 'user:mallory' where seq = 3`);
      await client.query('alter table audit_log enable trigger audit_log_no_update_delete');
    });
    const result = await verifyAuditCli(configWith({ databaseUrl: auditorUrl }));
    expect(result).toMatchObject({ code: 1, err: expect.stringContaining('BROKEN at entry seq 3') });
  });

  it('opens PostgreSQL read-only even for a role that could write', async () => {
    await expect(
      withReadOnlyDatabase(configWith({ databaseUrl: db.url! }), (database) =>
        database.pool!.query('create table should_not_exist (a int)'),
      ),
    ).rejects.toThrow(/read-only transaction/);
  });
});

describe('verify-audit never migrates', () => {
  it('says a PostgreSQL database that was never migrated has no audit log, and leaves it empty', async () => {
    const empty = await createPostgresDatabase();
    try {
      // As the superuser, who could migrate: it must not.
      const result = await verifyAuditCli(configWith({ databaseUrl: empty.url }));
      expect(result).toMatchObject({ code: 1, err: expect.stringContaining('never migrated') });
      const made = await asSuperuser(empty.url, (client) =>
        client.query<{ n: number }>(
          `select count(*)::int as n from pg_namespace where nspname = 'drizzle'
           union all select count(*)::int from pg_tables where schemaname = 'public'`,
        ),
      );
      expect(made.rows.map((row) => row.n)).toEqual([0, 0]);
    } finally {
      await empty.drop();
    }
  });

  describe('on the embedded database', () => {
    let dataDir: string;
    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'seatwatch-verify-audit-'));
    });
    afterAll(async () => {
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    it('refuses a data folder without a database, and creates none', async () => {
      const result = await verifyAuditCli(configWith({ dataDir }));
      expect(result).toMatchObject({ code: 1, err: expect.stringContaining('no embedded database') });
      expect(existsSync(join(dataDir, 'pglite'))).toBe(false);
    });

    it('verifies an existing one', async () => {
      await withDatabase(configWith({ dataDir }), async (database) => {
        await recordAudit(database.db, { actor: 'cli', action: 'offboard.export' });
        await recordAudit(database.db, { actor: 'cli', action: 'offboard.purge' });
      });
      const result = await verifyAuditCli(configWith({ dataDir }));
      expect(result).toMatchObject({ code: 0, out: expect.stringMatching(/^audit log OK: 2 entries/) });
    }, 60_000);
  });
});
