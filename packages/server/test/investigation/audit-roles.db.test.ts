// PostgreSQL for the roles (PGlite has none); the checks that hold on PGlite too run on both at the end.
/**
 * Two database roles (issue #11): the owner runs migrate, the server runs
 * as an application role that owns nothing and may only append to and
 * read the audit log. As that role every way of changing the log is
 * refused; started as a role that could change it the server says so, and
 * in production mode refuses. Sequence numbers never go back, and migrate
 * puts back triggers someone dropped.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  createPostgresDatabase,
  createTestDatabase,
  DB_KINDS,
  POSTGRES_ADMIN_URL,
  spawnServer,
  type TestDatabase,
} from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/audit/audit-log.js';
import { verifyAuditLog } from '../../src/audit/verify-audit.js';
import { runInvestigationCommand } from '../../src/cli/investigation-cli.js';
import { configWith } from '../../src/config.js';
import { databaseRolesScript } from '../../src/db/audit-protection.js';
import { type Executor, openDatabase } from '../../src/db/connect.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { AlterableAuditLogError, checkAuditLogRole } from '../../src/startup/audit-log-role.js';
import { startServer, withDatabase } from '../../src/startup/startup.js';

async function asRole<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The database's own message of a refused statement (drizzle wraps it as the cause). */
async function refusal(query: Promise<unknown>): Promise<string> {
  try {
    await query;
  } catch (error) {
    return String((error as { cause?: Error }).cause?.message ?? (error as Error).message);
  }
  return 'not refused';
}

function urlAs(url: string, role: string): string {
  const next = new URL(url);
  next.username = role;
  return next.toString();
}

const GUARDS = [
  'audit_chain_head_forward_only',
  'audit_chain_head_no_truncate',
  'audit_log_no_truncate',
  'audit_log_no_update_delete',
];

/** The guard triggers present and enabled ('O'), by name. */
async function enabledGuards(ex: Executor): Promise<string[]> {
  const result = (await ex.execute(
    sql`select tgname::text as name from pg_trigger
        where tgrelid in ('audit_log'::regclass, 'audit_chain_head'::regclass) and not tgisinternal and tgenabled = 'O'
        order by 1`,
  )) as unknown as { rows: Array<{ name: string }> };
  return result.rows.map((row) => row.name);
}

describe('two database roles on PostgreSQL', () => {
  const suffix = randomBytes(4).toString('hex');
  const owner = `seatwatch_owner_${suffix}`;
  const app = `seatwatch_app_${suffix}`;
  let database: { url: string; drop: () => Promise<void> };
  let ownerUrl: string;
  let appUrl: string;
  let dataDir: string;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'seatwatch-roles-'));
    const name = new URL(database.url).pathname.slice(1);
    // What the docs tell a superuser to run, as `db-roles` prints it.
    await asRole(database.url, async (client) => {
      for (const statement of databaseRolesScript({ owner, app, database: name }))
        await client.query(statement);
    });
    ownerUrl = urlAs(database.url, owner);
    appUrl = urlAs(database.url, app);
    await withDatabase(configWith({ databaseUrl: ownerUrl, databaseAppRole: app }), async () => {});
  }, 120_000);

  afterAll(async () => {
    await database?.drop();
    await asRole(POSTGRES_ADMIN_URL, async (client) => {
      await client.query(`drop role if exists ${app}`);
      await client.query(`drop role if exists ${owner}`);
    });
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const serverConfig = (url: string, values: Record<string, unknown> = {}) =>
    configWith({
      databaseUrl: url,
      dataDir,
      port: 0,
      logLevel: 'silent',
      retention: { intervalMs: 0 },
      auditCheckpoints: { intervalMs: 0 },
      ...values,
    });

  it('db-roles prints those statements for the superuser, and takes plain role names only', async () => {
    const run = async (args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runInvestigationCommand(args, {
        out: (text) => out.push(text),
        err: (text) => err.push(text),
        readConfig: () => configWith({}),
        cwd: process.cwd(),
      });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };
    const printed = await run(['db-roles', '--owner', owner, '--app', app, '--database', 'seatwatch']);
    expect(printed.code).toBe(0);
    for (const statement of databaseRolesScript({ owner, app, database: 'seatwatch' })) {
      expect(printed.out).toContain(`${statement};`);
    }
    expect(printed.out).toContain(`SEATWATCH_DATABASE_APP_ROLE=${app} seatwatch-server migrate`);
    expect(
      await run(['db-roles', '--owner', 'x; drop', '--app', app, '--database', 'seatwatch']),
    ).toMatchObject({
      code: 2,
      err: expect.stringContaining('--owner must be a plain lower-case SQL name'),
    });
    expect(await run(['db-roles', '--owner', app, '--app', app, '--database', 'seatwatch'])).toMatchObject({
      code: 2,
    });
  });

  it('migrate ran as the owner: the owner owns every table, the application role none', async () => {
    const owners = await asRole(database.url, (client) =>
      client.query<{ owner: string; n: number }>(
        `select tableowner::text as owner, count(*)::int as n from pg_tables where schemaname = 'public' group by 1`,
      ),
    );
    expect(owners.rows).toEqual([{ owner, n: expect.any(Number) }]);
    // A command run as the application role with the same configuration (offboard, say) opens the
    // database as migrate left it: nothing pending, nothing it could grant, so nothing fails.
    await expect(
      withDatabase(configWith({ databaseUrl: appUrl, databaseAppRole: app }), async () => 'opened'),
    ).resolves.toBe('opened');
  });

  it('the server starts as the application role in production mode, silent about the audit log, and appends to it', async () => {
    const adminToken = randomBytes(24).toString('hex');
    const server = await startServer(serverConfig(appUrl, { production: true, adminToken }));
    try {
      expect(server.auditLogWarning).toBeNull();
      const entry = await recordAudit(server.database.db, { actor: 'system', action: 'test.append' });
      expect(entry.seq).toBeGreaterThan(0);
      // Real work through the API as that role: a project, a token, each change audited.
      const admin = (method: 'GET' | 'POST', url: string, payload?: object) =>
        server.app.inject({
          method,
          url: `/api/v1/admin${url}`,
          headers: { authorization: `Bearer ${adminToken}` },
          ...(payload ? { payload } : {}),
        });
      const project = await admin('POST', '/projects', { name: 'Floor 1' });
      expect(project.statusCode).toBe(201);
      const token = await admin('POST', `/projects/${project.json().id}/tokens`, {});
      expect(token.statusCode).toBe(201);
      const audited = await verifyAuditLog(server.database.db);
      expect(audited).toMatchObject({ ok: true });
      expect(audited.head!.seq).toBeGreaterThan(entry.seq);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('as the application role every way of changing the audit log is refused', async () => {
    await asRole(appUrl, async (client) => {
      const refusals: Array<[string, RegExp]> = [
        ['alter table audit_log disable trigger audit_log_no_update_delete', /must be owner/],
        ['alter table audit_log disable trigger all', /must be owner/],
        ['drop trigger audit_log_no_update_delete on audit_log', /must be owner/],
        ['drop table audit_log', /must be owner/],
        [`update audit_log set actor = 'user:mallory'`, /permission denied/],
        ['delete from audit_log', /permission denied/],
        ['truncate audit_log', /permission denied/],
        ['update audit_chain_head set seq = 0', /only moves forward/],
        ['delete from audit_chain_head', /permission denied/],
        ['alter table audit_chain_head disable trigger all', /must be owner/],
        [`insert into audit_chain_head (id, seq, hash) values (false, 0, '')`, /permission denied/],
      ];
      for (const [statement, refused] of refusals) {
        await expect(client.query(statement), statement).rejects.toThrow(refused);
      }
    });
  });

  it('started as the owner it warns loudly, and in production mode refuses unless told otherwise', async () => {
    const logged: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(chunk.toString('utf8'));
        done();
      },
    });
    const server = await startServer(serverConfig(ownerUrl), { logger: pino({ level: 'warn' }, sink) });
    try {
      expect(server.auditLogWarning).toMatch(
        new RegExp(`AUDIT LOG NOT PROTECTED: the database role "${owner}" owns audit_log`),
      );
      expect(logged.join('')).toContain('AUDIT LOG NOT PROTECTED');
    } finally {
      await server.close();
    }
    await expect(startServer(serverConfig(ownerUrl, { production: true }))).rejects.toThrow(
      AlterableAuditLogError,
    );
    const accepted = await startServer(
      serverConfig(ownerUrl, { production: true, allowAlterableAuditLog: true }),
    );
    try {
      expect(accepted.auditLogWarning).toMatch(/AUDIT LOG NOT PROTECTED/);
    } finally {
      await accepted.close();
    }
  }, 90_000);

  it('the application role reports triggers the owner dropped, until migrate puts them back', async () => {
    await asRole(ownerUrl, (client) =>
      client.query('alter table audit_log disable trigger audit_log_no_truncate'),
    );
    const asApp = await openDatabase({ databaseUrl: appUrl, poolSize: 1 });
    try {
      await expect(checkAuditLogRole(asApp, serverConfig(appUrl, { production: true }))).resolves.toMatch(
        /^AUDIT LOG TRIGGERS MISSING: audit_log_no_truncate dropped or disabled; run `seatwatch-server migrate`/,
      );
      await withDatabase(configWith({ databaseUrl: ownerUrl, databaseAppRole: app }), async () => {});
      await expect(checkAuditLogRole(asApp, serverConfig(appUrl, { production: true }))).resolves.toBeNull();
    } finally {
      await asApp.close();
    }
  });

  it('the real process: NODE_ENV=production as the owner exits 1 saying why; otherwise it frames the warning', async () => {
    const env = { SEATWATCH_DATA_DIR: dataDir, DATABASE_URL: ownerUrl, SEATWATCH_RETENTION_INTERVAL_MS: '0' };
    await expect(spawnServer({ ...env, NODE_ENV: 'production' })).rejects.toThrow(
      /server exited \(1\) before listening[\s\S]*refused to start: AUDIT LOG NOT PROTECTED: the database role "seatwatch_owner_/,
    );
    const server = await spawnServer({ ...env, NODE_ENV: 'development' });
    try {
      expect(server.output().stderr).toMatch(/!{100}\nAUDIT LOG NOT PROTECTED: [^\n]+\n!{100}/);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 120_000);

  it('the owner cuts the newest entries; the application role appends the next under a fresh number', async () => {
    const asApp = await openDatabase({ databaseUrl: appUrl, poolSize: 1 });
    try {
      for (let i = 0; i < 3; i++)
        await recordAudit(asApp.db, { actor: 'user:alice', action: 'timeline.read' });
      const { head } = await verifyAuditLog(asApp.db);
      await asRole(ownerUrl, async (client) => {
        await client.query('alter table audit_log disable trigger audit_log_no_update_delete');
        await client.query('delete from audit_log where seq > $1', [head!.seq - 2]);
        await client.query('alter table audit_log enable trigger audit_log_no_update_delete');
      });
      const next = await recordAudit(asApp.db, { actor: 'user:alice', action: 'timeline.read' });
      expect(next.seq).toBe(head!.seq + 1);
      expect(next.prevHash).toBe(head!.hash);
      expect((await verifyAuditLog(asApp.db)).firstBreak).toEqual({
        seq: head!.seq + 1,
        problem: `entries ${head!.seq - 1}–${head!.seq} are missing`,
      });
    } finally {
      await asApp.close();
    }
  });

  it('a role that merely holds UPDATE or DELETE on the log is named so; a superuser as one', async () => {
    await asRole(ownerUrl, (client) => client.query(`grant update, delete on audit_log to ${app}`));
    try {
      await expect(startServer(serverConfig(appUrl, { production: true }))).rejects.toThrow(
        /has UPDATE on audit_log; has DELETE on audit_log/,
      );
    } finally {
      await asRole(ownerUrl, (client) => client.query(`revoke update, delete on audit_log from ${app}`));
    }
    await expect(startServer(serverConfig(database.url, { production: true }))).rejects.toThrow(
      /"postgres" is a superuser/,
    );
  }, 60_000);
});

describe.each(DB_KINDS)('the chain on %s never goes back', (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  }, 60_000);
  afterAll(() => db?.close());

  it('entries cut off the end do not give their numbers to the next ones, and verify-audit names the gap', async () => {
    const ex = db.database.db;
    for (let i = 0; i < 5; i++) await recordAudit(ex, { actor: 'user:alice', action: 'timeline.read' });
    // The owner cuts the last two (it can, by disabling the trigger).
    await ex.execute(sql`alter table audit_log disable trigger audit_log_no_update_delete`);
    await ex.execute(sql`delete from audit_log where seq > 3`);
    await ex.execute(sql`alter table audit_log enable trigger audit_log_no_update_delete`);
    const next = await recordAudit(ex, { actor: 'user:alice', action: 'timeline.read' });
    expect(next.seq).toBe(6);
    const result = await verifyAuditLog(ex);
    expect(result).toMatchObject({ ok: false, firstBreak: { seq: 6, problem: 'entries 4–5 are missing' } });
  });

  it('migrate puts back dropped and disabled triggers', async () => {
    const ex = db.database.db;
    await ex.execute(sql`drop trigger audit_log_no_update_delete on audit_log`);
    await ex.execute(sql`alter table audit_log disable trigger audit_log_no_truncate`);
    await ex.execute(sql`drop function audit_chain_head_forward_only() cascade`);
    expect(await enabledGuards(ex)).toEqual([]);
    await migrateDatabase(db.database);
    expect(await enabledGuards(ex)).toEqual(GUARDS);
    await expect(refusal(ex.execute(sql`delete from audit_log`))).resolves.toMatch(/append-only/);
    await expect(refusal(ex.execute(sql`update audit_chain_head set seq = 1`))).resolves.toMatch(
      /only moves forward/,
    );
  });
});
