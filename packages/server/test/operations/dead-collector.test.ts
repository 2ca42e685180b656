// PostgreSQL only: two real server processes share one database, and PGlite is one process's database.
/**
 * A collector process killed outright (SIGKILL) next to another (issue #15):
 * no close is ever seen for the agents it held, so the survivor, on its
 * heartbeat, finds the dead process's beat stale, marks those agents
 * disconnected once (the agent row and a `seat.changed` to every process's
 * live boards) and removes the dead process's registry row; an agent held
 * by the living process is not touched, and the restart check (`not_back`)
 * leaves agents held by a live other process alone.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Children, until } from '@seatwatch/testkit';
import {
  connectAgent,
  createTestDatabase,
  createTestProject,
  enrollTestAgent,
  type ServerProcess,
  spawnServer,
  type TestDatabase,
} from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentsLeftBehind } from '../../src/anomalies/rule-facts.repository.js';
import { queryRows } from '../../src/db/connect.js';
import type { Notification } from '../../src/notifications/notification-port.js';

const HEARTBEAT_MS = 500;
const STALE_AFTER_MS = 2_000;

interface AgentView {
  id: string;
  connected: boolean;
}

describe('a collector process killed outright next to another', () => {
  const children = new Children();
  let db: TestDatabase;
  let dataDir: string;
  let survivor: ServerProcess;
  let victim: ServerProcess;
  let projectId: string;
  const seen: Notification[] = [];
  let stopListening = () => {};
  let closeNotifications = async () => {};

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    dataDir = await mkdtemp(join(tmpdir(), 'seatwatch-dead-collector-'));
    const env = {
      DATABASE_URL: db.url!,
      SEATWATCH_DATA_DIR: dataDir,
      SEATWATCH_HOST: '127.0.0.1',
      SEATWATCH_ADMIN_TOKEN: `swa_test_${randomBytes(24).toString('base64url')}`,
      SEATWATCH_SERVER_KEY: randomBytes(32).toString('base64'),
      SEATWATCH_BLOB_KEY: randomBytes(32).toString('base64'),
      SEATWATCH_COLLECTOR_HEARTBEAT_MS: String(HEARTBEAT_MS),
      SEATWATCH_COLLECTOR_STALE_AFTER_MS: String(STALE_AFTER_MS),
    };
    [survivor, victim] = await Promise.all([spawnServer(env), spawnServer(env)]);
    children.add(survivor.child);
    children.add(victim.child);
    projectId = (await createTestProject(survivor)).projectId;
    // What every process's live boards hear (the LISTEN/NOTIFY channel they share).
    const port = await db.openNotifications();
    stopListening = port.subscribe((notification) => {
      seen.push(notification);
    });
    closeNotifications = () => port.close();
  }, 120_000);

  afterAll(async () => {
    stopListening();
    await children.stopAll();
    await closeNotifications();
    await db?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const agentOn = (server: ServerProcess, agentId: string) =>
    server.adminOk<AgentView>('GET', `/projects/${projectId}/agents/${agentId}`);
  const collectors = async () =>
    (
      await queryRows<{ id: string; pid: number }>(
        db.database.db,
        sql`select id, pid from collector_processes`,
      )
    )
      .map((row) => Number(row.pid))
      .sort();
  const disconnections = (agentId: string) =>
    seen.filter((n) => n.topic === 'seat.changed' && n.agentId === agentId && n.reason === 'disconnected')
      .length;

  it('marks its agents disconnected once, within the stale bound, and leaves the living process’s alone', async () => {
    expect(await collectors()).toEqual([survivor.child.pid!, victim.child.pid!].sort());
    const orphan = await enrollTestAgent(survivor, { projectId });
    const kept = await enrollTestAgent(survivor, { projectId });
    const onVictim = await connectAgent(victim, orphan);
    const onSurvivor = await connectAgent(survivor, kept);
    expect((await agentOn(survivor, orphan.agentId)).connected).toBe(true);
    const keptSession = onSurvivor.welcome!.session;

    // Held by a live process: not an agent the restart check expects back.
    const window = { since: 0, start: Date.now() + 60_000 };
    const leftBefore = (await agentsLeftBehind(db.database.db, window)).map((row) => row.id);
    expect(leftBefore).not.toContain(orphan.agentId);
    expect(leftBefore).not.toContain(kept.agentId);

    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    await victim.exited;
    // The seat's agent does not come back (its PC died with the collector): it is closed and stays so.
    await onVictim.close().catch(() => undefined);

    const gone = await until(
      'the dead collector’s seat to be shown disconnected',
      async () => {
        const view = await agentOn(survivor, orphan.agentId);
        return view.connected ? null : view;
      },
      60_000,
    );
    // Within the stale bound and a few beats (generous under load: a failure bound, not a measure).
    expect(Date.now() - killedAt).toBeLessThan(STALE_AFTER_MS + 30_000);
    expect(gone.connected).toBe(false);
    // Disconnected as of the dead process's last beat, which was before the kill (one machine, one clock).
    const [orphanRow] = await queryRows<{ session: string | null; disconnected_ms: string }>(
      db.database.db,
      sql`select session, extract(epoch from disconnected_at) * 1000 as disconnected_ms
          from agents where id = ${orphan.agentId}`,
    );
    expect(orphanRow!.session).toBeNull();
    expect(Number(orphanRow!.disconnected_ms)).toBeLessThanOrEqual(killedAt);
    expect(Number(orphanRow!.disconnected_ms)).toBeGreaterThan(killedAt - STALE_AFTER_MS);
    expect(await collectors()).toEqual([survivor.child.pid!]);
    await until('the live boards to hear of it', () => disconnections(orphan.agentId) === 1, 30_000);

    // Two more beats of the survivor: nothing is announced twice, and its own agent is untouched.
    const beats = async () =>
      Number(
        (
          await queryRows<{ n: string }>(
            db.database.db,
            sql`select extract(epoch from heartbeat_at) * 1000 as n from collector_processes`,
          )
        )[0]!.n,
      );
    const from = await beats();
    await until(
      'two more beats of the survivor',
      async () => (await beats()) >= from + 2 * HEARTBEAT_MS,
      30_000,
    );
    expect(disconnections(orphan.agentId)).toBe(1);
    expect(disconnections(kept.agentId)).toBe(0);
    const keptView = await agentOn(survivor, kept.agentId);
    expect(keptView.connected).toBe(true);
    const [keptRow] = await queryRows<{ session: string }>(
      db.database.db,
      sql`select session from agents where id = ${kept.agentId}`,
    );
    expect(keptRow!.session).toBe(keptSession);

    // The dead process's agent is now one the restart check expects back; the living one's still is not.
    const leftAfter = (await agentsLeftBehind(db.database.db, window)).map((row) => row.id);
    expect(leftAfter).toContain(orphan.agentId);
    expect(leftAfter).not.toContain(kept.agentId);

    // It comes back to the survivor: connected again, as any reconnect.
    const back = await connectAgent(survivor, orphan);
    expect((await agentOn(survivor, orphan.agentId)).connected).toBe(true);
    await back.close();
    await onSurvivor.close();
  }, 180_000);

  it('removes a process’s registry row when it shuts down cleanly', async () => {
    await until('the survivor to be registered', async () => (await collectors()).length === 1, 10_000);
    survivor.child.kill('SIGTERM');
    expect((await survivor.exited).code).toBe(0);
    expect(await collectors()).toEqual([]);
  }, 60_000);
});
