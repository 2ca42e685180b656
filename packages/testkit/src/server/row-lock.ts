/**
 * Holds an agent's row locked from another PostgreSQL session, so that the
 * server's next group commit touching that agent provably waits: a test can
 * then look at what happens while a commit is in flight.
 */
import pg from 'pg';

export interface AgentRowLock {
  /** Resolves once a statement of the server waits for the lock. */
  blocked(): Promise<void>;
  /** A query on a third session (to look at rows while the lock holds). */
  observe<T extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  release(): Promise<void>;
  /** Releases if still held and closes both sessions. */
  end(): Promise<void>;
}

export async function lockAgentRow(url: string, agentId: string): Promise<AgentRowLock> {
  const locker = new pg.Client({ connectionString: url });
  const observer = new pg.Client({ connectionString: url });
  await Promise.all([locker.connect(), observer.connect()]);
  await locker.query('begin');
  await locker.query('select 1 from agents where id = $1 for update', [agentId]);
  let held = true;
  const release = async () => {
    if (!held) return;
    held = false;
    await locker.query('rollback');
  };
  return {
    async blocked() {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { rows } = await observer.query(
          "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
        );
        if (rows[0].n > 0) return;
        if (Date.now() > deadline) throw new Error('no statement waited for the agent row lock within 10 s');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async observe(text, values) {
      return (await observer.query(text, values)).rows;
    },
    release,
    async end() {
      await release().catch(() => {});
      await Promise.all([locker.end(), observer.end()]);
    },
  };
}
