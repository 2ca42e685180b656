/**
 * The agent against a real protocol peer (ws server on port 0 with its own
 * server key): handshake, notice before capture, acks, resends after
 * reconnect, refusal of forged server messages, commands, close reasons,
 * liveness of a quiet connection, the signed stop.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Event } from '@seatwatch/shared';
import { ProtocolPeer } from '@seatwatch/testkit/agent';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/agent.js';
import { loadIdentity, StateError } from '../../src/identity/identity-store.js';
import { readStatusFile } from '../../src/status/agent-status.js';
import { buildAgent, enrolledStateDir, memoryLogger } from '../support/agent-harness.js';
import { type Fakes, fakeCollectors } from '../support/fake-collectors.js';

let peer: ProtocolPeer;
let stateDir: string;
let fakes: Fakes;
let agent: Agent | null;

beforeEach(async () => {
  peer = await ProtocolPeer.start();
  stateDir = await enrolledStateDir(peer);
  fakes = await fakeCollectors();
  agent = null;
});

afterEach(async () => {
  await agent?.stop('signal', 'test over');
  await peer.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

const seqOf = (predicate: (e: Event) => boolean) =>
  [...peer.stored.values()].find((f) => f.events.some(predicate))?.seq ?? Number.POSITIVE_INFINITY;

async function startConnected(extra = {}): Promise<Agent> {
  agent = buildAgent(stateDir, fakes, extra);
  const connected = agent.events.waitFor('connected');
  await agent.start();
  await connected;
  return agent;
}

describe('delivery to a protocol peer', () => {
  it('shows the notice, acknowledges it, and only then captures; events arrive in order', async () => {
    const a = await startConnected();
    const hello = peer.hellos[0]!;
    expect(hello.agent).toBe('agent-1');
    expect(hello.info).toMatchObject({
      osUser: 'operator1',
      hostname: 'seat-042',
      // First run: the notice is shown only once the welcome brought the current policy (issue #12).
      noticeVersion: 0,
      gateway: '10.1.2.1',
    });
    expect(hello.info.localIps).toEqual(['10.1.2.42']);

    const result = await a.captureNow();
    expect(result.events.map((e) => e.outcome)).toEqual(['captured']);
    await peer.waitForEvent((e) => e.type === 'capture' && e.outcome === 'captured');
    await peer.waitForEvent((e) => e.type === 'activity' && e.title === 'ticket 4711 — CRM');

    const started = seqOf((e) => e.type === 'lifecycle' && e.phase === 'starting');
    const noticeAck = seqOf((e) => e.type === 'notice_ack');
    const firstCapture = seqOf((e) => e.type === 'capture' || e.type === 'activity' || e.type === 'status');
    expect(started).toBeLessThan(noticeAck);
    expect(noticeAck).toBeLessThan(firstCapture);
    const ack = peer.events().find((e) => e.type === 'notice_ack');
    expect(ack).toMatchObject({ noticeVersion: 1, osUser: 'operator1', shownVia: ['notification'] });

    // The screenshot is a real JPEG of the (fake) frame, its hash checked by the peer.
    const blob = [...peer.stored.values()].find((f) => f.kind === 'blob')!;
    expect(blob.mime).toBe('image/jpeg');
    expect(Array.from(blob.blob!.subarray(0, 3))).toEqual([0xff, 0xd8, 0xff]);
    // Sequence numbers are contiguous from 1: nothing dropped, nothing skipped.
    const seqs = [...peer.stored.keys()].sort((x, y) => x - y);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(peer.gaps).toEqual([]);
  });

  it('deletes from the outbox only what is acknowledged', async () => {
    peer.ackMode = 'hold';
    const a = await startConnected();
    await peer.waitForEvent((e) => e.type === 'activity');
    expect(a.outbox.depth).toBeGreaterThan(0);
    const held = a.outbox.lastSeq;
    const acked = a.events.waitFor('acked', (e) => e.seq >= held);
    peer.releaseAcks();
    await acked;
    expect(a.outbox.ackedSeq).toBeGreaterThanOrEqual(held);
    await a.whenAcked(held);
  });

  it('after a reconnect resends everything the server has not stored, and nothing twice', async () => {
    const a = await startConnected();
    await peer.waitForEvent((e) => e.type === 'activity');
    await a.whenAcked(a.outbox.lastSeq);
    const storedBefore = peer.ackedSeq;

    // The peer now loses what it receives (as if it crashed before committing): nothing stored, nothing acked.
    const lost: number[] = [];
    peer.on('lost', ({ seq }) => lost.push(seq));
    peer.lose = true;
    fakes.window.window = { app: 'Firefox', title: 'knowledge base' };
    await a.captureNow();
    const lastLocal = a.outbox.lastSeq;
    if (!lost.includes(lastLocal)) await peer.waitFor('lost', (l) => l.seq === lastLocal);
    expect(a.outbox.depth).toBeGreaterThan(0);

    peer.lose = false;
    const reconnected = a.events.waitFor('connected');
    peer.closeCurrent(1001);
    await reconnected;
    await a.whenAcked(lastLocal);
    // Every lost frame arrived after the reconnect, stored once, with no gap.
    for (const seq of lost) expect(peer.stored.has(seq)).toBe(true);
    const seqs = [...peer.stored.keys()].sort((x, y) => x - y);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(seqs.length).toBeGreaterThan(storedBefore);
    expect(peer.hellos).toHaveLength(2);
    await peer.waitForEvent((e) => e.type === 'activity' && e.title === 'knowledge base');
  });

  it('does not resend what the server already stored but had not acknowledged', async () => {
    peer.ackMode = 'hold';
    const a = await startConnected();
    await peer.waitForEvent((e) => e.type === 'activity');
    const resends: number[] = [];
    peer.on('resend', ({ seq }) => resends.push(seq));
    const storedSoFar = peer.ackedSeq;
    peer.ackMode = 'auto';
    const reconnected = a.events.waitFor('connected', (c) => c.ackedSeq >= storedSoFar);
    peer.closeCurrent(1001);
    await reconnected;
    await a.whenAcked(storedSoFar);
    expect(resends.filter((s) => s <= storedSoFar)).toEqual([]);
  });

  it('refuses a server message with a bad signature: logged, not obeyed, connection dropped', async () => {
    const log = memoryLogger();
    peer.ackMode = 'hold';
    const a = await startConnected({ log });
    await peer.waitForEvent((e) => e.type === 'activity');
    const depth = a.outbox.depth;
    const session = peer.current!.session;

    const refused = a.events.waitFor('refused');
    const closed = peer.waitFor('closed');
    const agentError = peer.waitFor('agentError');
    // A forged ack must not delete anything; a forged command must not run.
    peer.sendForged({ t: 'ack', v: 1, session, seq: a.outbox.lastSeq });
    expect((await refused).reason).toMatch(/signature/i);
    expect((await closed).code).toBe(4401);
    expect((await agentError).code).toBe('bad_signature');
    expect(a.outbox.depth).toBeGreaterThanOrEqual(depth);
    expect(log.lines.some((l) => l.level === 'error' && /signature/i.test(String(l.message)))).toBe(true);

    peer.ackMode = 'auto';
    await a.events.waitFor('connected');
    const forgedRefused = a.events.waitFor('refused');
    peer.sendForged({
      t: 'command',
      v: 1,
      session: peer.current!.session,
      id: 'forged-1',
      cmd: 'capture_now',
      args: {},
    });
    await forgedRefused;
    await a.events.waitFor('connected');
    const captures = fakes.screen.captures;
    const real = peer.sendCommand('capture_now');
    await peer.waitForEvent((e) => e.type === 'command_result' && e.commandId === real);
    expect(fakes.screen.captures).toBe(captures + 1);
    expect(peer.events().some((e) => e.type === 'command_result' && e.commandId === 'forged-1')).toBe(false);
  });

  it('applies a policy command without a restart and reports the outcome', async () => {
    const a = await startConnected();
    fakes.window.window = { app: 'Firefox', title: 'Checkout — secure PAYMENT' };
    await peer.waitForEvent((e) => e.type === 'activity' && e.title.includes('PAYMENT'));
    const policyApplied = a.events.waitFor('policy');
    const id = peer.sendCommand('policy', {
      policy: { ...peer.policy, privacyList: ['payment'] },
      notice: peer.notice,
    });
    await policyApplied;
    await peer.waitForEvent((e) => e.type === 'command_result' && e.commandId === id && e.ok);
    expect(loadIdentity(stateDir).identity.policy.privacyList).toEqual(['payment']);

    const capture = peer.sendCommand('capture_now');
    const result = await peer.waitForEvent((e) => e.type === 'command_result' && e.commandId === capture);
    expect(result).toMatchObject({ ok: true });
    const paused = await peer.waitForEvent((e) => e.type === 'capture' && e.outcome === 'paused');
    expect(paused).toMatchObject({
      trigger: 'command',
      commandId: capture,
      reason: expect.stringContaining('"payment"'),
    });
    expect(a.status().collectors.screenshot).toMatchObject({ state: 'paused' });

    const bad = peer.sendCommand('policy', { policy: { nonsense: true } });
    await peer.waitForEvent((e) => e.type === 'command_result' && e.commandId === bad && !e.ok);
    const unknown = peer.sendCommand('format_disk');
    await peer.waitForEvent((e) => e.type === 'command_result' && e.commandId === unknown && !e.ok);
  });

  it('shows a new notice version before collecting again and acknowledges it', async () => {
    const a = await startConnected();
    peer.notice = { version: 2, text: 'New notice: screenshots now every 2 minutes.' };
    const shown = a.events.waitFor('notice_shown', (n) => n.version === 2);
    const reconnected = a.events.waitFor('connected');
    peer.closeCurrent(1001);
    await reconnected;
    await shown;
    const ack = await peer.waitForEvent((e) => e.type === 'notice_ack' && e.noticeVersion === 2);
    const ackSeq = seqOf((e) => e === ack);
    await a.captureNow();
    await peer.waitForEvent((e) => e.type === 'capture' && e.time >= (ack as { time: number }).time);
    expect(seqOf((e) => e.type === 'capture')).toBeGreaterThan(ackSeq);
    expect(peer.hellos.at(-1)?.info.noticeVersion).toBe(1);
  });

  it('tells the operator why the server closed (44xx) and keeps retrying', async () => {
    const a = await startConnected();
    const disconnected = a.events.waitFor('disconnected');
    peer.closeCurrent(4403, 'ip_not_allowed', 'Client IP is not on the project allowlist');
    const info = await disconnected;
    expect(info.code).toBe(4403);
    expect(info.serverError?.code).toBe('ip_not_allowed');
    expect(info.explanation).toMatch(/allowlist/);
    expect(info.retryAt).not.toBeNull();
    expect(a.status().paused.join('\n')).toMatch(/allowlist/);
    await a.events.waitFor('connected');
  });

  it('pings a quiet connection, keeps it while the collector answers, and drops it when the collector falls silent', async () => {
    const a = await startConnected({ livenessMs: 150 });
    await peer.waitForEvent((e) => e.type === 'activity');
    // Answered pings keep the connection: three in a row, still the first hello.
    for (let i = 0; i < 3; i++) await peer.waitFor('ping');
    expect(peer.hellos).toHaveLength(1);
    expect(a.status().connection.state).toBe('connected');

    // A link that died without a reset: no pong, no ack, the socket still open.
    const disconnected = a.events.waitFor('disconnected');
    peer.stallCurrent();
    const info = await disconnected;
    expect(info.code).toBe(1006);
    expect(info.reason).toBe('the collector answered no ping');
    await a.events.waitFor('connected');
    expect(peer.hellos).toHaveLength(2);

    // What the seat collected meanwhile arrives over the new connection, once.
    const result = await a.captureNow();
    expect(result.events.map((e) => e.outcome)).toEqual(['captured']);
    await a.whenAcked(a.outbox.lastSeq);
    const seqs = [...peer.stored.keys()].sort((x, y) => x - y);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it('stops for good when revoked, and refuses to start again', async () => {
    const a = await startConnected();
    const revoked = a.events.waitFor('revoked');
    const id = peer.sendCommand('revoke');
    await peer.waitForEvent((e) => e.type === 'command_result' && e.commandId === id);
    await revoked;
    peer.closeCurrent(4410, 'agent_revoked', 'Agent has been revoked');
    await a.events.waitFor('disconnected', (d) => d.code === 4410);
    expect(a.status().connection.state).toBe('revoked');
    expect(loadIdentity(stateDir).identity.revoked).toBe(true);
    await a.stop('revoked');
    agent = null;
    const again = buildAgent(stateDir, fakes);
    await expect(again.start()).rejects.toThrow(StateError);
  });

  it('sends a signed lifecycle "stopping" with its reason and waits for the ack', async () => {
    const a = await startConnected();
    await a.stop('service_stop', 'systemd stop');
    agent = null;
    const stopping = peer.events().find((e) => e.type === 'lifecycle' && e.phase === 'stopping');
    expect(stopping).toMatchObject({ reason: 'service_stop', detail: 'systemd stop', agentVersion: '0.1.0' });
    expect(readStatusFile(stateDir)?.stopped?.reason).toBe('service_stop');
    expect(fakes.window.closed).toBe(true);
  });

  it('keeps collecting while the server is away and delivers everything when it returns', async () => {
    const a = await startConnected();
    const port = Number(new URL(peer.url).port);
    await peer.close();
    await a.events.waitFor('disconnected');
    fakes.window.window = { app: 'XTerm', title: 'offline work' };
    await a.captureNow();
    const queued = a.outbox.lastSeq;
    expect(a.outbox.depth).toBeGreaterThan(0);
    // The collector comes back on the same port with the same key and what it had stored.
    peer = await ProtocolPeer.start(peer, port);
    await a.whenAcked(queued, 20_000);
    await peer.waitForEvent((e) => e.type === 'activity' && e.title === 'offline work');
    const seqs = [...peer.stored.keys()].sort((x, y) => x - y);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it('writes a status file that says what is collected and how delivery stands', async () => {
    const a = await startConnected();
    await peer.waitForEvent((e) => e.type === 'activity');
    await a.whenAcked(a.outbox.lastSeq);
    await expectSoon(() => readStatusFile(stateDir)?.connection.state === 'connected');
    const status = readStatusFile(stateDir)!;
    expect(status.agentId).toBe('agent-1');
    expect(status.collectors.activity?.state).toBe('running');
    expect(status.collectors.screenshot?.detail).toMatch(/every 300 s/);
    expect(status.notice).toMatchObject({ version: 1, shownVia: ['dialog'], confirmedVia: 'button' });
    expect(status.pageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/$/);
    expect(fs.statSync(path.join(stateDir, 'status.json')).mode & 0o077).toBe(0);
  });
});

/** Polls a condition that has no event of its own (a file the agent rewrites on a timer). */
async function expectSoon(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
