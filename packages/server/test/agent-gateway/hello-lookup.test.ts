/**
 * The hello's lookup of its agent (the row, its seat, the project's allowlist, the site's policy)
 * goes in one statement for the hellos of a turn (issue #15, the connect storm), on PGlite and
 * PostgreSQL: each answer belongs to the id it was asked for, unknown ids get none, and a crowd of
 * hellos arriving together (an unknown agent among them) each get their own outcome.
 */
import {
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  type EnrolledAgent,
  enrollTestAgent,
  startTestServer,
  TestAgentClient,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHelloContexts } from '../../src/agent-gateway/hello.repository.js';

describe.each(DB_KINDS)('the hello lookup on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let open: { projectId: string };
  let fenced: { projectId: string };

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db });
    open = await createTestProject(server, { name: 'Open floor' });
    fenced = await createTestProject(server, { name: 'Fenced floor', allowlist: ['127.0.0.0/8'] });
    // Migrating a fresh PGlite takes a while on a busy 2-core machine.
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('answers each id asked, in order, null for one that names no agent', async () => {
    const a = await enrollTestAgent(server, { projectId: open.projectId });
    const b = await enrollTestAgent(server, { projectId: fenced.projectId });
    const found = await readHelloContexts(db.database.db, [a.agentId, 'no-such-agent', b.agentId, a.agentId]);
    expect(found.map((agent) => agent?.id ?? null)).toEqual([a.agentId, null, b.agentId, a.agentId]);
    expect(found[0]).toMatchObject({ projectId: open.projectId, status: 'active', allowlist: [] });
    expect(found[2]).toMatchObject({
      projectId: fenced.projectId,
      allowlist: [{ cidr: '127.0.0.0/8', siteId: null }],
    });
    expect(found[2]!.policy?.notice.version).toBeGreaterThan(0);
  });

  it('gives each of a crowd of hellos its own outcome', async () => {
    const agents: EnrolledAgent[] = [];
    for (let i = 0; i < 12; i++) {
      agents.push(await enrollTestAgent(server, { projectId: i % 2 ? open.projectId : fenced.projectId }));
    }
    const clients = await Promise.all(agents.map((agent) => TestAgentClient.connect(server, agent)));
    const stranger = await TestAgentClient.connect(server, agents[0]!);
    // All sent in one go, so the server reads them in the same turns.
    for (const client of clients) client.sendHello();
    stranger.sendHello({ agent: 'no-such-agent' });

    const welcomes = await Promise.all(clients.map((client) => client.next('welcome')));
    expect(new Set(welcomes.map((welcome) => welcome.session)).size).toBe(agents.length);
    const [error, close] = await Promise.all([stranger.next('error'), stranger.closed]);
    expect({ code: error.code, close: close.code }).toEqual({ code: 'unknown_agent', close: 4401 });
    for (const client of clients) {
      expect(client.failures).toEqual([]);
      await client.close();
    }
  });
});
