/**
 * Every look at a seat's data is recorded and every refusal too, folded so
 * that nobody can flood the audit log (issue #11), on PGlite and
 * PostgreSQL through the real HTTP API: 10,000 refused requests make a
 * bounded number of rows whose counts add up; a supervisor's thumbnail and
 * seat-page reads reach the operator's self-view; reading the audit log is
 * recorded; and a self-view shows one OS account's data and the looks at
 * it, not another shift's at the same seat.
 */
import { randomBytes } from 'node:crypto';
import { toBase64 } from '@seatwatch/shared';
import {
  type AuditEntryView,
  type AuditPage,
  type Board,
  type SelfView,
  type SelfViewLink,
  selfViewSigningInput,
} from '@seatwatch/shared/dashboard-api';
import { asUser } from '@seatwatch/testkit/dashboard-session';
import { buildWorld, HOUR, type World } from '@seatwatch/testkit/investigation-world';
import {
  captureEvent,
  createTestDatabase,
  DB_KINDS,
  type EnrolledAgent,
  enrollTestAgent,
  httpJson,
  startTestServer,
  TestAgentClient,
  type TestDatabase,
  type TestServer,
  testJpeg,
} from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MINUTE = 60_000;

describe.each(DB_KINDS)('access records on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let world: World;
  // The server's clock follows the real one while the world is built (TOTP codes), then stands
  // still: only the test moves it, so a minute closes when the test says so and never in between.
  let frozen: number | null = null;
  const now = () => frozen ?? Date.now();

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db, now });
    world = await buildWorld(server, Date.now() - 2 * HOUR);
    frozen = Date.now();
  }, 180_000);

  afterAll(async () => {
    await world?.close();
    await server?.close();
    await db?.close();
  });

  async function rows<T>(query: ReturnType<typeof sql>): Promise<T[]> {
    const result = (await db.database.db.execute(query)) as unknown as { rows: T[] };
    return result.rows;
  }

  /** Closes every minute so far, and reports what the folded buckets counted since their first request. */
  async function closeMinutes(): Promise<void> {
    frozen = now() + 2 * MINUTE;
    await server.app.seatwatch.flushAccessRecords();
  }

  /** The audit log as the installation administrator reads it (in-process: no socket to go stale). */
  async function auditEntries(query: string): Promise<AuditEntryView[]> {
    const answer = await server.app.inject({
      method: 'GET',
      url: `/api/v1/investigation/audit?${query}`,
      headers: { cookie: world.who.root.cookie },
    });
    expect(answer.statusCode).toBe(200);
    return (answer.json() as AuditPage).entries;
  }

  const sumOfCounts = (entries: readonly AuditEntryView[]) =>
    entries.reduce((sum, entry) => sum + Number(entry.details.count), 0);

  function signedLinkRequest(agent: EnrolledAgent, extra: Record<string, unknown> = {}) {
    const p = JSON.stringify({
      t: 'self_view_link',
      v: 1,
      agent: agent.agentId,
      time: now(),
      nonce: randomBytes(16).toString('base64url'),
      ...extra,
    });
    return { p, s: toBase64(agent.signer.sign(selfViewSigningInput(p))) };
  }

  /** What the operator sees: a link asked for by the agent, opened once. */
  async function selfView(agent: EnrolledAgent, extra: Record<string, unknown> = {}) {
    const link = await httpJson<SelfViewLink>(
      'POST',
      `${server.url}/api/v1/self-view/links`,
      signedLinkRequest(agent, extra),
    );
    expect(link.status).toBe(201);
    const token = new URL(link.body.url).hash.replace(/^#token=/, '');
    const opened = await httpJson<SelfView>('POST', `${server.url}/api/v1/self-view/session`, { token });
    expect(opened.status).toBe(200);
    const cookie = ((opened.headers['set-cookie'] as string[] | undefined) ?? [])
      .map((line) => line.split(';')[0]!)
      .find((pair) => pair.startsWith('seatwatch_self_view='))!;
    return { view: opened.body, cookie };
  }

  it('records refusals of every route, reads included, and anonymous ones', async () => {
    const before = await auditEntries('actor=anonymous&action=access.refused&limit=500');
    const answer = await httpJson(
      'GET',
      `${server.url}/api/v1/seats/${world.seats.a1.seatId}?from=0&to=1000`,
    );
    expect(answer.status).toBe(401);
    const after = await auditEntries('actor=anonymous&action=access.refused&limit=500');
    expect(sumOfCounts(after) - sumOfCounts(before)).toBe(1);
    expect(after[0]).toMatchObject({ details: { route: 'GET /api/v1/seats/:seatId', status: 401 } });
  });

  it("shows a supervisor's thumbnail and seat-page reads, and board view, in the operator's self-view", async () => {
    const sup = world.who.supA;
    const seat = world.seats.a1;
    expect((await asUser<Board>(server, sup, 'GET', '/api/v1/board')).status).toBe(200);
    const thumbnail = `/api/v1/screenshots/${seat.screenshotId}/thumbnail`;
    // A board refreshes thumbnails: fifty reads of one minute make one entry now and one when it closes.
    for (let i = 0; i < 50; i++) expect((await asUser(server, sup, 'GET', thumbnail)).status).toBe(200);
    const page = await asUser(
      server,
      sup,
      'GET',
      `/api/v1/seats/${seat.seatId}?from=${now() - HOUR * 3}&to=${now()}`,
    );
    expect(page.status).toBe(200);

    const { view } = await selfView(seat.agent);
    expect(view.operator).toBe('operator1');
    const bySup = view.access.filter((look) => look.who === 'user:sup-a');
    expect(bySup.map((look) => look.action).sort()).toEqual([
      'board.view',
      'screenshot.thumbnail',
      'seat.read',
    ]);

    const thumbnails = () =>
      auditEntries(`actor=user:sup-a&action=screenshot.thumbnail&seatId=${seat.seatId}&limit=500`);
    expect(await thumbnails()).toHaveLength(1);
    await closeMinutes();
    const reported = await thumbnails();
    expect(reported).toHaveLength(2);
    expect(sumOfCounts(reported)).toBe(50);
    expect(reported[0]!.details).toMatchObject({ accounts: ['operator1'], purpose: 'live supervision' });

    // The board is one entry per dashboard session, however often it refreshes.
    for (let i = 0; i < 5; i++) await asUser(server, sup, 'GET', '/api/v1/board');
    await closeMinutes();
    expect(await auditEntries('actor=user:sup-a&action=board.view&limit=500')).toHaveLength(1);
  });

  it('records reads of the audit log itself', async () => {
    const aud = world.who.audA;
    const read = await asUser<AuditPage>(
      server,
      aud,
      'GET',
      `/api/v1/investigation/audit?projectId=${world.projects.A}&seatId=${world.seats.a1.seatId}`,
    );
    expect(read.status).toBe(200);
    const [entry] = await auditEntries('actor=user:aud-a&action=audit.read');
    expect(entry).toMatchObject({
      actor: 'user:aud-a',
      action: 'audit.read',
      outcome: 'success',
      projectId: world.projects.A,
      seatId: world.seats.a1.seatId,
      details: { route: 'GET /api/v1/investigation/audit', count: 1 },
    });
    // The project's own auditors see who read their log.
    const own = await asUser<AuditPage>(server, aud, 'GET', '/api/v1/investigation/audit?action=audit.read');
    expect(own.body.entries.some((each) => each.actor === 'user:aud-a')).toBe(true);
  });

  // One enrolled PC shared by every shift: the machine service says hello as root and tells whose
  // session the next events come from with a `network` event (docs/protocol.md).
  describe('a seat shared by two shifts', () => {
    let agent: EnrolledAgent;
    let seatId: string;

    /** One shift: `osUser`'s session, an activity span and a screenshot; returns the screenshot's id. */
    async function shift(osUser: string, firstSeq: number, title: string): Promise<string> {
      const client = await TestAgentClient.connect(server, agent);
      const info = { ...client.helloPayload().info, osUser: 'root' };
      await client.hello({ info });
      const at = now();
      client.sendBatch(firstSeq, [
        {
          type: 'network',
          time: at,
          hostname: info.hostname,
          osUser,
          localIps: info.localIps,
          gateway: null,
        },
        { type: 'activity', time: at, end: at + 60_000, app: 'crm', title },
      ]);
      client.sendBlob(firstSeq + 1, await testJpeg(70, 40), {
        event: captureEvent({ time: at + 1_000, width: 70, height: 40 }),
      });
      await client.ack(firstSeq + 1);
      await client.close();
      const board = await asUser<Board>(server, world.who.root, 'GET', '/api/v1/board');
      return board.body.seats.find((each) => each.id === seatId)!.screenshot!.id;
    }

    let alice: { view: SelfView; cookie: string };
    let aliceShot: string;
    let bobShot: string;

    beforeAll(async () => {
      const seat = await server.adminOk<{ id: string }>('POST', `/projects/${world.projects.A}/seats`, {
        name: 'desk-shared',
        teamId: world.teams.A1,
      });
      seatId = seat.id;
      agent = await enrollTestAgent(server, {
        projectId: world.projects.A,
        hostname: 'desk-shared',
        osUser: 'root',
      });
      aliceShot = await shift('alice', 1, 'Alice: ticket 1');
      // Alice asks for her view during her shift; the service names her session's account.
      const link = await httpJson<SelfViewLink>(
        'POST',
        `${server.url}/api/v1/self-view/links`,
        signedLinkRequest(agent, { osUser: 'alice' }),
      );
      expect(link.status).toBe(201);
      // Bob's shift starts later.
      frozen = now() + 3 * MINUTE;
      bobShot = await shift('Bob', 3, 'Bob: ticket 2');
      // A supervisor looks at Bob's screenshot only.
      expect(
        (await asUser(server, world.who.supA, 'GET', `/api/v1/screenshots/${bobShot}/thumbnail`)).status,
      ).toBe(200);
      const token = new URL(link.body.url).hash.replace(/^#token=/, '');
      const opened = await httpJson<SelfView>('POST', `${server.url}/api/v1/self-view/session`, { token });
      expect(opened.status).toBe(200);
      const cookie = ((opened.headers['set-cookie'] as string[] | undefined) ?? [])
        .map((line) => line.split(';')[0]!)
        .find((pair) => pair.startsWith('seatwatch_self_view='))!;
      alice = { view: opened.body, cookie };
    }, 120_000);

    it("shows the first operator only her own data, not the second one's at the same seat", async () => {
      const { view } = alice;
      expect(view.operator).toBe('alice');
      expect(view.recentSpans.map((span) => span.title)).toEqual(['Alice: ticket 1']);
      expect(view.screenshots.map((shot) => shot.id)).toEqual([aliceShot]);
      expect(view.counts).toMatchObject({ spans: 1, screenshots: 1 });
      // The service's own hellos (as root) are not hers.
      expect(view.logins).toEqual([]);
      // The look at Bob's screenshot is about Bob's data, not hers.
      expect(view.access.some((look) => look.action === 'screenshot.thumbnail')).toBe(false);
      const bobs = await fetch(`${server.url}/api/v1/self-view/screenshots/${bobShot}/thumbnail`, {
        headers: { cookie: alice.cookie },
      });
      expect(bobs.status).toBe(404);
      const hers = await fetch(`${server.url}/api/v1/self-view/screenshots/${aliceShot}/thumbnail`, {
        headers: { cookie: alice.cookie },
      });
      expect(hers.status).toBe(200);
    });

    it("shows the second operator his data and the supervisor's look at it", async () => {
      const { view } = await selfView(agent, { osUser: 'Bob' });
      expect(view.operator).toBe('Bob');
      expect(view.recentSpans.map((span) => span.title)).toEqual(['Bob: ticket 2']);
      expect(view.screenshots.map((shot) => shot.id)).toEqual([bobShot]);
      expect(view.access).toContainEqual(
        expect.objectContaining({ who: 'user:sup-a', action: 'screenshot.thumbnail' }),
      );
    });

    it('refuses a view of an account the agent never reported', async () => {
      const refused = await httpJson(
        'POST',
        `${server.url}/api/v1/self-view/links`,
        signedLinkRequest(agent, { osUser: 'mallory' }),
      );
      expect(refused.status).toBe(403);
    });
  });

  // Last: it takes minutes on PGlite, and sockets kept alive from before would go stale meanwhile.
  it('folds 10,000 refused requests into a few rows per user, route and minute, and the counts add up', async () => {
    const sup = world.who.supA;
    const refuseOne = async (i: number) => {
      // A read the role does not hold, and a change in a project made up anew every time.
      const answer =
        i % 2 === 0
          ? await server.app.inject({
              method: 'GET',
              url: '/api/v1/investigation/audit',
              headers: { cookie: sup.cookie },
            })
          : await server.app.inject({
              method: 'POST',
              url: `/api/v1/admin/projects/${randomBytes(8).toString('hex')}/sites`,
              headers: { cookie: sup.cookie, 'x-csrf-token': sup.csrf, 'content-type': 'application/json' },
              payload: { name: 'nope' },
            });
      expect(answer.statusCode).toBe(403);
    };
    // Twenty-five at a time, as a flood would come: concurrent requests of one bucket fold too.
    const refuse = async (count: number) => {
      for (let i = 0; i < count; i += 25) {
        await Promise.all(Array.from({ length: Math.min(25, count - i) }, (_, j) => refuseOne(i + j)));
      }
    };
    await refuse(6_000);
    frozen = now() + MINUTE;
    await refuse(4_000);

    const buckets = await rows<{ route: string; count: number; reported: number }>(
      sql`select route, count, reported from access_records where actor = 'user:sup-a' and kind = 'refusal'`,
    );
    // Two routes in two minutes (made-up project ids in the URL make no bucket of their own).
    expect(buckets.length).toBeLessThanOrEqual(4);
    expect(buckets.reduce((sum, bucket) => sum + Number(bucket.count), 0)).toBe(10_000);
    const first = await auditEntries('actor=user:sup-a&action=access.refused&limit=500');
    // Each bucket's first request is in the log at once (the first minute may be reported already).
    expect(first.filter((entry) => entry.details.count === 1)).toHaveLength(buckets.length);
    expect(first.every((entry) => entry.outcome === 'refused')).toBe(true);

    await closeMinutes();
    const all = await auditEntries('actor=user:sup-a&action=access.refused&limit=500');
    expect(all.length).toBeLessThanOrEqual(2 * buckets.length);
    expect(sumOfCounts(all)).toBe(10_000);
    expect(all.map((entry) => entry.details.route)).toContain('POST /api/v1/admin/projects/:projectId/sites');
    // Flushing again reports nothing twice.
    await server.app.seatwatch.flushAccessRecords();
    expect(sumOfCounts(await auditEntries('actor=user:sup-a&action=access.refused&limit=500'))).toBe(10_000);
    // Later the buckets go; the audit log keeps what they counted.
    frozen = now() + 15 * MINUTE;
    await server.app.seatwatch.flushAccessRecords();
    const left = await rows(
      sql`select id from access_records where actor = 'user:sup-a' and kind = 'refusal'`,
    );
    expect(left).toEqual([]);
    expect(sumOfCounts(await auditEntries('actor=user:sup-a&action=access.refused&limit=500'))).toBe(10_000);
  }, 900_000);
});
