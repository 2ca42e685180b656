// PostgreSQL only: LISTEN/NOTIFY is PostgreSQL's; PGlite's one process uses the in-process port.
/** The PostgreSQL notification port: what one process publishes, every process hears, in order. */

import { createTestDatabase, type TestDatabase } from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification, NotificationPort } from '../../src/notifications/notification-port.js';

describe('notifications over LISTEN/NOTIFY', () => {
  let db: TestDatabase;
  let publisher: NotificationPort;
  let listener: NotificationPort;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    publisher = await db.openNotifications();
    listener = await db.openNotifications();
  });
  afterAll(async () => {
    await publisher?.close();
    await listener?.close();
    await db?.close();
  });

  it('delivers a burst published in one turn to other processes and to itself, in order', async () => {
    const heard: string[] = [];
    const self: string[] = [];
    listener.subscribe((n) => {
      if (n.topic === 'agent.command') heard.push(n.agentId);
    });
    publisher.subscribe((n) => {
      if (n.topic === 'agent.command') self.push(n.agentId);
    });
    const ids = Array.from({ length: 200 }, (_, i) => `agent-${i}`);
    await Promise.all(ids.map((agentId) => publisher.publish({ topic: 'agent.command', agentId })));
    await expect.poll(() => heard.length).toBe(ids.length);
    expect(heard).toEqual(ids);
    await expect.poll(() => self).toEqual(ids);
  });

  it('refuses a notification over the NOTIFY size limit without failing the others', async () => {
    const heard: string[] = [];
    listener.subscribe((n) => {
      if (n.topic === 'agent.revoked') heard.push(n.agentId);
    });
    const big: Notification = { topic: 'agent.revoked', agentId: 'x'.repeat(9000) };
    const results = await Promise.allSettled([
      publisher.publish({ topic: 'agent.revoked', agentId: 'small-1' }),
      publisher.publish(big),
      publisher.publish({ topic: 'agent.revoked', agentId: 'small-2' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    await expect.poll(() => heard).toEqual(['small-1', 'small-2']);
  });
});
