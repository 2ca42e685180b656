/**
 * The collector goes away for 30 s while the seat keeps working. The agent
 * (createAgent on the real X11 adapters, in this process so that every frame
 * it queues can be compared with what the collector stored) keeps
 * collecting into its outbox; when the collector is back on the same port,
 * every frame is delivered: each seq from 1 to the last stored exactly once,
 * with exactly the events the agent put in it, the outage's own activity and
 * screenshot among them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Agent, createAgent, jsonLineLogger, loadIdentity, probeCollectors } from '@seatwatch/agent';
import type { Event } from '@seatwatch/shared';
import { Children, until } from '@seatwatch/testkit';
import { confirmingNoticeChannel, enrollWithLibrary, runAgentCommand } from '@seatwatch/testkit/agent';
import { type SeatDesktop, startSeatDesktop } from '@seatwatch/testkit/desktop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Collector,
  createSeatProject,
  screenshotBytes,
  sequenceGapAnomalies,
  startCollector,
  storedEvents,
  storedScreenshots,
} from './support/collector.js';

const TITLE = `SEATWATCH_E2E_OUTAGE_${process.pid}`;
const OUTAGE_TITLE = `${TITLE}_WHILE_DOWN`;
/** How long the collector stays down: the scenario itself, not a wait for anything. */
const OUTAGE_MS = 30_000;

const children = new Children();
let collector: Collector | null = null;
let desktop: SeatDesktop;
let stateDir = '';
let agentId = '';
let agent: Agent | null = null;
const logLines: string[] = [];
const queued = new Map<number, { kind: 'batch' | 'blob'; events: readonly Event[] }>();

const isSpanOf = (title: string) => (q: { events: readonly Event[] }) =>
  q.events.some((e) => e.type === 'activity' && e.title === title);

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-e2e-outage-'));
  desktop = await startSeatDesktop(children);
  await desktop.openWindow(TITLE);
  collector = await startCollector();
  const project = await createSeatProject(collector, {
    noticeText:
      'This seat is monitored (end-to-end test of a collector outage). Questions: privacy@example.com',
    policy: { screenshotIntervalMs: 10_000, screenshotJitter: 0 },
  });
  agentId = await enrollWithLibrary({
    server: collector.url,
    token: project.token,
    seat: 'desk-e2e-outage',
    stateDir,
  });
  // node-screenshots opens the display named by this process's DISPLAY, as it does on a seat.
  process.env.DISPLAY = desktop.display;
  agent = createAgent({
    stateDir,
    identity: loadIdentity(stateDir),
    collectors: await probeCollectors('linux', desktop.env),
    osUser: os.userInfo().username,
    log: jsonLineLogger((line) => logLines.push(line), 'info'),
    terminal: null,
    desktopNotifier: null,
    noticeChannels: [confirmingNoticeChannel()],
    page: { port: 0 },
    // Short reconnect delays, so the agent is back within seconds of the collector rather than a minute.
    backoff: { initialMs: 250, maxMs: 2000 },
  });
  agent.events.on('queued', ({ seq, kind, events }) => queued.set(seq, { kind, events }));
}, 180_000);

afterAll(async () => {
  await agent?.stop('signal', 'test cleanup');
  await children.stopAll();
  await collector?.close();
  if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
}, 120_000);

describe('collector outage (real agent adapters on Xvfb, real collector on PostgreSQL)', () => {
  it('the collector down for 30 s: the agent keeps collecting, then nothing is lost or duplicated', async () => {
    const seat = agent!;
    const firstSpan = seat.events.waitFor('queued', isSpanOf(TITLE), 60_000);
    const connected = seat.events.waitFor('connected', undefined, 60_000);
    await seat.start();
    await connected;
    await seat.whenAcked((await firstSpan).seq, 60_000);

    // The outage.
    const disconnected = seat.events.waitFor('disconnected', undefined, 60_000);
    const outageStart = Date.now();
    await collector!.stop();
    expect((await disconnected).code).toBe(1001);
    const ackedBefore = seat.outbox.ackedSeq;

    // The seat goes on: a new window (its span) and a changed screen (a screenshot) while nobody listens.
    const spanWhileDown = seat.events.waitFor('queued', isSpanOf(OUTAGE_TITLE), OUTAGE_MS);
    const shotWhileDown = seat.events.waitFor('queued', (q) => q.kind === 'blob', OUTAGE_MS);
    await desktop.openWindow(OUTAGE_TITLE, { big: true });
    const [span, shot] = await Promise.all([spanWhileDown, shotWhileDown]);
    expect(span.seq).toBeGreaterThan(ackedBefore);
    expect(shot.seq).toBeGreaterThan(ackedBefore);

    // What the operator sees meanwhile (the status command, a separate process): not connected, data waiting.
    const status = await until('status to show the outage', async () => {
      const run = await runAgentCommand(children, ['status', '--json', '--state-dir', stateDir], desktop.env);
      const report = JSON.parse(run.stdout) as {
        running: boolean;
        status: { connection: { state: string }; outbox: { depth: number; ackedSeq: number } };
      };
      return report.status.outbox.depth >= 2 && report;
    });
    expect(status.running).toBe(true);
    expect(status.status.connection.state).not.toBe('connected');
    expect(status.status.outbox.ackedSeq).toBe(ackedBefore);

    await new Promise((resolve) => setTimeout(resolve, outageStart + OUTAGE_MS - Date.now()));
    expect(seat.status().connection.state).not.toBe('connected');
    expect(seat.outbox.ackedSeq).toBe(ackedBefore);
    const queuedWhileDown = [...queued.keys()].filter((seq) => seq > ackedBefore);

    // The collector returns on the same port, with the same keys and database.
    const reconnected = seat.events.waitFor('connected', undefined, 60_000);
    await collector!.restart();
    const outageEnd = Date.now();
    expect((await reconnected).ackedSeq).toBe(ackedBefore);
    await seat.whenAcked(Math.max(...queuedWhileDown), 60_000);

    // A clean stop makes the set of frames final; its own "stopping" frame is acknowledged too.
    await seat.stop('signal', 'end of the outage test');
    const lastSeq = seat.outbox.lastSeq;
    expect(seat.outbox).toEqual({ lastSeq, ackedSeq: lastSeq, depth: 0 });

    const events = await storedEvents(collector!, agentId);
    const stored = new Map<number, Event[]>();
    for (const e of events) stored.set(e.seq, [...(stored.get(e.seq) ?? []), e.body as unknown as Event]);
    const expectedSeqs = Array.from({ length: lastSeq }, (_, i) => i + 1);
    expect([...queued.keys()].sort((a, b) => a - b)).toEqual(expectedSeqs);
    expect([...stored.keys()]).toEqual(expectedSeqs);
    for (const [seq, frame] of queued) expect(stored.get(seq), `events of seq ${seq}`).toEqual(frame.events);

    const blobSeqs = [...queued].filter(([, q]) => q.kind === 'blob').map(([seq]) => seq);
    const shots = await storedScreenshots(collector!, agentId);
    expect(shots.map((s) => s.seq)).toEqual(blobSeqs);
    for (const s of shots) expect((await screenshotBytes(collector!, s.sha256)).length).toBe(s.size);

    // What happened during the outage is there, received once the collector was back.
    const whileDown = events.filter((e) => e.time >= outageStart && e.time <= outageEnd);
    expect(whileDown.some((e) => e.type === 'activity' && e.body.title === OUTAGE_TITLE)).toBe(true);
    expect(whileDown.some((e) => e.seq === shot.seq && e.body.outcome === 'captured')).toBe(true);
    for (const e of events.filter((e) => queuedWhileDown.includes(e.seq)))
      expect(e.receivedAt).toBeGreaterThanOrEqual(outageStart + OUTAGE_MS);

    expect(await sequenceGapAnomalies(collector!, agentId)).toEqual([]);
    const hellos = await collector!.sql<{ allowed: boolean }>(
      `select allowed from logins where kind = 'hello' and agent_id = $1 order by at`,
      [agentId],
    );
    expect(hellos.length).toBeGreaterThanOrEqual(2);
    expect(hellos.every((h) => h.allowed)).toBe(true);
  }, 240_000);
});
