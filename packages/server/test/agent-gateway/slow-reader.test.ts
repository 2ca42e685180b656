/**
 * An agent that stops reading cannot make the server hold without bound what it sends it
 * (issue #15). Ten MiB of commands wait for an agent whose socket stops reading right after
 * its hello: the server fills the kernel's buffers and then at most MAX_UNREAD_BYTES more,
 * closes with `unavailable` (1013), and gives the commands it did not send back to the queue;
 * the next connection gets exactly those, so nothing is lost or sent twice.
 */
import { until } from '@seatwatch/testkit';
import {
  connectAgent,
  createTestDatabase,
  enrollTestAgent,
  startTestServer,
  TestAgentClient,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_UNREAD_BYTES } from '../../src/agent-gateway/agent-connection.js';
import { agentCommands } from '../../src/db/schema/index.js';

const COMMANDS = 100;
const ARG_BYTES = 100_000;

describe('an agent that stops reading', () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    server = await startTestServer({ database: db });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('is closed with 1013 once its unread messages pass the bound; what was not sent is delivered on reconnect, once', async () => {
    const agent = await enrollTestAgent(server);
    await db.database.db.insert(agentCommands).values(
      Array.from({ length: COMMANDS }, (_, i) => ({
        projectId: agent.projectId,
        agentId: agent.agentId,
        cmd: 'capture_now',
        args: { n: i, pad: 'x'.repeat(ARG_BYTES) },
        requestedBy: 'test',
      })),
    );
    const statuses = async () => {
      const rows = await db.database.db
        .select({ status: agentCommands.status })
        .from(agentCommands)
        .where(eq(agentCommands.agentId, agent.agentId));
      return {
        sent: rows.filter((r) => r.status === 'sent').length,
        pending: rows.filter((r) => r.status === 'pending').length,
      };
    };

    const stalled = await TestAgentClient.connect(server, agent);
    stalled.sendHello();
    stalled.ws.pause();
    // The claim marks every command sent; sending stops at the bound and the rest are released.
    await until('the commands claimed', async () => ((await statuses()).sent > 0 ? true : null));
    stalled.ws.resume();
    const close = await stalled.closed;
    expect(close.code).toBe(1013);
    const error = stalled.received.find((p) => p.t === 'error');
    expect(error?.t === 'error' ? error.code : null).toBe('unavailable');
    const got = stalled.received.filter((p) => p.t === 'command').length;
    expect(got).toBeGreaterThan(0);
    // What the server kept for this socket stayed near the bound, far below the 10 MiB it had to send.
    expect(got).toBeLessThan(COMMANDS);
    expect(MAX_UNREAD_BYTES).toBeLessThan((COMMANDS * ARG_BYTES) / 4);

    const settled = await until('the unsent commands released', async () => {
      const now = await statuses();
      return now.sent === got && now.pending === COMMANDS - got ? now : null;
    });
    expect(settled).toEqual({ sent: got, pending: COMMANDS - got });

    const next = await connectAgent(server, agent);
    const rest = [];
    for (let i = 0; i < COMMANDS - got; i++) rest.push(await next.next('command'));
    const numbers = [
      ...stalled.received.flatMap((p) => (p.t === 'command' ? [p.args.n as number] : [])),
      ...rest.map((p) => p.args.n as number),
    ].sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: COMMANDS }, (_, i) => i));
    expect(await statuses()).toEqual({ sent: COMMANDS, pending: 0 });
    await next.close();
  });
});
