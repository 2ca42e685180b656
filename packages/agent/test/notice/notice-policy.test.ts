/**
 * The notice matches what is collected (issue #12): at first run it is shown
 * from the server's current policy (the welcome's), not the one saved at
 * enrollment; a policy change that changes what is collected shows it again,
 * with a new notice_ack, before collection under the new policy begins.
 */
import fs from 'node:fs';
import { DEFAULT_POLICY, type Event } from '@seatwatch/shared';
import { ProtocolPeer } from '@seatwatch/testkit/agent';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/agent.js';
import { buildAgent, enrolledStateDir } from '../support/agent-harness.js';
import { type Fakes, fakeCollectors } from '../support/fake-collectors.js';

/** What only running collectors send; none may come before the notice_ack for their terms. */
const COLLECTED = new Set(['activity', 'status', 'capture', 'network', 'device_attached', 'device_detached']);

let peer: ProtocolPeer;
let stateDir: string;
let fakes: Fakes;
let agent: Agent | null = null;
let printed: string[];

beforeEach(async () => {
  peer = await ProtocolPeer.start();
  // Enrolled under the project's policy of the day: idle after 3 min, screenshots off.
  peer.policy = { ...DEFAULT_POLICY, screenshotsEnabled: false, idleThresholdMs: 180_000 };
  stateDir = await enrolledStateDir(peer);
  fakes = await fakeCollectors();
  printed = [];
});
afterEach(async () => {
  await agent?.stop('signal');
  agent = null;
  await peer.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

const terminal = () => ({ write: (t: string) => printed.push(t), isTTY: true });
const notices = () => printed.filter((t) => t.includes('MONITORING NOTICE'));
const eventsInOrder = (): Event[] =>
  [...peer.stored.values()].sort((a, b) => a.seq - b.seq).flatMap((f) => f.events);

describe('the notice describes the policy in force', () => {
  it("first run: shown from the welcome's policy, not the enrollment one, and nothing collected before its ack", async () => {
    // The administrator changed the policy between enrollment and the first run.
    peer.policy = {
      ...peer.policy,
      idleThresholdMs: 600_000,
      screenshotsEnabled: true,
      privacyList: ['Payment'],
    };
    agent = buildAgent(stateDir, fakes, { terminal: terminal() });
    const connected = agent.events.waitFor('connected');
    await agent.start();
    await connected;

    expect(notices()).toHaveLength(1);
    const [text] = notices();
    expect(text).toContain('no input for 10 min');
    expect(text).toContain('"Payment"');
    expect(text).not.toContain('No screenshots');
    expect(text).not.toContain('no input for 3 min');
    // The hello says honestly that no notice had been shown yet.
    expect(peer.hellos[0]?.info.noticeVersion).toBe(0);

    await peer.waitForEvent((e) => e.type === 'activity');
    const events = eventsInOrder();
    const ackAt = events.findIndex((e) => e.type === 'notice_ack');
    expect(ackAt).toBeGreaterThanOrEqual(0);
    expect(events.slice(0, ackAt).map((e) => e.type)).toEqual(['lifecycle']);
    expect(events.filter((e) => COLLECTED.has(e.type)).length).toBeGreaterThan(0);
  });

  it('turning screenshots on shows the notice again and its new ack precedes the first screenshot', async () => {
    agent = buildAgent(stateDir, fakes, { terminal: terminal() });
    const connected = agent.events.waitFor('connected');
    await agent.start();
    await connected;
    expect(notices()).toHaveLength(1);
    expect(notices()[0]).toContain('No screenshots');
    expect((await agent.captureNow()).events.map((e) => e.outcome)).not.toContain('captured');

    const command = peer.sendCommand('policy', {
      policy: { ...peer.policy, screenshotsEnabled: true },
      notice: peer.notice,
    });
    const result = await peer.waitForEvent((e) => e.type === 'command_result' && e.commandId === command);
    expect(result).toMatchObject({ ok: true });
    expect(notices()).toHaveLength(2);
    expect(notices()[1]).toContain('Screenshots of every monitor');

    await agent.captureNow();
    await peer.waitForEvent((e) => e.type === 'capture' && e.outcome === 'captured');
    const events = eventsInOrder();
    const acks = events.flatMap((e, i) => (e.type === 'notice_ack' ? [i] : []));
    expect(acks).toHaveLength(2);
    expect(events.findIndex((e) => e.type === 'capture' && e.outcome === 'captured')).toBeGreaterThan(
      acks[1]!,
    );
  });

  it('a change that does not change what is collected (heartbeat) is applied without a new notice', async () => {
    agent = buildAgent(stateDir, fakes, { terminal: terminal() });
    const connected = agent.events.waitFor('connected');
    await agent.start();
    await connected;
    const command = peer.sendCommand('policy', {
      policy: { ...peer.policy, heartbeatMs: 60_000 },
      notice: peer.notice,
    });
    await peer.waitForEvent((e) => e.type === 'command_result' && e.commandId === command && e.ok);
    expect(notices()).toHaveLength(1);
    expect(eventsInOrder().filter((e) => e.type === 'notice_ack')).toHaveLength(1);
    expect(agent.status().collectors.activity?.state).toBe('running');
  });

  it('first run without the server: after welcomeWaitMs the notice is shown from the newest policy known', async () => {
    await peer.close();
    agent = buildAgent(stateDir, fakes, { terminal: terminal(), welcomeWaitMs: 300 });
    await agent.start();
    expect(notices()).toHaveLength(1);
    expect(notices()[0]).toContain('no input for 3 min');
    expect(agent.status().notice.shownAt).not.toBeNull();
  });
});
