// PostgreSQL for the roles (PGlite has none); the triggers, retention and migrate's repair run on both.
/**
 * The history tables of issue #11 are append-only (migration 0014), like
 * the audit log: policy_history (every version of every policy) and
 * signed_frames (frames of held seats, verbatim). Their triggers refuse,
 * for every role, changing either, removing a policy version except with
 * its whole project, and removing a frame while a hold covers its seat;
 * the application role is granted no UPDATE (nor DELETE on
 * policy_history) at all. Retention still removes the frames no hold
 * covers, and migrate puts back triggers someone dropped or disabled; until
 * then, the server started as the application role reports them.
 */
import { randomBytes } from 'node:crypto';
import { asUser, createSignedInUser } from '@seatwatch/testkit/dashboard-session';
import {
  connectAgent,
  createPostgresDatabase,
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  enrollTestAgent,
  POSTGRES_ADMIN_URL,
  sampleEvents,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../src/config.js';
import { databaseRolesScript } from '../../src/db/audit-protection.js';
import { type Executor, openDatabase, queryRows } from '../../src/db/connect.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { deleteExpiredRows } from '../../src/retention/retention.repository.js';
import { runRetention } from '../../src/retention/retention-job.js';
import { checkAuditLogRole } from '../../src/startup/audit-log-role.js';
import { withDatabase } from '../../src/startup/startup.js';

const DAY = 86_400_000;
const HISTORY_GUARDS = [
  'policy_history_no_truncate',
  'policy_history_no_update_delete',
  'signed_frames_keep_held',
  'signed_frames_no_truncate',
  'signed_frames_no_update',
];

/** The history guards present and enabled ('O'), by name. */
async function enabledHistoryGuards(ex: Executor): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(
    ex,
    sql`select tgname::text as name from pg_trigger
        where tgrelid in ('policy_history'::regclass, 'signed_frames'::regclass)
          and not tgisinternal and tgenabled = 'O'
        order by 1`,
  );
  return rows.map((row) => row.name);
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

describe.each(DB_KINDS)('the history tables on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let projectId: string;
  let seatId: string;
  let agentId: string;
  const future = () => Date.now() + 400 * DAY;

  const count = async (statement: ReturnType<typeof sql>) =>
    (await queryRows<{ n: number }>(db.database.db, statement))[0]!.n;
  const frames = () => count(sql`select count(*)::int as n from signed_frames where agent_id = ${agentId}`);
  const versions = (project: string) =>
    count(sql`select count(*)::int as n from policy_history where project_id = ${project}`);

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db, config: { retention: { intervalMs: 0 } } });
    projectId = (await createTestProject(server)).projectId;
    const agent = await enrollTestAgent(server, { projectId, hostname: 'held-desk' });
    agentId = agent.agentId;
    const seats = await server.adminOk<Array<{ id: string; name: string }>>(
      'GET',
      `/projects/${projectId}/seats`,
    );
    seatId = seats.find((s) => s.name === 'held-desk')!.id;
    await server.adminOk('PUT', `/projects/${projectId}/seats/${seatId}/legal-hold`, {
      hold: true,
      reason: 'complaint 4411',
    });
    const client = await connectAgent(server, agent);
    client.sendBatch(1, sampleEvents(3));
    client.sendBatch(2, sampleEvents(3));
    await client.ack(2);
    await client.close();
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('refuses changing or removing a policy version, for every role', async () => {
    const ex = db.database.db;
    expect(await versions(projectId)).toBeGreaterThan(0);
    expect(await refusal(ex.execute(sql`update policy_history set notice_text = 'rewritten'`))).toMatch(
      /policy_history is append-only: UPDATE is not allowed/,
    );
    expect(
      await refusal(ex.execute(sql`delete from policy_history where project_id = ${projectId}`)),
    ).toMatch(/policy_history is append-only: DELETE is not allowed/);
    expect(await refusal(ex.execute(sql`truncate policy_history`))).toMatch(
      /policy_history is append-only: TRUNCATE is not allowed/,
    );
  });

  it('refuses changing a kept frame, and removing one while a hold covers its seat', async () => {
    const ex = db.database.db;
    expect(await frames()).toBe(2);
    expect(await refusal(ex.execute(sql`update signed_frames set envelope = '{}'`))).toMatch(
      /signed_frames is append-only: UPDATE is not allowed/,
    );
    expect(await refusal(ex.execute(sql`truncate signed_frames`))).toMatch(
      /signed_frames is append-only: TRUNCATE is not allowed/,
    );
    expect(await refusal(ex.execute(sql`delete from signed_frames where agent_id = ${agentId}`))).toMatch(
      new RegExp(`frames of seat ${seatId} are under legal hold`),
    );
    // Nor through the agent's row, whose removal would take its frames along.
    expect(await refusal(ex.execute(sql`delete from agents where id = ${agentId}`))).toMatch(
      /under legal hold/,
    );
    expect(await frames()).toBe(2);
  });

  it('retention keeps the held seat’s frames, and removes them once the release is approved', async () => {
    const retention = () =>
      runRetention({
        database: db.database,
        blobs: server.blobs,
        now: future,
        batchSize: 1000,
        logger: server.app.log,
      });
    expect((await retention()).ran).toBe(true);
    expect(await frames()).toBe(2);

    const path = `/projects/${projectId}/seats/${seatId}/legal-hold`;
    expect((await server.admin('PUT', path, { hold: false, reason: 'complaint withdrawn' })).status).toBe(
      202,
    );
    const second = await createSignedInUser(server, 'second-admin', [
      { role: 'administrator', projectId, teamId: null },
    ]);
    expect(
      (await asUser(server, second, 'PUT', `/api/v1/admin${path}`, { hold: false, reason: 'approved' }))
        .status,
    ).toBe(200);
    const report = await retention();
    expect(report.rows.signed_frames).toBe(2);
    expect(await frames()).toBe(0);
  });

  it('a project removed as a whole (offboarding) takes its policy versions along', async () => {
    const other = (await createTestProject(server)).projectId;
    expect(await versions(other)).toBeGreaterThan(0);
    await db.database.db.execute(sql`delete from projects where id = ${other}`);
    expect(await versions(other)).toBe(0);
    expect(await versions(projectId)).toBeGreaterThan(0);
  });

  it('migrate puts back the triggers that were dropped or disabled', async () => {
    const ex = db.database.db;
    await ex.execute(sql`alter table signed_frames disable trigger signed_frames_keep_held`);
    await ex.execute(sql`drop trigger policy_history_no_update_delete on policy_history`);
    await ex.execute(sql`drop trigger signed_frames_no_update on signed_frames`);
    expect(await enabledHistoryGuards(ex)).toEqual([
      'policy_history_no_truncate',
      'signed_frames_no_truncate',
    ]);
    await migrateDatabase(db.database);
    expect(await enabledHistoryGuards(ex)).toEqual(HISTORY_GUARDS);
    expect(await refusal(ex.execute(sql`delete from policy_history`))).toMatch(/append-only/);
  });
});

describe('the history tables as the application role on PostgreSQL', () => {
  const suffix = randomBytes(4).toString('hex');
  const owner = `seatwatch_owner_${suffix}`;
  const app = `seatwatch_app_${suffix}`;
  let database: { url: string; drop: () => Promise<void> };
  let ownerClient: pg.Client;
  let appClient: pg.Client;
  let appUrl: string;
  let ownerUrl: string;

  const urlAs = (url: string, role: string) => {
    const next = new URL(url);
    next.username = role;
    return next.toString();
  };
  const connect = async (url: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return client;
  };

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const name = new URL(database.url).pathname.slice(1);
    const superuser = await connect(database.url);
    try {
      for (const statement of databaseRolesScript({ owner, app, database: name }))
        await superuser.query(statement);
    } finally {
      await superuser.end();
    }
    ownerUrl = urlAs(database.url, owner);
    appUrl = urlAs(database.url, app);
    await withDatabase(configWith({ databaseUrl: ownerUrl, databaseAppRole: app }), async () => {});
    ownerClient = await connect(ownerUrl);
    appClient = await connect(appUrl);
    // Two projects with a policy each; in the first a held seat and a free one, each with a frame
    // received long ago (past any retention).
    for (const statement of [
      `insert into projects (id, name) values ('p1', 'Floor 1'), ('p2', 'Floor 2')`,
      `insert into policies (id, project_id, settings, notice_text) values
         ('pol1', 'p1', '{}'::jsonb, 'You are monitored'), ('pol2', 'p2', '{}'::jsonb, 'You are monitored')`,
      `insert into seats (id, project_id, name, legal_hold) values
         ('s-held', 'p1', 'held', true), ('s-free', 'p1', 'free', false)`,
      `insert into agents (id, project_id, seat_id, public_key, hostname, os, os_user, agent_version, enrolled_ip)
       values ('a-held', 'p1', 's-held', 'key-held', 'h1', 'linux', 'op', '1.0', '10.0.0.1'),
              ('a-free', 'p1', 's-free', 'key-free', 'h2', 'linux', 'op', '1.0', '10.0.0.2')`,
    ]) {
      await ownerClient.query(statement);
    }
    // The application role adds the frames, as ingest does.
    await appClient.query(
      `insert into signed_frames (project_id, agent_id, seat_id, seq, kind, envelope, received_at) values
         ('p1', 'a-held', 's-held', 1, 'batch', '{"p":"x","s":"y"}', now() - interval '400 days'),
         ('p1', 'a-free', 's-free', 1, 'batch', '{"p":"x","s":"y"}', now() - interval '400 days')`,
    );
  }, 120_000);

  afterAll(async () => {
    await appClient?.end();
    await ownerClient?.end();
    await database?.drop();
    const superuser = await connect(POSTGRES_ADMIN_URL);
    try {
      await superuser.query(`drop role if exists ${app}`);
      await superuser.query(`drop role if exists ${owner}`);
    } finally {
      await superuser.end();
    }
  });

  const frameCount = async (seat: string) =>
    (
      await ownerClient.query<{ n: number }>(
        'select count(*)::int as n from signed_frames where seat_id = $1',
        [seat],
      )
    ).rows[0]!.n;

  it('may add policy versions (through the trigger on policies) but never change or remove one', async () => {
    const before = await ownerClient.query<{ n: number }>(
      `select count(*)::int as n from policy_history where project_id = 'p1'`,
    );
    await appClient.query(
      `update policies set notice_text = 'You are monitored, version 2' where id = 'pol1'`,
    );
    const after = await ownerClient.query<{ n: number }>(
      `select count(*)::int as n from policy_history where project_id = 'p1'`,
    );
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n + 1);
    const refusals: Array<[string, RegExp]> = [
      [`update policy_history set notice_text = 'rewritten'`, /permission denied/],
      [`delete from policy_history where project_id = 'p1'`, /permission denied/],
      ['truncate policy_history', /permission denied/],
      ['alter table policy_history disable trigger policy_history_no_update_delete', /must be owner/],
      ['drop trigger policy_history_no_update_delete on policy_history', /must be owner/],
    ];
    for (const [statement, refused] of refusals) {
      await expect(appClient.query(statement), statement).rejects.toThrow(refused);
    }
  });

  it('may never change a kept frame, nor remove a held seat’s', async () => {
    const refusals: Array<[string, RegExp]> = [
      [`update signed_frames set envelope = '{}'`, /permission denied/],
      ['truncate signed_frames', /permission denied/],
      [`delete from signed_frames where seat_id = 's-held'`, /frames of seat s-held are under legal hold/],
      ['delete from signed_frames', /under legal hold/],
      [`delete from agents where id = 'a-held'`, /under legal hold/],
      ['alter table signed_frames disable trigger signed_frames_keep_held', /must be owner/],
      ['drop trigger signed_frames_keep_held on signed_frames', /must be owner/],
    ];
    for (const [statement, refused] of refusals) {
      await expect(appClient.query(statement), statement).rejects.toThrow(refused);
    }
    expect(await frameCount('s-held')).toBe(1);
    expect(await frameCount('s-free')).toBe(1);
  });

  it('retention, as the application role, removes the frames no hold covers and keeps the held ones', async () => {
    const asApp = await openDatabase({ databaseUrl: appUrl, poolSize: 1 });
    try {
      const cutoff = new Date(Date.now() - 30 * DAY);
      expect(await deleteExpiredRows(asApp.db, 'signed_frames', 'p1', cutoff, 1000)).toBe(1);
      expect(await frameCount('s-free')).toBe(0);
      expect(await frameCount('s-held')).toBe(1);
      // Released (the flag the four-eyes route clears), the held seat's frame goes at the next run.
      await appClient.query(`update seats set legal_hold = false where id = 's-held'`);
      expect(await deleteExpiredRows(asApp.db, 'signed_frames', 'p1', cutoff, 1000)).toBe(1);
      expect(await frameCount('s-held')).toBe(0);
    } finally {
      await asApp.close();
    }
  });

  it('the application role reports history triggers the owner disabled, until migrate puts them back', async () => {
    await ownerClient.query('alter table signed_frames disable trigger signed_frames_keep_held');
    const asApp = await openDatabase({ databaseUrl: appUrl, poolSize: 1 });
    const config = configWith({ databaseUrl: appUrl, production: true });
    try {
      await expect(checkAuditLogRole(asApp, config)).resolves.toMatch(
        /TRIGGERS MISSING: signed_frames_keep_held dropped or disabled; run `seatwatch-server migrate`/,
      );
      await withDatabase(configWith({ databaseUrl: ownerUrl, databaseAppRole: app }), async () => {});
      await expect(checkAuditLogRole(asApp, config)).resolves.toBeNull();
    } finally {
      await asApp.close();
    }
  });

  it('a project removed as a whole takes its policy versions along, whoever removes it', async () => {
    await appClient.query(`delete from projects where id = 'p2'`);
    const left = await ownerClient.query<{ n: number }>(
      `select count(*)::int as n from policy_history where project_id = 'p2'`,
    );
    expect(left.rows[0]!.n).toBe(0);
  });
});
