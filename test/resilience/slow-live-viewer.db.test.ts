/**
 * A dashboard viewer whose browser stops reading the live stream cannot make the collector
 * hold every later event for it (issue #15). A hundred seats change again and again while
 * one viewer's socket reads nothing: once about 1 MiB waits on top of what the kernel holds,
 * the collector cuts that stream; a viewer who reads keeps its stream, and a new stream opens.
 */
import http from 'node:http';
import { until } from '@seatwatch/testkit';
import { createSignedInUser, type SignedIn } from '@seatwatch/testkit/dashboard-session';
import {
  createTestDatabase,
  createTestProject,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SEATS = 100;

interface LiveStream {
  readonly response: http.IncomingMessage;
  readonly ended: Promise<void>;
  readonly isEnded: () => boolean;
  /** Bytes read so far (stays put while paused). */
  readonly received: () => number;
  close(): void;
}

describe('a live-stream viewer that stops reading', () => {
  let db: TestDatabase;
  let server: TestServer;
  let viewer: SignedIn;

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    server = await startTestServer({ database: db });
    viewer = await createSignedInUser(server, 'watcher', [
      { role: 'administrator', projectId: null, teamId: null },
    ]);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  function openLive(): Promise<LiveStream> {
    return new Promise((resolve, reject) => {
      const request = http.get(
        `${server.url}/api/v1/live`,
        { headers: { cookie: viewer.cookie } },
        (response) => {
          if (response.statusCode !== 200) return reject(new Error(`live answered ${response.statusCode}`));
          let ended = false;
          let bytes = 0;
          let text = '';
          const done = new Promise<void>((settle) => {
            const mark = () => {
              ended = true;
              settle();
            };
            response.on('end', mark).on('close', mark).on('error', mark);
          });
          response.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (text.length < 4096) text += chunk.toString('utf8');
            if (text.includes('event: ready'))
              resolve({
                response,
                ended: done,
                isEnded: () => ended,
                received: () => bytes,
                close: () => request.destroy(),
              });
          });
        },
      );
      request.on('error', reject);
    });
  }

  it('is cut once its unread events pass the bound; a reading viewer is not, and the next stream opens', async () => {
    const { projectId } = await createTestProject(server);
    // Long names make each tile about 1 KiB, so a few hundred kilobytes change per flush.
    const seats: string[] = [];
    for (let i = 0; i < SEATS; i++) {
      const seat = await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/seats`, {
        name: `${i} ${'\u{1F4BA}'.repeat(190)}`,
      });
      seats.push(seat.id);
    }
    const stalled = await openLive();
    const reading = await openLive();
    stalled.response.pause();
    const { notifications } = server.app.seatwatch;

    // The collector's kernel buffers take about 4 MiB (net.ipv4.tcp_wmem) before anything waits in
    // the process, so the cut comes after some 5.5 MiB; the stalled socket resumes only once twice
    // that went to the viewer who reads.
    const enough = 2 * (4 + 1) * 1024 * 1024;
    await until(
      'events enough to overrun the stalled viewer',
      async () => {
        await Promise.all(
          seats.map((seatId) =>
            notifications.publish({
              topic: 'seat.changed',
              projectId,
              seatId,
              agentId: 'none',
              reason: 'state',
            }),
          ),
        );
        return reading.received() > enough ? true : null;
      },
      90_000,
      150, // the live hub's flush period (FLUSH_MS)
    );
    expect(stalled.received()).toBeLessThan(1024);
    stalled.response.resume();
    // Cut: it gets what the buffers held, then its end, while the reader's stream goes on.
    await stalled.ended;
    expect(stalled.received()).toBeLessThan(reading.received() / 2);
    expect(reading.isEnded()).toBe(false);

    const next = await openLive();
    expect(next.isEnded()).toBe(false);
    next.close();
    reading.close();
  }, 120_000);
});
