/** The viewer's authorization scope as SQL, for every feature that lists rows of several projects and teams. */
import { type SQL, sql } from 'drizzle-orm';
import type { Scope } from '../domain/authz-policy.js';
import { valueList } from './sql-lists.js';

/** The viewer's scope as a condition on a row with project_id and team_id columns. */
export function scopeCondition(scope: Scope, projectColumn: SQL, teamColumn: SQL): SQL {
  if (scope.all) return sql`true`;
  const parts: SQL[] = [];
  for (const [projectId, entry] of scope.projects) {
    if (entry.allTeams) parts.push(sql`${projectColumn} = ${projectId}`);
    else if (entry.teamIds.length > 0) {
      parts.push(sql`(${projectColumn} = ${projectId} and ${teamColumn} in ${valueList(entry.teamIds)})`);
    }
  }
  return parts.length ? sql`(${sql.join(parts, sql` or `)})` : sql`false`;
}
