/**
 * The notice matches what is collected (issue #12), with the real agent CLI
 * on an X11 desktop (Xvfb + openbox + xterm) against the real collector on
 * PostgreSQL.
 *
 * The administrator changes the policy after the seat enrolled and before
 * the agent first runs: the first notice describes the server's current
 * policy (from the welcome), not the one saved at enrollment, and no event
 * precedes its acknowledgement. Then the administrator turns screenshots on
 * (same notice text, so the same notice version): the notice is shown
 * again and its new acknowledgement is stored before the first screenshot.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_POLICY, type Policy } from '@seatwatch/shared';
import { Children, until } from '@seatwatch/testkit';
import { type AgentProcess, enrollWithCli, startAgentProcess } from '@seatwatch/testkit/agent';
import { type SeatDesktop, startSeatDesktop } from '@seatwatch/testkit/desktop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Collector,
  createSeatProject,
  type SeatProject,
  type StoredEvent,
  startCollector,
  storedEvents,
  storedScreenshots,
} from './support/collector.js';

const TITLE = `SEATWATCH_E2E_NOTICE_${process.pid}`;
const NOTICE = 'Example Contact Center monitors this seat. Questions: privacy@example.com';
const NOTICE_HEADER = 'SEATWATCH MONITORING NOTICE';

const children = new Children();
let collector: Collector | null = null;
let desktop: SeatDesktop;
let project: SeatProject;
let stateDir = '';
let agentId = '';
let agent: AgentProcess;

const position = (e: StoredEvent) => e.seq * 1_000_000 + e.idx;
/** Each notice the agent printed, from its header to the end of its block. */
const printedNotices = () =>
  agent
    .stdout()
    .split(NOTICE_HEADER)
    .slice(1)
    .map((block) => block.split('\n\n\n')[0]!);

async function setPolicy(policy: Policy, push: boolean): Promise<Policy> {
  const set = await collector!.server.adminOk<{ policy: Policy; notice: { version: number } }>(
    'PUT',
    `/projects/${project.projectId}/policy`,
    { policy, noticeText: NOTICE, push },
  );
  // The same text keeps the same notice version: only the terms change.
  expect(set.notice.version).toBe(project.notice.version);
  return set.policy;
}

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-e2e-notice-'));
  desktop = await startSeatDesktop(children);
  await desktop.openWindow(TITLE);
  collector = await startCollector();
  // The policy of the day at enrollment: no screenshots, idle after 3 minutes.
  project = await createSeatProject(collector, {
    noticeText: NOTICE,
    policy: { screenshotsEnabled: false, idleThresholdMs: 180_000, privacyList: [] },
  });
}, 180_000);

afterAll(async () => {
  await children.stopAll();
  await collector?.close();
  if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
}, 120_000);

describe('the notice describes the policy in force (CLI, Xvfb, PostgreSQL)', () => {
  it("the first notice is the server's current policy, not the enrollment one, and nothing precedes its ack", async () => {
    agentId = await enrollWithCli(children, {
      server: collector!.url,
      token: project.token,
      seat: 'desk-e2e-notice',
      stateDir,
      env: desktop.env,
    });
    // Changed after enrollment, before the first run: idle after 10 minutes, a privacy list.
    await setPolicy(
      { ...DEFAULT_POLICY, ...project.policy, idleThresholdMs: 600_000, privacyList: ['Payment checkout'] },
      false,
    );

    agent = startAgentProcess(children, ['run', '--state-dir', stateDir, '--page-port', '0'], desktop.env);
    await agent.waitForStdout(/Seatwatch agent \S+ running\./);
    const notices = printedNotices();
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(NOTICE);
    expect(notices[0]).toContain('no input for 10 min');
    expect(notices[0]).not.toContain('no input for 3 min');
    expect(notices[0]).toContain('No screenshots');

    await until('the xterm title stored as activity', async () =>
      (await storedEvents(collector!, agentId)).find((e) => e.type === 'activity' && e.body.title === TITLE),
    );
    const events = await storedEvents(collector!, agentId);
    const acks = events.filter((e) => e.type === 'notice_ack');
    expect(acks).toHaveLength(1);
    expect(acks[0]!.body).toMatchObject({ noticeVersion: project.notice.version });
    const before = events.filter((e) => position(e) < position(acks[0]!));
    expect(before.map((e) => [e.type, e.body.phase])).toEqual([['lifecycle', 'starting']]);
  }, 240_000);

  it('turning screenshots on: the notice is shown again and acknowledged before the first screenshot', async () => {
    const acksBefore = (await storedEvents(collector!, agentId)).filter((e) => e.type === 'notice_ack');
    expect(acksBefore).toHaveLength(1);
    expect(await storedScreenshots(collector!, agentId)).toEqual([]);
    const current = await collector!.server.adminOk<{ policy: Policy }>(
      'GET',
      `/projects/${project.projectId}/policy`,
    );
    // The shortest interval the schema allows, without jitter: the first screenshot within 10 s.
    await setPolicy(
      { ...current.policy, screenshotsEnabled: true, screenshotIntervalMs: 10_000, screenshotJitter: 0 },
      true,
    );

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
    expect(acks).toHaveLength(2);
    const captured = events.filter((e) => e.type === 'capture' && e.body.outcome === 'captured');
    expect(captured.length).toBeGreaterThan(0);
    for (const capture of captured) expect(position(capture)).toBeGreaterThan(position(acks[1]!));
    expect(shot!.seq).toBeGreaterThan(acks[1]!.seq);
    expect(shot!.time).toBeGreaterThanOrEqual(acks[1]!.time);

    const notices = printedNotices();
    expect(notices).toHaveLength(2);
    expect(notices[1]).toContain('Screenshots of every monitor about every 10 s');
    expect(notices[1]).toContain('"Payment checkout"');
  }, 180_000);
});
