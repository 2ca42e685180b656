/**
 * Whose a seat's data is: the OS account a telemetry row belongs to, and
 * the accounts that used a seat over a window, written once for the
 * self-view, the timeline and the access records (issue #11).
 *
 * A row's account is its own `os_user` when the agent stamped it (the
 * machine service does, issue #14); else the OS user of the agent's latest
 * accepted hello at or before the row's time (an agent started by the
 * operator runs as that operator); else the agent's own OS user (a row
 * older than the agent's first hello that is still kept). Accounts compare
 * in lower case, as Windows compares them.
 */
import { type SQL, sql } from 'drizzle-orm';

/** The account of a row of events, activity_spans, device_events or screenshots aliased `alias`. */
export function rowOperator(alias: string, timeColumn: string): SQL {
  const row = sql.raw(alias);
  const time = sql.raw(`${alias}.${timeColumn}`);
  return sql`lower(coalesce(${row}.os_user,
    (select l.os_user from logins l
      where l.agent_id = ${row}.agent_id and l.kind = 'hello' and l.allowed and l.at <= ${time}
      order by l.at desc limit 1),
    (select ag.os_user from agents ag where ag.id = ${row}.agent_id)))`;
}

/**
 * The accounts whose data a read of one seat over [fromMs, toMs) may show (lower
 * case): those that said hello there in the window, the one each agent of
 * the seat ran as when the window opened, and rows stamped in the window.
 */
export function seatOperatorsSql(seatId: string, fromMs: number, toMs: number): SQL {
  const from = sql`${new Date(fromMs).toISOString()}::timestamptz`;
  const to = sql`${new Date(toMs).toISOString()}::timestamptz`;
  return sql`select distinct lower(operator) as operator from (
      select l.os_user as operator from logins l
        where l.seat_id = ${seatId} and l.kind = 'hello' and l.allowed
          and l.at >= ${from} and l.at < ${to}
      union all
      select coalesce(
          (select l.os_user from logins l
            where l.agent_id = ag.id and l.kind = 'hello' and l.allowed and l.at < ${from}
            order by l.at desc limit 1),
          ag.os_user) as operator
        from agents ag where ag.seat_id = ${seatId}
      union all
      select distinct sp.os_user as operator from activity_spans sp
        where sp.seat_id = ${seatId} and sp.os_user is not null
          and sp.started_at >= ${from} and sp.started_at < ${to}
    ) found where operator is not null order by 1`;
}
