/**
 * The agent CLI killed with SIGKILL while frames are in flight, then started
 * again. To have frames truly in flight at the kill, the collector's ingest
 * transaction is held on a real PostgreSQL table lock: the agent has written
 * a screenshot to its outbox and sent it, the collector has its bytes and
 * waits to commit, nothing is acknowledged. After the kill the outbox
 * journal is read as a file (every record whole, CRCs matching); after the
 * restart every seq the agent had written is stored exactly once, with the
 * events and bytes the journal held.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Children, until } from '@seatwatch/testkit';
import { type AgentProcess, enrollWithLibrary, startAgentProcess } from '@seatwatch/testkit/agent';
import { type SeatDesktop, startSeatDesktop } from '@seatwatch/testkit/desktop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Collector,
  createSeatProject,
  type SeatProject,
  screenshotBytes,
  seqsOf,
  sequenceGapAnomalies,
  startCollector,
  storedAgent,
  storedEvents,
  storedScreenshots,
} from './support/collector.js';
import { itemEvents, type JournalItem, readJournal } from './support/outbox-journal.js';

const TITLE = `SEATWATCH_E2E_KILL_${process.pid}`;
const RUNNING = /Seatwatch agent \S+ running\./;

const children = new Children();
let collector: Collector | null = null;
let desktop: SeatDesktop;
let project: SeatProject;
let stateDir = '';
let agentId = '';

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-e2e-kill-'));
  desktop = await startSeatDesktop(children);
  await desktop.openWindow(TITLE);
  collector = await startCollector();
  project = await createSeatProject(collector, {
    noticeText: 'This seat is monitored (end-to-end test of an agent crash). Questions: privacy@example.com',
    policy: { screenshotIntervalMs: 10_000, screenshotJitter: 0 },
  });
  agentId = await enrollWithLibrary({
    server: collector.url,
    token: project.token,
    seat: 'desk-e2e-kill',
    stateDir,
  });
}, 180_000);

afterAll(async () => {
  await children.stopAll();
  await collector?.close();
  if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
}, 120_000);

const run = (): AgentProcess =>
  startAgentProcess(children, ['run', '--state-dir', stateDir, '--page-port', '0'], desktop.env);

describe('agent killed mid-send (CLI process, real collector on PostgreSQL)', () => {
  it('SIGKILL with frames in flight, then a restart: everything written is stored exactly once', async () => {
    const c = collector!;
    const first = run();
    await first.waitForStdout(RUNNING);
    await until('the xterm span stored', async () =>
      (await storedEvents(c, agentId)).some((e) => e.type === 'activity' && e.body.title === TITLE),
    );

    // Hold the collector's commits: its ingest transaction begins with an insert into events.
    const lock = await c.db.database.pool!.connect();
    let locked = true;
    const unlock = async () => {
      if (!locked) return;
      locked = false;
      await lock.query('commit');
      lock.release();
    };
    let inFlight: Extract<JournalItem, { kind: 'blob' }>;
    try {
      await lock.query('begin');
      await lock.query('lock table events in exclusive mode');
      await desktop.openWindow(`${TITLE}_BUSY`, { big: true });
      const command = await c.server.adminOk<{ id: string }>(
        'POST',
        `/projects/${project.projectId}/agents/${agentId}/commands`,
        { cmd: 'capture_now' },
      );
      // In the agent's outbox, unacknowledged, and its bytes already with the collector.
      inFlight = await until('the commanded screenshot written, sent and received', async () => {
        const item = [...readJournal(stateDir).unacked.values()].find(
          (i): i is Extract<JournalItem, { kind: 'blob' }> =>
            i.kind === 'blob' && i.event.commandId === command.id,
        );
        return item && (await c.server.blobs.has(item.sha256)) && item;
      });
      await until('the ingest transaction waiting on the lock', async () => {
        const waiting = await c.sql(
          `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
        );
        return waiting.length > 0;
      });
      first.child.kill('SIGKILL');
      expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    } finally {
      await unlock();
    }

    // The journal the kill left: whole records with matching CRCs (readJournal throws otherwise),
    // at most one torn record at its very end.
    const journal = readJournal(stateDir);
    const lastSeqAtKill = journal.lastSeq;
    const unacked = new Map(journal.unacked);
    expect(unacked.get(inFlight.seq)?.kind).toBe('blob');
    expect(journal.ackedSeq).toBeLessThan(inFlight.seq);

    // Released, the collector commits what the dead connection had handed it: stored, never acknowledged.
    await until('the in-flight screenshot committed', async () =>
      (await storedScreenshots(c, agentId)).some((s) => s.seq === inFlight.seq),
    );
    expect((await storedAgent(c, agentId)).ackedSeq).toBeGreaterThan(journal.ackedSeq);

    const second = run();
    await second.waitForStdout(RUNNING);
    // Its first frame ("starting") comes right after the last seq written before the kill.
    await until(
      'everything written before the kill, and the restart, stored',
      async () => (await storedAgent(c, agentId)).ackedSeq >= lastSeqAtKill + 1,
      120_000,
    );

    const events = await storedEvents(c, agentId);
    const { seqs, contiguous } = seqsOf(events);
    expect(contiguous).toBe(true);
    expect(seqs.length).toBeGreaterThanOrEqual(lastSeqAtKill + 1);
    for (const [seq, item] of unacked) {
      const bodies = events.filter((e) => e.seq === seq).map((e) => e.body);
      expect(bodies, `events of seq ${seq}`).toEqual(itemEvents(item));
    }
    const shots = await storedScreenshots(c, agentId);
    for (const item of unacked.values()) {
      if (item.kind !== 'blob') continue;
      const shot = shots.find((s) => s.seq === item.seq);
      expect(shot).toMatchObject({ sha256: item.sha256, size: item.size, mime: item.mime });
      expect(Buffer.from(await screenshotBytes(c, item.sha256)).equals(item.blob)).toBe(true);
    }
    expect(shots.find((s) => s.seq === inFlight.seq)).toMatchObject({ trigger: 'command' });

    const lifecycle = events.filter((e) => e.type === 'lifecycle').map((e) => [e.seq, e.body.phase]);
    // A kill says no "stopping"; the restart says "starting" with the next seq.
    expect(lifecycle).toEqual([
      [1, 'starting'],
      [lastSeqAtKill + 1, 'starting'],
    ]);
    // The notice was acknowledged once; the same version is not shown again at the restart.
    expect(events.filter((e) => e.type === 'notice_ack')).toHaveLength(1);
    expect(await sequenceGapAnomalies(c, agentId)).toEqual([]);

    // The restarted agent opened its outbox without complaint (cutting a torn record is not one).
    const problems = second.logs().filter((l) => l.level === 'error' || /corrupt/i.test(l.message));
    expect(problems).toEqual([]);
    const cut = second.logs().find((l) => l.message === 'outbox: cut a record torn by a crash');
    expect(cut?.bytes ?? 0).toBe(journal.tornTailBytes);
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(readJournal(stateDir).tornTailBytes).toBe(0);
  }, 300_000);
});
