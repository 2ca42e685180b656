/**
 * A world for the investigation tests, built through the real interfaces:
 * a server on port 0, two projects (A with teams A1 and A2, B with B1),
 * real agents enrolled on seats that send activity, device events and a
 * real JPEG screenshot, and dashboard users of every role signed in over
 * HTTP (with TOTP where the role needs it).
 */

import type { Event } from '@seatwatch/shared';
import type { Board, Grant } from '@seatwatch/shared/dashboard-api';
import { asUser, createSignedInUser, type SignedIn } from './dashboard-session.js';
import { testJpeg } from './images.js';
import {
  captureEvent,
  connectAgent,
  createTestProject,
  type EnrolledAgent,
  enrollTestAgent,
  type TestAgentClient,
} from './test-agent.js';
import type { TestServer } from './test-server.js';

export type Role = 'root' | 'adminA' | 'supA' | 'invA' | 'invA1' | 'audA' | 'invB' | 'audB';

export interface SeatFixture {
  seatId: string;
  agent: EnrolledAgent;
  client: TestAgentClient;
  /** The screenshot's bytes and row id. */
  jpeg: Uint8Array;
  screenshotId: string;
}

export interface World {
  server: TestServer;
  projects: { A: string; B: string };
  teams: { A1: string; A2: string; B1: string };
  seats: { a1: SeatFixture; a2: SeatFixture; b1: SeatFixture };
  who: Record<Role, SignedIn>;
  close(): Promise<void>;
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** A working hour of a seat: activity spans, a USB stick, a status change, from `start` on. */
export function workEvents(start: number): Event[] {
  return [
    {
      type: 'activity',
      time: start,
      end: start + 600_000,
      app: 'crm',
      title: 'Ticket 4711 — Customer Müller',
    },
    {
      type: 'activity',
      time: start + 600_000,
      end: start + 900_000,
      app: 'browser',
      title: 'Payment portal',
    },
    { type: 'status', time: start + 900_000, state: 'idle', idleMs: 180_000 },
    {
      type: 'device_attached',
      time: start + 1_000_000,
      device: {
        id: 'usb-1-1',
        vendorId: '0781',
        productId: '5567',
        name: 'Cruzer Blade',
        manufacturer: 'SanDisk',
        serial: 'SN-1',
        deviceClass: 'mass-storage',
        massStorage: true,
      },
    },
    {
      type: 'activity',
      time: start + 1_200_000,
      end: start + 1_800_000,
      app: 'crm',
      title: '=Ticket 4712 (cmd|calc)',
    },
  ];
}

async function seatWithData(
  server: TestServer,
  projectId: string,
  name: string,
  teamId: string | null,
  start: number,
  width: number,
): Promise<SeatFixture> {
  const seat = await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/seats`, {
    name,
    ...(teamId ? { teamId } : {}),
  });
  const agent = await enrollTestAgent(server, { projectId, hostname: name, osUser: `op-${name}` });
  const client = await connectAgent(server, agent);
  client.sendBatch(1, workEvents(start));
  const jpeg = await testJpeg(width, 40);
  client.sendBlob(2, jpeg, { event: captureEvent({ time: start + 1_500_000, width, height: 40 }) });
  await client.ack(2);
  return { seatId: seat.id, agent, client, jpeg, screenshotId: '' };
}

export async function buildWorld(
  server: TestServer,
  start: number,
  options: { retentionDays?: number } = {},
): Promise<World> {
  const A = (await createTestProject(server, { name: 'Project A', ...options })).projectId;
  const B = (await createTestProject(server, { name: 'Project B', ...options })).projectId;
  const team = async (projectId: string, name: string) =>
    (await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/teams`, { name })).id;
  const teams = { A1: await team(A, 'A1'), A2: await team(A, 'A2'), B1: await team(B, 'B1') };
  const seats = {
    a1: await seatWithData(server, A, 'desk-a1', teams.A1, start, 64),
    a2: await seatWithData(server, A, 'desk-a2', teams.A2, start, 66),
    b1: await seatWithData(server, B, 'desk-b1', teams.B1, start, 68),
  };
  const user = (name: string, grants: Grant[]) => createSignedInUser(server, name, grants);
  const who: Record<Role, SignedIn> = {
    root: await user('root', [{ role: 'administrator', projectId: null, teamId: null }]),
    adminA: await user('admin-a', [{ role: 'administrator', projectId: A, teamId: null }]),
    supA: await user('sup-a', [{ role: 'supervisor', projectId: A, teamId: null }]),
    invA: await user('inv-a', [{ role: 'investigator', projectId: A, teamId: null }]),
    invA1: await user('inv-a1', [{ role: 'investigator', projectId: A, teamId: teams.A1 }]),
    audA: await user('aud-a', [{ role: 'auditor', projectId: A, teamId: null }]),
    invB: await user('inv-b', [{ role: 'investigator', projectId: B, teamId: null }]),
    audB: await user('aud-b', [{ role: 'auditor', projectId: B, teamId: null }]),
  };
  const board = await asUser<Board>(server, who.root, 'GET', '/api/v1/board');
  for (const fixture of Object.values(seats)) {
    fixture.screenshotId = board.body.seats.find((seat) => seat.id === fixture.seatId)!.screenshot!.id;
  }
  return {
    server,
    projects: { A, B },
    teams,
    seats,
    who,
    async close() {
      for (const fixture of Object.values(seats)) await fixture.client.close();
    },
  };
}
