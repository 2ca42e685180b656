// PostgreSQL only: the news crosses processes over LISTEN/NOTIFY; PGlite's one process has no other to tell.
/**
 * Ended sessions told across processes (issue #15): a sign-out taken by one
 * server process reaches the listeners (the live streams) of every other
 * process on the database, and those of its own process once, at once.
 * The end-to-end version, three server processes behind HAProxy, is in
 * test/scale-out/.
 */
import { until } from '@seatwatch/testkit';
import { createTestDatabase, type TestDatabase } from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionEndings } from '../../src/accounts/session-endings.js';
import type { NotificationPort } from '../../src/notifications/notification-port.js';

describe('ended sessions across processes', () => {
  let db: TestDatabase;
  let ports: NotificationPort[] = [];
  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    ports = [await db.openNotifications(), await db.openNotifications()];
  });
  afterAll(async () => {
    for (const port of ports) await port.close();
    await db?.close();
  });

  it('tells this process at once and the other process through the database, each once', async () => {
    const [here, there] = ports.map((notifications) => createSessionEndings({ notifications }));
    const heardHere: string[] = [];
    const heardThere: string[] = [];
    here!.onSessionsEnded((userId) => heardHere.push(userId));
    there!.onSessionsEnded((userId) => heardThere.push(userId));

    here!.ended('user-1');
    // Synchronously in its own process, as before there were several.
    expect(heardHere).toEqual(['user-1']);
    await until('the other process to hear it', () => heardThere.length > 0, 10_000);
    there!.ended('user-2');
    await until('this process to hear the other’s', () => heardHere.length > 1, 10_000);
    // Its own notification coming back does not tell this process's listeners a second time: by
    // the time the other's news arrived, its own (published first) had arrived too.
    expect(heardHere).toEqual(['user-1', 'user-2']);
    expect(heardThere).toEqual(['user-1', 'user-2']);
  });
});
