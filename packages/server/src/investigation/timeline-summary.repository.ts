/**
 * The visual timeline's summary, aggregated in the database: for each seat
 * and each of N equal buckets of a range, the application and the state
 * with most of the bucket's time, and how many screenshots, anomalies,
 * device events and sign-ins fall into it. Intervals (spans, states) are
 * cut at bucket edges, so a two-hour span counts in every bucket it covers.
 * What leaves the database is one row per seat and bucket, not the rows
 * behind them.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { rowsOf } from '../db/raw-rows.js';
import { valueList as ids } from '../db/sql-lists.js';
import { overlappingSpans, type TimelineWindow } from './timeline.repository.js';

export interface SummaryGrid extends TimelineWindow {
  bucketMs: number;
}

/** Per seat and bucket: the key (app or state) with most time, its time, all time, and how many intervals. */
export interface DominantRow {
  seat_id: string;
  bucket: number;
  key: string;
  ms: number;
  total_ms: number;
  n: number;
}

const iso = (value: number) => new Date(value).toISOString();
const epochMs = (column: string) => sql.raw(`(extract(epoch from ${column}) * 1000)::float8`);

/**
 * `source` yields (seat_id, key, s, e) intervals (timestamptz); each is cut
 * into the buckets it covers inside the range and summed per seat, bucket
 * and key; the key with most time wins (ties: the first by name).
 */
async function dominant(ex: Executor, grid: SummaryGrid, source: SQL): Promise<DominantRow[]> {
  const { from, to, bucketMs } = grid;
  return rowsOf(
    ex,
    sql`
      with x as (
        select src.seat_id, src.key, ${epochMs('src.s')} as s, ${epochMs('src.e')} as e
        from ${source} src
        where src.e > ${iso(from)}::timestamptz and src.s < ${iso(to)}::timestamptz
      ), cut as (
        select x.seat_id, x.key, b.i as bucket,
               least(x.e, ${from}::float8 + (b.i + 1) * ${bucketMs}::float8)
                 - greatest(x.s, ${from}::float8 + b.i * ${bucketMs}::float8) as ms
        from x cross join lateral generate_series(
          floor((greatest(x.s, ${from}::float8) - ${from}::float8) / ${bucketMs}::float8)::int,
          floor((least(x.e, ${to}::float8) - ${from}::float8 - 1) / ${bucketMs}::float8)::int
        ) as b(i)
      ), per as (
        select seat_id, bucket, key, sum(ms) as ms, count(*) as n from cut group by seat_id, bucket, key
      )
      select distinct on (seat_id, bucket) seat_id, bucket, key,
             round(ms)::bigint as ms,
             round(sum(ms) over w)::bigint as total_ms,
             (sum(n) over w)::bigint as n
      from per
      window w as (partition by seat_id, bucket)
      order by seat_id, bucket, ms desc, key`,
    { seat_id: String, bucket: Number, key: String, ms: Number, total_ms: Number, n: Number },
  );
}

/** Per seat and bucket, the application with most time in activity spans. */
export function spanBuckets(ex: Executor, grid: SummaryGrid): Promise<DominantRow[]> {
  return dominant(
    ex,
    grid,
    sql`(select t.seat_id, t.app as key, t.started_at as s, t.ended_at as e from ${overlappingSpans(grid)} t)`,
  );
}

/**
 * Per seat and bucket, the state (active, idle, locked) with most time:
 * each status event lasts until the seat's next one in the range, the
 * last until `end` (the range's end, or now); before the first one the
 * state is unknown (the caller counts that time as offline), as the
 * detailed timeline draws it.
 */
export function stateBuckets(ex: Executor, grid: SummaryGrid, end: number): Promise<DominantRow[]> {
  return dominant(
    ex,
    grid,
    sql`(
      select t.seat_id, t.body->>'state' as key, t.time as s,
             coalesce(lead(t.time) over (partition by t.seat_id order by t.time, t.id), ${iso(end)}::timestamptz) as e
      from events t
      where t.type = 'status' and t.seat_id in ${ids(grid.seatIds)}
        and t.time >= ${iso(grid.from)}::timestamptz and t.time < ${iso(grid.to)}::timestamptz
    )`,
  );
}

export type MarkerType = 'screenshots' | 'anomalies' | 'devices' | 'logins';

/** Per seat and bucket, how many screenshots, anomalies (by first occurrence), device events and sign-ins. */
export async function markerBuckets(
  ex: Executor,
  grid: SummaryGrid,
): Promise<{ seat_id: string; bucket: number; type: MarkerType; n: number }[]> {
  const { from, to, bucketMs } = grid;
  const inRange = (column: string) =>
    sql`${sql.raw(column)} >= ${iso(from)}::timestamptz and ${sql.raw(column)} < ${iso(to)}::timestamptz`;
  const bucketOf = (column: string) =>
    sql`floor((${epochMs(column)} - ${from}::float8) / ${bucketMs}::float8)::int`;
  const seatIn = ids(grid.seatIds);
  const rows = await rowsOf(
    ex,
    sql`
      select t.seat_id, ${bucketOf('t.time')} as bucket, 'screenshots' as type, count(*) as n
      from screenshots t where t.seat_id in ${seatIn} and ${inRange('t.time')} group by 1, 2
      union all
      select t.seat_id, ${bucketOf('t.time')}, 'devices', count(*)
      from device_events t where t.seat_id in ${seatIn} and ${inRange('t.time')} group by 1, 2
      union all
      select coalesce(t.seat_id, a.seat_id), ${bucketOf('t.at')}, 'logins', count(*)
      from logins t join agents a on a.id = t.agent_id
      where (t.seat_id in ${seatIn} or (t.seat_id is null and a.seat_id in ${seatIn})) and ${inRange('t.at')}
      group by 1, 2
      union all
      select coalesce(t.seat_id, a.seat_id), ${bucketOf('t.first_at')}, 'anomalies', count(*)
      from anomalies t left join agents a on a.id = t.agent_id
      where (t.seat_id in ${seatIn} or (t.seat_id is null and a.seat_id in ${seatIn})) and ${inRange('t.first_at')}
      group by 1, 2`,
    { seat_id: String, bucket: Number, type: (value: unknown) => String(value) as MarkerType, n: Number },
  );
  return rows.filter((row) => row.seat_id !== null);
}
