/**
 * One seat's life with the real agent and the real collector: the agent CLI
 * as a child process on a real X11 desktop (Xvfb + openbox + xterm), the
 * collector on PostgreSQL behind real HTTP and WebSocket sockets.
 *
 * Enrollment over HTTP with a token from the admin API; the monitoring
 * notice shown and its acknowledgement stored before anything captured;
 * the xterm's title and a scheduled screenshot stored (bytes in the blob
 * store, hash verified); capture_now from the admin API; and SIGTERM, whose
 * signed "stopping" event is stored before the connection closes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readStatusFile } from '@seatwatch/agent';
import type { SessionClose } from '@seatwatch/server';
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import { Children, until } from '@seatwatch/testkit';
import { type AgentProcess, enrollWithCli, startAgentProcess } from '@seatwatch/testkit/agent';
import { type SeatDesktop, startSeatDesktop } from '@seatwatch/testkit/desktop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Collector,
  createSeatProject,
  type SeatProject,
  type StoredEvent,
  screenshotBytes,
  seqsOf,
  sequenceGapAnomalies,
  startCollector,
  storedAgent,
  storedEvents,
  storedScreenshots,
} from './support/collector.js';

const TITLE = `SEATWATCH_E2E_SESSION_${process.pid}`;
const NOTICE =
  'Example Contact Center monitors this seat: the active application and window title, idle time, ' +
  'USB devices and a screenshot every 10 seconds. Supervisors and HR can see them for 60 days. ' +
  'Questions: privacy@example.com';
/** Event types only a running collector produces; none may be stored before the notice_ack. */
const CAPTURED_TYPES = new Set([
  'activity',
  'status',
  'capture',
  'network',
  'device_attached',
  'device_detached',
]);
const JPEG_MAGIC = [0xff, 0xd8, 0xff];

const children = new Children();
let collector: Collector | null = null;
let desktop: SeatDesktop;
let project: SeatProject;
let stateDir = '';
let agentId = '';
let agent: AgentProcess;

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-e2e-seat-'));
  desktop = await startSeatDesktop(children);
  await desktop.openWindow(TITLE);
  collector = await startCollector();
  project = await createSeatProject(collector, {
    noticeText: NOTICE,
    // The shortest interval the policy schema allows, without jitter, so the first screenshot comes in 10 s.
    policy: { screenshotIntervalMs: 10_000, screenshotJitter: 0 },
  });
}, 180_000);

afterAll(async () => {
  await children.stopAll();
  await collector?.close();
  if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
}, 120_000);

const position = (e: StoredEvent) => e.seq * 1_000_000 + e.idx;

describe('a seat agent against the collector (CLI, Xvfb, PostgreSQL)', () => {
  it('enrolls, shows the notice, and has its acknowledgement stored before any activity or screenshot', async () => {
    const server = collector!.server;
    agentId = await enrollWithCli(children, {
      server: collector!.url,
      token: project.token,
      seat: 'desk-e2e-01',
      stateDir,
      env: desktop.env,
    });
    const enrollments = await collector!.sql<{ allowed: boolean; ip: string }>(
      `select allowed, ip from logins where kind = 'enroll' and agent_id = $1`,
      [agentId],
    );
    expect(enrollments).toEqual([{ allowed: true, ip: '127.0.0.1' }]);
    // The token was for one use: it is spent.
    const tokens = await server.adminOk<{ uses: number }[]>('GET', `/projects/${project.projectId}/tokens`);
    expect(tokens.map((t) => t.uses)).toEqual([1]);

    agent = startAgentProcess(children, ['run', '--state-dir', stateDir, '--page-port', '0'], desktop.env);
    const [running, pageUrl] = await agent.waitForStdout(
      /Seatwatch agent \S+ running\. Local page: (http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/)/,
    );
    // The notice went to the terminal before the agent said it runs, and is on the local page.
    const printed = agent.stdout();
    expect(printed.indexOf(NOTICE)).toBeGreaterThanOrEqual(0);
    expect(printed.indexOf(NOTICE)).toBeLessThan(printed.indexOf(running));
    const page = await fetch(pageUrl!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('privacy@example.com');

    const activity = await until('the xterm title stored as activity', async () =>
      (await storedEvents(collector!, agentId)).find((e) => e.type === 'activity' && e.body.title === TITLE),
    );
    expect(activity.body).toMatchObject({ app: 'XTerm', title: TITLE });
    const [shot] = await until(
      'a scheduled screenshot stored',
      async () => {
        const shots = await storedScreenshots(collector!, agentId);
        return shots.length > 0 && shots;
      },
      120_000,
      250,
    );

    const events = await storedEvents(collector!, agentId);
    const acks = events.filter((e) => e.type === 'notice_ack');
    expect(acks).toHaveLength(1);
    const ack = acks[0]!;
    expect(ack.body).toMatchObject({ noticeVersion: project.notice.version, osUser: os.userInfo().username });
    expect(ack.body.shownVia).toContain('page');
    // Before the acknowledgement: only the agent saying it starts.
    const before = events.filter((e) => position(e) < position(ack));
    expect(before.map((e) => [e.type, e.body.phase])).toEqual([['lifecycle', 'starting']]);
    const captured = events.filter((e) => CAPTURED_TYPES.has(e.type));
    expect(captured.length).toBeGreaterThan(0);
    for (const event of captured) {
      expect(position(event)).toBeGreaterThan(position(ack));
      expect(event.time).toBeGreaterThanOrEqual(ack.time);
    }
    expect(shot!.seq).toBeGreaterThan(ack.seq);
    expect(shot!.time).toBeGreaterThanOrEqual(ack.time);
    expect((await storedAgent(collector!, agentId)).noticeVersion).toBe(project.notice.version);

    // The screenshot: a real 1280×800 JPEG of the Xvfb screen, stored under its hash; its thumbnail
    // is made when first viewed, and stored under its own.
    expect(shot).toMatchObject({ mime: 'image/jpeg', width: 1280, height: 800, trigger: 'schedule' });
    const bytes = await screenshotBytes(collector!, shot!.sha256);
    expect(bytes.length).toBe(shot!.size);
    expect(Array.from(bytes.subarray(0, 3))).toEqual(JPEG_MAGIC);
    expect(shot!.thumbSha256).toBeNull();
    const viewed = await fetch(`${server.url}/api/v1/screenshots/${shot!.id}/thumbnail`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    expect(viewed.status).toBe(200);
    expect(viewed.headers.get('content-type')).toBe('image/webp');
    const thumbnail = new Uint8Array(await viewed.arrayBuffer());
    expect(await screenshotBytes(collector!, sha256Hex(thumbnail))).toEqual(thumbnail);
    expect((await storedScreenshots(collector!, agentId)).find((s) => s.seq === shot!.seq)?.thumbSha256).toBe(
      sha256Hex(thumbnail),
    );
    const captureEvent = events.find((e) => e.seq === shot!.seq);
    expect(captureEvent?.body).toMatchObject({ type: 'capture', outcome: 'captured', trigger: 'schedule' });
  }, 240_000);

  it('capture_now from the admin API stores a new screenshot with trigger "command"', async () => {
    const server = collector!.server;
    // Scheduled captures out of the way (policy pushed to the connected agent), so the command's
    // capture is the first to see the screen change below.
    await server.adminOk('PUT', `/projects/${project.projectId}/policy`, {
      policy: { ...project.policy, screenshotIntervalMs: 3_600_000 },
      noticeText: NOTICE,
      push: true,
    });
    await until('the policy command applied', async () =>
      (await storedEvents(collector!, agentId)).find(
        (e) => e.type === 'command_result' && e.body.cmd === 'policy' && e.body.ok === true,
      ),
    );
    const before = await storedScreenshots(collector!, agentId);
    await desktop.openWindow(`${TITLE}_CAPTURE`, { big: true });

    const command = await server.adminOk<{ id: string; status: string }>(
      'POST',
      `/projects/${project.projectId}/agents/${agentId}/commands`,
      { cmd: 'capture_now' },
    );
    const shot = await until('the commanded screenshot stored', async () =>
      (await storedScreenshots(collector!, agentId)).find((s) => s.commandId === command.id),
    );
    expect(shot).toMatchObject({ trigger: 'command', mime: 'image/jpeg', width: 1280, height: 800 });
    expect(shot.seq).toBeGreaterThan(Math.max(...before.map((s) => s.seq)));
    expect(before.map((s) => s.sha256)).not.toContain(shot.sha256);
    const bytes = await screenshotBytes(collector!, shot.sha256);
    expect(bytes.length).toBe(shot.size);
    expect(Array.from(bytes.subarray(0, 3))).toEqual(JPEG_MAGIC);

    const result = await until('the command result stored', async () =>
      (await storedEvents(collector!, agentId)).find(
        (e) => e.type === 'command_result' && e.body.commandId === command.id,
      ),
    );
    expect(result.body).toMatchObject({ cmd: 'capture_now', ok: true });
    expect(result.body.message).toMatch(/monitor 0: captured/);
    const listed = await server.adminOk<{ id: string; status: string; resultMessage: string | null }[]>(
      'GET',
      `/projects/${project.projectId}/agents/${agentId}/commands`,
    );
    expect(listed.find((c) => c.id === command.id)).toMatchObject({
      status: 'succeeded',
      resultMessage: result.body.message,
    });
  }, 120_000);

  it('SIGTERM: the signed "stopping" event is stored and acknowledged before the agent closes the connection', async () => {
    const timeline: Array<{ seq: number; types: string[] } | { close: SessionClose }> = [];
    const unsubscribe = collector!.server.app.seatwatch.ingest.subscribe({
      committed(frames) {
        for (const frame of frames) {
          if (frame.agent.agentId === agentId)
            timeline.push({ seq: frame.seq, types: frame.events.map((e) => e.type) });
        }
      },
      disconnected(session, close) {
        if (session.agentId === agentId) timeline.push({ close });
      },
    });
    try {
      agent.child.kill('SIGTERM');
      expect(await agent.exited).toEqual({ code: 0, signal: null });
      await until('the collector to see the connection close', () => timeline.some((t) => 'close' in t));
    } finally {
      unsubscribe();
    }

    const events = await storedEvents(collector!, agentId);
    const stopping = events.filter((e) => e.type === 'lifecycle' && e.body.phase === 'stopping');
    expect(stopping.map((e) => e.body)).toEqual([
      expect.objectContaining({ reason: 'signal', detail: 'SIGTERM' }),
    ]);
    const stop = stopping[0]!;
    // Committed, then the close: the agent's own normal close, not the server's.
    const committedAt = timeline.findIndex((t) => 'seq' in t && t.seq === stop.seq);
    const closedAt = timeline.findIndex((t) => 'close' in t);
    expect(committedAt).toBeGreaterThanOrEqual(0);
    expect(committedAt).toBeLessThan(closedAt);
    expect((timeline[closedAt] as { close: SessionClose }).close).toMatchObject({
      code: 1000,
      byServer: false,
    });
    const stored = await until('the disconnection recorded', async () => {
      const row = await storedAgent(collector!, agentId);
      return row.disconnectedAt !== null && row;
    });
    expect(stop.receivedAt).toBeLessThanOrEqual(stored.disconnectedAt!);
    expect(stored.session).toBeNull();

    // The agent's last word, everything acknowledged: its outbox is empty and the stop is the last seq.
    const status = readStatusFile(stateDir)!;
    expect(status.stopped?.reason).toBe('signal');
    expect(status.outbox).toMatchObject({ depth: 0, lastSeq: stop.seq, ackedSeq: stop.seq });
    expect(stored.ackedSeq).toBe(stop.seq);
    expect(agent.logs().filter((l) => l.message.includes('without an acknowledgement'))).toEqual([]);

    // The whole session: every seq from 1 to the stop stored once, no gap raised.
    const { seqs, contiguous } = seqsOf(events);
    expect(contiguous).toBe(true);
    expect(seqs.at(-1)).toBe(stop.seq);
    expect(await sequenceGapAnomalies(collector!, agentId)).toEqual([]);
  }, 120_000);
});
