/**
 * At start on PostgreSQL: could the role the server runs as change the
 * audit log (own it, be a superuser, or hold UPDATE, DELETE, TRUNCATE or
 * TRIGGER on it)? Then its triggers are no guarantee, only a habit: say so
 * loudly, and in production mode refuse to start unless the operator
 * accepted it in writing (allowAlterableAuditLog). Triggers someone
 * dropped, which only migrate (the owner) can put back, are reported too.
 * The embedded database
 * has no roles, so nothing is checked there (docs/deployment.md).
 */
import type { ServerConfig } from '../config.js';
import { auditLogAlterability, missingAuditGuards } from '../db/audit-protection.js';
import type { Database } from '../db/connect.js';

/** Production mode and a database role that could change the audit log, without the override. */
export class AlterableAuditLogError extends Error {
  override name = 'AlterableAuditLogError';
}

/** The warning to log (null: the role can only append and read), or throws AlterableAuditLogError. */
export async function checkAuditLogRole(database: Database, config: ServerConfig): Promise<string | null> {
  if (database.kind !== 'postgres') return null;
  const { role, reasons } = await auditLogAlterability(database.db);
  const missing = await missingAuditGuards(database.db);
  if (reasons.length === 0) {
    // The role cannot change the log anyway; still, nothing but privileges guards it until migrate runs.
    return missing.length === 0
      ? null
      : `AUDIT LOG TRIGGERS MISSING: ${missing.join(', ')} dropped or disabled; run \`seatwatch-server migrate\` as the owner role to put them back.`;
  }
  const warning =
    `AUDIT LOG NOT PROTECTED: the database role "${role}" ${reasons.join('; ')}, so whoever holds its ` +
    'password can change or remove audit entries behind the server. Run the server as an application role ' +
    'that owns nothing (docs/deployment.md, "Two database roles").';
  if (config.production && !config.allowAlterableAuditLog) {
    throw new AlterableAuditLogError(
      `${warning} Refusing to start in production mode; allowAlterableAuditLog ` +
        '(SEATWATCH_ALLOW_ALTERABLE_AUDIT_LOG=true) starts anyway.',
    );
  }
  return warning;
}
