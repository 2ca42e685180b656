/**
 * A real server (port 0, real database) whose anomaly engine and alert
 * dispatcher run on a fake clock, and seats connected to it through real
 * signed sockets. Nothing here reaches into the engine: tests send frames,
 * await acks, move the clock, and read what was stored.
 */
import type { Event, HelloPayload } from '@seatwatch/shared';
import type { ShiftSchedule } from '@seatwatch/shared/dashboard-api';
import {
  createTestProject,
  type EnrolledAgent,
  enrollTestAgent,
  type HttpAnswer,
  httpJson,
  type ServerIdentity,
  startTestServer,
  TestAgentClient,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { eq } from 'drizzle-orm';
import { anomalies } from '../../../src/db/schema/index.js';
import type { AgentSession, SessionClose } from '../../../src/ingest/ingest-hub.js';
import { FakeScheduler } from './fake-scheduler.js';

/** Monday 2 March 2026, 10:00 UTC: inside a Monday–Friday 09:00–17:00 UTC shift. */
export const MONDAY_10_UTC = Date.parse('2026-03-02T10:00:00Z');

export const OFFICE_HOURS_UTC: ShiftSchedule = {
  timeZone: 'UTC',
  weekly: [1, 2, 3, 4, 5].map((day) => ({ day, start: '09:00', end: '17:00' })),
  exceptions: [],
};

export interface AnomalyWorld {
  readonly server: TestServer;
  readonly clock: FakeScheduler;
  /** Calls /api/v1/anomalies<path> with the admin token. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<HttpAnswer<T>>;
  apiOk<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Waits until the engine has evaluated and written everything observed so far. */
  settle(): Promise<void>;
  /** Runs the engine's timer rules at the fake clock's time. */
  tick(): Promise<void>;
  /** A seat in a project of its own (or the given one), optionally in a team with a shift schedule. */
  seat(options?: SeatOptions): Promise<Seat>;
  /** The anomalies stored for an agent. */
  anomaliesOf(agentId: string): Promise<(typeof anomalies.$inferSelect)[]>;
  close(): Promise<void>;
}

export interface SeatOptions {
  projectId?: string;
  schedule?: ShiftSchedule;
  osUser?: string;
  /** Connect from this local address (127.0.0.2 is a real other IP). */
  localAddress?: string;
}

export interface Seat {
  readonly projectId: string;
  readonly teamId: string | null;
  readonly agent: EnrolledAgent;
  client: TestAgentClient;
  seq: number;
  /** Sends one batch with the next seq and waits for its ack and for the engine. */
  send(events: Event[]): Promise<void>;
  /** Connects again (a new session), saying hello at the fake clock's time. */
  reconnect(options?: { localAddress?: string; hello?: Partial<HelloPayload> }): Promise<void>;
  /** Resolves when the server has seen this seat's connection close. */
  disconnected(): Promise<SessionClose>;
}

export async function createAnomalyWorld(
  database: TestDatabase,
  options: { start?: number; config?: Record<string, unknown>; identity?: ServerIdentity } = {},
): Promise<AnomalyWorld> {
  const clock = new FakeScheduler(options.start ?? MONDAY_10_UTC);
  const server = await startTestServer({
    database,
    now: clock.now,
    ...(options.config ? { config: options.config } : {}),
    ...(options.identity ? { identity: options.identity } : {}),
    anomalies: {
      scheduler: clock,
      engine: { tickMs: 0 },
      alerts: { pollMs: 0, backoff: () => 60_000 },
    },
  });
  const api = <T>(method: string, path: string, body?: unknown) =>
    httpJson<T>(method, `${server.url}/api/v1/anomalies${path}`, body, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
  const apiOk = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const answer = await api<T>(method, path, body);
    if (answer.status < 200 || answer.status >= 300) {
      throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    }
    return answer.body;
  };
  const engine = server.app.anomalies.engine;
  if (!engine) throw new Error('the anomaly engine is off');
  // The hub hands committed frames to observers in a setImmediate queued when the commit settles, before
  // the ack is even sent; one setImmediate of ours, queued after the ack arrived, runs after it (FIFO).
  // Then the engine has everything the acknowledged frames hold, and idle() waits for it to finish.
  const settle = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    await engine.idle();
  };

  const closes = new Map<string, ((close: SessionClose) => void)[]>();
  server.app.seatwatch.ingest.subscribe({
    disconnected(session: AgentSession, close: SessionClose) {
      const waiters = closes.get(session.agentId) ?? [];
      closes.delete(session.agentId);
      for (const resolve of waiters) resolve(close);
    },
  });

  const hello = async (client: TestAgentClient, osUser: string, overrides: Partial<HelloPayload> = {}) => {
    const payload = client.helloPayload({ time: clock.now(), ...overrides });
    await client.hello({ time: clock.now(), info: { ...payload.info, osUser }, ...overrides });
  };

  return {
    server,
    clock,
    api,
    apiOk,
    settle,
    tick: () => engine.tick(),
    async seat(seatOptions = {}) {
      const projectId = seatOptions.projectId ?? (await createTestProject(server)).projectId;
      let teamId: string | null = null;
      const hostname = `seat-${Math.random().toString(36).slice(2, 8)}`;
      if (seatOptions.schedule) {
        const team = await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/teams`, {
          name: `team-${hostname}`,
        });
        teamId = team.id;
        await server.adminOk('POST', `/projects/${projectId}/seats`, { name: hostname, teamId });
        await apiOk('PUT', `/projects/${projectId}/teams/${teamId}/schedule`, seatOptions.schedule);
      }
      const osUser = seatOptions.osUser ?? `operator-${hostname}`;
      const agent = await enrollTestAgent(server, {
        projectId,
        hostname,
        osUser,
        ...(seatOptions.localAddress ? { localAddress: seatOptions.localAddress } : {}),
      });
      const connectOptions = seatOptions.localAddress ? { localAddress: seatOptions.localAddress } : {};
      const client = await TestAgentClient.connect(server, agent, connectOptions);
      await hello(client, osUser);
      await settle();
      const seat: Seat = {
        projectId,
        teamId,
        agent,
        client,
        seq: client.welcome!.ackedSeq,
        async send(events) {
          seat.seq += 1;
          seat.client.sendBatch(seat.seq, events);
          await seat.client.ack(seat.seq);
          await settle();
        },
        async reconnect(reconnectOptions = {}) {
          const address = reconnectOptions.localAddress ?? seatOptions.localAddress;
          seat.client = await TestAgentClient.connect(
            server,
            agent,
            address ? { localAddress: address } : {},
          );
          await hello(seat.client, osUser, reconnectOptions.hello);
          seat.seq = seat.client.welcome!.ackedSeq;
          await settle();
        },
        disconnected() {
          return new Promise((resolve) => {
            const list = closes.get(agent.agentId) ?? [];
            list.push(resolve);
            closes.set(agent.agentId, list);
          });
        },
      };
      return seat;
    },
    async anomaliesOf(agentId) {
      await settle();
      return server.db.database.db.select().from(anomalies).where(eq(anomalies.agentId, agentId));
    },
    close: () => server.close(),
  };
}
