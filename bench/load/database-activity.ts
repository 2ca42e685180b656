/**
 * What the server asked of PostgreSQL during the hold, from the statistics
 * views (no configuration needed): transactions, rows written per table,
 * HOT updates, scans. Read at the start and end of the hold and
 * subtracted; PostgreSQL publishes a backend's counts when its transaction
 * ends (or within seconds when idle), so short holds undercount slightly.
 */
import type pg from 'pg';

export interface DatabaseCounters {
  transactions: number;
  rollbacks: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsDeleted: number;
  rowsFetched: number;
  tables: Record<
    string,
    { inserted: number; updated: number; hotUpdated: number; seqScans: number; indexScans: number }
  >;
}

export async function readDatabaseCounters(client: pg.Client): Promise<DatabaseCounters> {
  const database = (
    await client.query<Record<string, string>>(
      `select xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_fetched
       from pg_stat_database where datname = current_database()`,
    )
  ).rows[0]!;
  const tables = (
    await client.query<Record<string, string>>(
      `select relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, coalesce(seq_scan, 0) as seq_scan,
              coalesce(idx_scan, 0) as idx_scan
       from pg_stat_user_tables`,
    )
  ).rows;
  return {
    transactions: Number(database.xact_commit),
    rollbacks: Number(database.xact_rollback),
    rowsInserted: Number(database.tup_inserted),
    rowsUpdated: Number(database.tup_updated),
    rowsDeleted: Number(database.tup_deleted),
    rowsFetched: Number(database.tup_fetched),
    tables: Object.fromEntries(
      tables.map((t) => [
        t.relname!,
        {
          inserted: Number(t.n_tup_ins),
          updated: Number(t.n_tup_upd),
          hotUpdated: Number(t.n_tup_hot_upd),
          seqScans: Number(t.seq_scan),
          indexScans: Number(t.idx_scan),
        },
      ]),
    ),
  };
}

/** Per second of the hold, and per acknowledged frame; tables that saw no writes or scans are left out. */
export function databaseActivity(
  before: DatabaseCounters,
  after: DatabaseCounters,
  seconds: number,
  frames: number,
) {
  const per = (value: number) => ({
    perSecond: Math.round((value / seconds) * 10) / 10,
    perFrame: frames === 0 ? null : Math.round((value / frames) * 1000) / 1000,
  });
  const tables: Record<string, unknown> = {};
  for (const [name, end] of Object.entries(after.tables)) {
    const start = before.tables[name] ?? {
      inserted: 0,
      updated: 0,
      hotUpdated: 0,
      seqScans: 0,
      indexScans: 0,
    };
    const delta = {
      inserted: end.inserted - start.inserted,
      updated: end.updated - start.updated,
      hotUpdated: end.hotUpdated - start.hotUpdated,
      seqScans: end.seqScans - start.seqScans,
      indexScans: end.indexScans - start.indexScans,
    };
    if (Object.values(delta).some((v) => v !== 0)) tables[name] = delta;
  }
  return {
    transactions: per(after.transactions - before.transactions),
    rollbacks: after.rollbacks - before.rollbacks,
    rowsInserted: per(after.rowsInserted - before.rowsInserted),
    rowsUpdated: per(after.rowsUpdated - before.rowsUpdated),
    rowsFetched: per(after.rowsFetched - before.rowsFetched),
    tables,
  };
}
