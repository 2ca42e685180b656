/**
 * What keeps the audit log append-only at the database (issue #11), and
 * the history tables beside it (policy_history, signed_frames): their
 * triggers, put back by every migrate; the two roles (an owner that
 * migrates, an application role that owns nothing and may only INSERT and
 * SELECT on audit_log); and the check, at start, of whether the role the
 * server runs as could change the log anyway.
 *
 * Triggers stop every role that does not own the table; its owner or a
 * superuser can drop or disable them. So the guarantee is the pair: the
 * server runs as a role that owns nothing, and the owner's password stays
 * with whoever runs `seatwatch-server migrate`.
 */
import { sql } from 'drizzle-orm';
import { ROLE_NAME_PATTERN } from '../config.js';
import type { Executor } from './connect.js';
import { rowsOf } from './raw-rows.js';

/** A guard trigger as its migration creates it (0004, 0008, 0014). */
interface GuardTrigger {
  table: string;
  name: string;
  timing: string;
  /** A REFERENCING clause, for a statement trigger that reads the rows it saw. */
  refs?: string;
  level: 'ROW' | 'STATEMENT';
  fn: string;
}

const AUDIT_GUARDS: readonly GuardTrigger[] = [
  {
    table: 'audit_log',
    name: 'audit_log_no_update_delete',
    timing: 'BEFORE UPDATE OR DELETE',
    level: 'ROW',
    fn: 'audit_log_append_only',
  },
  {
    table: 'audit_log',
    name: 'audit_log_no_truncate',
    timing: 'BEFORE TRUNCATE',
    level: 'STATEMENT',
    fn: 'audit_log_append_only',
  },
  {
    table: 'audit_chain_head',
    name: 'audit_chain_head_forward_only',
    timing: 'BEFORE INSERT OR UPDATE OR DELETE',
    level: 'ROW',
    fn: 'audit_chain_head_forward_only',
  },
  {
    table: 'audit_chain_head',
    name: 'audit_chain_head_no_truncate',
    timing: 'BEFORE TRUNCATE',
    level: 'STATEMENT',
    fn: 'audit_chain_head_forward_only',
  },
];

const HISTORY_GUARDS: readonly GuardTrigger[] = [
  {
    table: 'policy_history',
    name: 'policy_history_no_update_delete',
    timing: 'BEFORE UPDATE OR DELETE',
    level: 'ROW',
    fn: 'policy_history_append_only',
  },
  {
    table: 'policy_history',
    name: 'policy_history_no_truncate',
    timing: 'BEFORE TRUNCATE',
    level: 'STATEMENT',
    fn: 'policy_history_append_only',
  },
  {
    table: 'signed_frames',
    name: 'signed_frames_no_update',
    timing: 'BEFORE UPDATE',
    level: 'ROW',
    fn: 'signed_frames_append_only',
  },
  {
    table: 'signed_frames',
    name: 'signed_frames_no_truncate',
    timing: 'BEFORE TRUNCATE',
    level: 'STATEMENT',
    fn: 'signed_frames_append_only',
  },
  {
    table: 'signed_frames',
    name: 'signed_frames_keep_held',
    timing: 'AFTER DELETE',
    refs: 'REFERENCING OLD TABLE AS gone_frames',
    level: 'STATEMENT',
    fn: 'signed_frames_keep_held',
  },
];

/**
 * One DO block that creates each guard trigger that is missing and enables
 * each that is disabled. The values are this file's constants, never input.
 */
function restoreTriggers(guards: readonly GuardTrigger[]): string {
  const rows = guards
    .map((g) => `('${g.table}', '${g.name}', '${g.timing}', '${g.refs ?? ''}', '${g.level}', '${g.fn}')`)
    .join(',\n    ');
  return `
DO $d$
DECLARE
  guard record;
BEGIN
  FOR guard IN SELECT * FROM (VALUES
    ${rows}
  ) AS t(tbl, name, timing, refs, level, fn)
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = guard.tbl::regclass AND tgname = guard.name) THEN
      RAISE WARNING 'restoring the dropped trigger % on %', guard.name, guard.tbl;
      EXECUTE format('CREATE TRIGGER %I %s ON %I %s FOR EACH %s EXECUTE FUNCTION %I()',
        guard.name, guard.timing, guard.tbl, guard.refs, guard.level, guard.fn);
    ELSIF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = guard.tbl::regclass AND tgname = guard.name
                  AND tgenabled <> 'O') THEN
      RAISE WARNING 're-enabling the disabled trigger % on %', guard.name, guard.tbl;
      EXECUTE format('ALTER TABLE %I ENABLE TRIGGER %I', guard.tbl, guard.name);
    END IF;
  END LOOP;
END;
$d$
`;
}

/**
 * Puts back the append-only triggers of audit_log and the forward-only
 * ones of audit_chain_head (migrations 0004 and 0008) when they were
 * dropped or disabled, and their functions when replaced. Idempotent; needs
 * the tables' owner. One statement at a time (PGlite takes no more), the
 * checks in a DO block, so it runs alike on both.
 */
const RESTORE_AUDIT_GUARDS = [
  `
CREATE OR REPLACE FUNCTION "audit_log_append_only"() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$f$
`,
  `
CREATE OR REPLACE FUNCTION "audit_chain_head_forward_only"() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW."id" = OLD."id" AND NEW."seq" > OLD."seq" THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_chain_head only moves forward: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$f$
`,
  restoreTriggers(AUDIT_GUARDS),
].map((statement) => sql.raw(statement));

export async function restoreAuditGuards(ex: Executor): Promise<void> {
  for (const statement of RESTORE_AUDIT_GUARDS) await ex.execute(statement);
}

/**
 * The same for the history tables of migration 0014: policy_history
 * (append-only; a version goes only with its project's cascade) and
 * signed_frames (never changed; never deleted while a hold covers its
 * seat). The keep-held trigger reads the statement's deleted rows, so its
 * definition carries a REFERENCING clause the audit guards do not need.
 */
const RESTORE_HISTORY_GUARDS = [
  `
CREATE OR REPLACE FUNCTION "policy_history_append_only"() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM "projects" WHERE "id" = OLD."project_id") THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'policy_history is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$f$
`,
  `
CREATE OR REPLACE FUNCTION "signed_frames_append_only"() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  RAISE EXCEPTION 'signed_frames is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$f$
`,
  `
CREATE OR REPLACE FUNCTION "signed_frames_keep_held"() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE
  held_seat text;
BEGIN
  SELECT g."seat_id" INTO held_seat FROM "gone_frames" g
  WHERE EXISTS (SELECT 1 FROM "seats" s WHERE s."id" = g."seat_id" AND s."legal_hold")
     OR EXISTS (SELECT 1 FROM "cases" c JOIN "case_items" ci ON ci."case_id" = c."id"
                WHERE c."legal_hold" AND ci."seat_id" = g."seat_id")
  LIMIT 1;
  IF held_seat IS NOT NULL THEN
    RAISE EXCEPTION 'signed_frames: frames of seat % are under legal hold and cannot be deleted', held_seat
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END;
$f$
`,
  restoreTriggers(HISTORY_GUARDS),
].map((statement) => sql.raw(statement));

export async function restoreHistoryGuards(ex: Executor): Promise<void> {
  for (const statement of RESTORE_HISTORY_GUARDS) await ex.execute(statement);
}

const GUARD_TRIGGERS = [...AUDIT_GUARDS, ...HISTORY_GUARDS].map((guard) => guard.name);

/**
 * The guard triggers, of the audit log and of the history tables, that are
 * dropped or disabled (the application role cannot put them back; migrate can).
 */
export async function missingAuditGuards(ex: Executor): Promise<string[]> {
  const rows = await rowsOf(
    ex,
    sql`select tgname::text as name from pg_trigger
        where tgrelid in ('audit_log'::regclass, 'audit_chain_head'::regclass,
                          'policy_history'::regclass, 'signed_frames'::regclass) and tgenabled = 'O'`,
    { name: String },
  );
  const present = new Set(rows.map((row) => row.name));
  return GUARD_TRIGGERS.filter((name) => !present.has(name));
}

/** Whether the current role owns the audit tables (or is a member of their owner, or superuser). */
export async function ownsAuditLog(ex: Executor): Promise<boolean> {
  const [row] = await rowsOf(
    ex,
    sql`select bool_and(pg_has_role(c.relowner, 'MEMBER')) as owns
        from pg_class c where c.oid in ('audit_log'::regclass, 'audit_chain_head'::regclass)`,
    { owns: Boolean },
  );
  return row?.owns === true;
}

/** What the role the server runs as could do to the audit log besides appending and reading. */
export interface AuditLogAlterability {
  role: string;
  /** Empty: the role can only append and read. Else each way it could change the log, in words. */
  reasons: string[];
}

export async function auditLogAlterability(ex: Executor): Promise<AuditLogAlterability> {
  const [row] = await rowsOf(
    ex,
    sql`select current_user::text as role,
          (select rolsuper from pg_roles where rolname = current_user) as superuser,
          pg_has_role((select relowner from pg_class where oid = 'audit_log'::regclass), 'MEMBER') as owns_log,
          pg_has_role((select relowner from pg_class where oid = 'audit_chain_head'::regclass), 'MEMBER') as owns_head,
          has_table_privilege('audit_log', 'UPDATE') as can_update,
          has_table_privilege('audit_log', 'DELETE') as can_delete,
          has_table_privilege('audit_log', 'TRUNCATE') as can_truncate,
          has_table_privilege('audit_log', 'TRIGGER') as can_trigger,
          has_table_privilege('audit_chain_head', 'TRUNCATE') or has_table_privilege('audit_chain_head', 'TRIGGER')
            or has_table_privilege('audit_chain_head', 'DELETE') as can_reset_head`,
    {
      role: String,
      superuser: Boolean,
      owns_log: Boolean,
      owns_head: Boolean,
      can_update: Boolean,
      can_delete: Boolean,
      can_truncate: Boolean,
      can_trigger: Boolean,
      can_reset_head: Boolean,
    },
  );
  if (!row) throw new Error('the role check returned no row');
  const reasons: string[] = [];
  // A superuser passes every check below as well; saying so once is clearer.
  if (row.superuser) reasons.push('is a superuser');
  else {
    if (row.owns_log) reasons.push('owns audit_log (or is a member of its owner): can drop its triggers');
    if (row.owns_head) reasons.push('owns audit_chain_head: can reset the sequence numbers');
    for (const [granted, privilege] of [
      [row.can_update, 'UPDATE'],
      [row.can_delete, 'DELETE'],
      [row.can_truncate, 'TRUNCATE'],
      [row.can_trigger, 'TRIGGER'],
    ] as const) {
      if (granted && !row.owns_log) reasons.push(`has ${privilege} on audit_log`);
    }
    if (row.can_reset_head && !row.owns_head)
      reasons.push('has DELETE, TRUNCATE or TRIGGER on audit_chain_head');
  }
  return { role: row.role, reasons };
}

function identifier(name: string): string {
  if (!new RegExp(ROLE_NAME_PATTERN).test(name)) throw new Error(`not a plain role name: ${name}`);
  return `"${name}"`;
}

/**
 * What `migrate` grants the application role after every migration, so
 * tables added later are covered too: everything it uses on the other
 * tables, and on the audit tables only what appending needs.
 */
export function applicationRoleGrants(appRole: string): string[] {
  const app = identifier(appRole);
  return [
    `GRANT USAGE ON SCHEMA public TO ${app}`,
    // The server reads the migration journal at start to see that nothing is pending (it migrates nothing).
    `GRANT USAGE ON SCHEMA drizzle TO ${app}`,
    `GRANT SELECT ON drizzle.__drizzle_migrations TO ${app}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${app}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${app}`,
    `REVOKE ALL ON audit_log, audit_chain_head FROM ${app}`,
    `GRANT SELECT, INSERT ON audit_log TO ${app}`,
    // Appending moves the head forward; its trigger refuses every other change.
    `GRANT SELECT, UPDATE ON audit_chain_head TO ${app}`,
    // The history tables (0014): policy versions are only ever added (by the trigger on policies, which
    // runs as the role that changes a policy); kept frames are added, and deleted by retention and
    // offboarding once no hold covers their seat, which their trigger checks. Neither is ever updated.
    `REVOKE ALL ON policy_history, signed_frames FROM ${app}`,
    `GRANT SELECT, INSERT ON policy_history TO ${app}`,
    `GRANT SELECT, INSERT, DELETE ON signed_frames TO ${app}`,
  ];
}

export async function grantApplicationRole(ex: Executor, appRole: string): Promise<void> {
  for (const statement of applicationRoleGrants(appRole)) await ex.execute(sql.raw(statement));
}

/**
 * The statements a PostgreSQL superuser runs once to make the two roles
 * and hand the database to the owner (`seatwatch-server db-roles`),
 * connected to that database (the last statement is about its schema).
 * Passwords are left to `\password` so none is ever printed or logged.
 */
export function databaseRolesScript(names: { owner: string; app: string; database: string }): string[] {
  const owner = identifier(names.owner);
  const app = identifier(names.app);
  const database = identifier(names.database);
  return [
    `CREATE ROLE ${owner} LOGIN`,
    `CREATE ROLE ${app} LOGIN`,
    `ALTER DATABASE ${database} OWNER TO ${owner}`,
    `REVOKE ALL ON DATABASE ${database} FROM PUBLIC`,
    `GRANT CONNECT ON DATABASE ${database} TO ${app}`,
    // Already so on PostgreSQL 15 and later; earlier versions let every role create tables in public.
    'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
  ];
}
