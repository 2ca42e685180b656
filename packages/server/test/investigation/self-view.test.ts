/**
 * The operator self-view on PGlite and PostgreSQL: the agent's signed request gets a
 * one-time link; the link opens a short session bound to that seat, which
 * shows what was collected and who looked at it, when and why. Replays,
 * forged signatures, second uses and other seats' screenshots are refused.
 */
import { randomBytes } from 'node:crypto';
import { toBase64 } from '@seatwatch/shared';
import { type SelfView, type SelfViewLink, selfViewSigningInput } from '@seatwatch/shared/dashboard-api';
import { asUser } from '@seatwatch/testkit/dashboard-session';
import { buildWorld, HOUR, type World } from '@seatwatch/testkit/investigation-world';
import {
  createTestDatabase,
  DB_KINDS,
  type EnrolledAgent,
  httpJson,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe.each(DB_KINDS)('self-view on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let world: World;

  function signedRequest(agent: EnrolledAgent, overrides: Record<string, unknown> = {}) {
    const p = JSON.stringify({
      t: 'self_view_link',
      v: 1,
      agent: agent.agentId,
      time: Date.now(),
      nonce: randomBytes(16).toString('base64url'),
      ...overrides,
    });
    return { p, s: toBase64(agent.signer.sign(selfViewSigningInput(p))) };
  }

  const cookieOf = (headers: Record<string, unknown>) =>
    ((headers['set-cookie'] as string[] | undefined) ?? [])
      .map((line) => line.split(';')[0]!)
      .find((c) => c.startsWith('seatwatch_self_view='))!;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db });
    world = await buildWorld(server, Date.now() - 2 * HOUR);
    // Someone looks at the seat: this must show in the operator's view.
    await asUser(
      server,
      world.who.invA,
      'POST',
      `/api/v1/investigation/screenshots/${world.seats.a1.screenshotId}/view`,
      {
        reason: 'Complaint by customer Müller',
      },
    );
  }, 180_000);

  afterAll(async () => {
    await world?.close();
    await server?.close();
    await db?.close();
  });

  describe('operator self-view', () => {
    let token: string;
    let cookie: string;

    it('gives the agent a one-time link for a signed request, once', async () => {
      const request = signedRequest(world.seats.a1.agent);
      const answer = await httpJson<SelfViewLink>('POST', `${server.url}/api/v1/self-view/links`, request);
      expect(answer.status).toBe(201);
      const url = new URL(answer.body.url);
      expect(`${url.origin}${url.pathname}`).toBe(`${server.url}/self-view`);
      token = url.hash.replace(/^#token=/, '');
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await httpJson('POST', `${server.url}/api/v1/self-view/links`, request)).status).toBe(409);
    });

    it('refuses a forged, a protocol-domain or a stale request', async () => {
      const forged = signedRequest(world.seats.a2.agent, { agent: world.seats.a1.agent.agentId });
      expect((await httpJson('POST', `${server.url}/api/v1/self-view/links`, forged)).status).toBe(401);
      const p = JSON.stringify({
        t: 'self_view_link',
        v: 1,
        agent: world.seats.a1.agent.agentId,
        time: Date.now(),
        nonce: 'abcdefghijklmnopqrstuv',
      });
      const frameDomain = new TextEncoder().encode(`seatwatch/1 agent\n${p}`);
      const wrongDomain = { p, s: toBase64(world.seats.a1.agent.signer.sign(frameDomain)) };
      expect((await httpJson('POST', `${server.url}/api/v1/self-view/links`, wrongDomain)).status).toBe(401);
      const stale = signedRequest(world.seats.a1.agent, { time: Date.now() - 2 * HOUR });
      expect((await httpJson('POST', `${server.url}/api/v1/self-view/links`, stale)).status).toBe(400);
    });

    it('opens once, and shows what was collected and who looked, when and why', async () => {
      const opened = await httpJson<SelfView>('POST', `${server.url}/api/v1/self-view/session`, { token });
      expect(opened.status).toBe(200);
      cookie = cookieOf(opened.headers as Record<string, unknown>);
      expect(cookie).toBeDefined();
      const view = opened.body;
      expect(view.seat).toMatchObject({
        id: world.seats.a1.seatId,
        name: 'desk-a1',
        projectName: 'Project A',
      });
      expect(view.counts).toMatchObject({ spans: 3, screenshots: 1, devices: 1 });
      expect(view.recentSpans.map((span) => span.title)).toEqual([
        '=Ticket 4712 (cmd|calc)',
        'Payment portal',
        'Ticket 4711 — Customer Müller',
      ]);
      expect(view.access).toContainEqual(
        expect.objectContaining({
          who: 'user:inv-a',
          action: 'screenshot.view',
          reason: 'Complaint by customer Müller',
        }),
      );
      expect(view.access.every((entry) => !entry.action.startsWith('self_view.'))).toBe(true);
      expect((await httpJson('POST', `${server.url}/api/v1/self-view/session`, { token })).status).toBe(401);
    });

    it('reads with its cookie, only its own seat', async () => {
      const again = await httpJson<SelfView>('GET', `${server.url}/api/v1/self-view`, undefined, {
        headers: { cookie },
      });
      expect(again.status).toBe(200);
      expect(again.body.seat.id).toBe(world.seats.a1.seatId);
      const own = await fetch(
        `${server.url}/api/v1/self-view/screenshots/${world.seats.a1.screenshotId}/thumbnail`,
        { headers: { cookie } },
      );
      expect(own.status).toBe(200);
      expect(own.headers.get('content-type')).toBe('image/webp');
      const other = await fetch(
        `${server.url}/api/v1/self-view/screenshots/${world.seats.a2.screenshotId}/thumbnail`,
        { headers: { cookie } },
      );
      expect(other.status).toBe(404);
      expect((await httpJson('GET', `${server.url}/api/v1/self-view`)).status).toBe(401);
    });
  });
});
