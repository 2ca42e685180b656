/**
 * The machine service and two session parts in one process (issue #14),
 * over real Unix sockets in a temporary folder, against a protocol peer on
 * port 0, with fake collectors. Each session has its own socket (here named
 * by account instead of the uid folders root makes, which the desktop test
 * covers), so the test runs as any user: the service stamps each socket's
 * events with its account, takes nothing of an account before its
 * confirmation, keeps confirmations across a restart, and asks again when
 * the notice changes.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type Event, isDesktopSessionLifecycle } from '@seatwatch/shared';
import { until } from '@seatwatch/testkit';
import { ProtocolPeer } from '@seatwatch/testkit/agent';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadIdentity } from '../../src/identity/identity-store.js';
import type { SocketUser, UserSocket } from '../../src/local-channel/user-socket.unix.js';
import { createMachineService, type MachineService } from '../../src/machine-service/machine-service.js';
import type { NoticeChannel, ShowingOutcome } from '../../src/notice/notice-channel.port.js';
import { createSessionPart, type SessionPart } from '../../src/session-part/session-part.js';
import { enrolledStateDir, tempStateDir } from '../support/agent-harness.js';
import { type Fakes, fakeCollectors } from '../support/fake-collectors.js';

/** A dialog whose button the test presses. */
function operatorDialog(): NoticeChannel & { press(): void; shown: number } {
  let resolve: ((outcome: ShowingOutcome) => void) | null = null;
  const channel = {
    name: 'test dialog',
    kind: 'dialog' as const,
    shown: 0,
    show() {
      channel.shown += 1;
      const outcome = new Promise<ShowingOutcome>((r) => {
        resolve = r;
      });
      return { outcome, displayed: () => true, close: () => resolve?.({ kind: 'closed' }) };
    },
    press() {
      resolve?.({ kind: 'confirmed' });
    },
  };
  return channel;
}

/** Sockets named by account: the service's own listen, minus the folders root would make and hand over. */
function listenByName(root: string) {
  return async (
    _root: string,
    user: SocketUser,
    onConnection: (socket: net.Socket) => void,
  ): Promise<UserSocket> => {
    const file = path.join(root, `${user.name}.sock`);
    const server = net.createServer(onConnection);
    await new Promise<void>((resolve) => server.listen(file, resolve));
    return { path: file, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  };
}

let peer: ProtocolPeer;
let stateDir: string;
let socketRoot: string;
let service: MachineService | null;
const parts: SessionPart[] = [];
const folders: string[] = [];

beforeEach(async () => {
  peer = await ProtocolPeer.start();
  // Spans reported every second and the first screenshot after 10 s (the shortest the policy allows).
  peer.policy = {
    ...peer.policy,
    heartbeatMs: 1000,
    activitySampleMs: 200,
    screenshotIntervalMs: 10_000,
    screenshotJitter: 0,
  };
  stateDir = await enrolledStateDir(peer);
  socketRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'machine-sockets-'));
  folders.push(stateDir, socketRoot);
  service = null;
});

afterEach(async () => {
  for (const part of parts.splice(0)) await part.stop();
  await service?.stop('signal', 'test over');
  await peer.close();
  for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
});

async function startService(fakes: Fakes): Promise<MachineService> {
  const started = createMachineService({
    stateDir,
    identity: loadIdentity(stateDir),
    collectors: fakes.probes,
    machineAccount: 'root',
    hostname: 'shared-seat',
    socketRoot,
    sessionUsers: async () => [
      { name: 'ada', uid: 1001, gid: 1001 },
      { name: 'bob', uid: 1002, gid: 1002 },
    ],
    listen: listenByName(socketRoot),
    flushDelayMs: 20,
    backoff: { initialMs: 50, maxMs: 400 },
  });
  await started.start();
  return started;
}

async function startPart(
  account: string,
  dialog: NoticeChannel,
  title: string,
  home = tempStateDir('session-part-'),
): Promise<SessionPart> {
  const fakes = await fakeCollectors();
  fakes.window.window = { app: 'crm', title };
  folders.push(home);
  const part = createSessionPart({
    stateDir: home,
    socketPath: path.join(socketRoot, `${account}.sock`),
    // What the session part believes; the service takes the socket's account instead.
    osUser: 'claimed-by-the-session',
    collectors: fakes.probes,
    connect: (file) => net.createConnection(file),
    noticeChannels: [dialog],
    page: null,
    flushDelayMs: 20,
    reconnectMs: 50,
  });
  parts.push(part);
  await part.start();
  return part;
}

/** The account each stored event is attributed to: the last network event before it names it. */
function attributed(): Array<{ account: string | null; event: Event }> {
  let account: string | null = null;
  return peer.events().map((event) => {
    if (event.type === 'network') account = event.osUser;
    return { account, event };
  });
}

const activityOf = (title: string) =>
  attributed().filter(({ event }) => event.type === 'activity' && event.title === title);

describe('the machine service with two session parts', () => {
  it('stamps each session with its socket account, and takes nothing of it before its operator confirmed', async () => {
    service = await startService(await fakeCollectors());
    await until('the peer to welcome the service', () => peer.hellos.length > 0);
    // The machine has no one operator: the hello names none; each event's account is in the sequence.
    expect(peer.hellos[0]!.info.osUser).toBe('');
    const ada = operatorDialog();
    const bob = operatorDialog();
    await startPart('ada', ada, 'Ada: ticket 1');
    await startPart('bob', bob, 'Bob: ticket 2');
    await until('both notices on screen', () => ada.shown === 1 && bob.shown === 1);

    ada.press();
    await until("Ada's activity delivered", () => activityOf('Ada: ticket 1').length > 0);
    // Bob has not confirmed: nothing of his session, whatever his collectors would have seen.
    expect(activityOf('Bob: ticket 2')).toEqual([]);
    bob.press();
    await until("Bob's activity delivered", () => activityOf('Bob: ticket 2').length > 0);
    await until('a screenshot of each session', () => {
      const captures = attributed().filter(({ event }) => event.type === 'capture');
      return ['ada', 'bob'].every((account) => captures.some((c) => c.account === account));
    });

    // capture_now from the server: each confirmed session takes its own screen, as its operator's.
    const commandId = peer.sendCommand('capture_now');
    const result = await until('the capture_now result', () =>
      peer.events().find((e) => e.type === 'command_result' && e.commandId === commandId),
    );
    expect(result).toMatchObject({ ok: true });
    const forCommand = attributed().filter(
      ({ event }) => event.type === 'capture' && event.commandId === commandId,
    );
    expect(forCommand.map((c) => c.account).sort()).toEqual(['ada', 'bob']);

    const stored = attributed();
    for (const account of ['ada', 'bob']) {
      const acks = stored.filter(({ event }) => event.type === 'notice_ack' && event.osUser === account);
      expect(acks.map((a) => a.account)).toEqual([account]);
    }
    expect(
      stored.some(({ event }) => event.type === 'notice_ack' && event.osUser === 'claimed-by-the-session'),
    ).toBe(false);
    expect(activityOf('Ada: ticket 1').every((a) => a.account === 'ada')).toBe(true);
    expect(activityOf('Bob: ticket 2').every((a) => a.account === 'bob')).toBe(true);
    // The machine's own events are the service's account.
    expect(
      stored
        .filter(({ event }) => event.type === 'lifecycle' && !isDesktopSessionLifecycle(event))
        .map((l) => l.account),
    ).toEqual(['root']);
    const confirmations = JSON.parse(fs.readFileSync(path.join(stateDir, 'session-notices.json'), 'utf8'));
    expect(Object.keys(confirmations).sort()).toEqual(['ada', 'bob']);
  }, 90_000);

  it('keeps confirmations across a restart, and asks again when the notice changes', async () => {
    service = await startService(await fakeCollectors());
    const first = operatorDialog();
    const home = tempStateDir('session-part-');
    const part = await startPart('ada', first, 'Ada: before', home);
    await until('the notice on screen', () => first.shown === 1);
    first.press();
    await until('Ada collected', () => activityOf('Ada: before').length > 0);

    // The next shift: Ada's session part starts again (her own state folder) with the same notice: not asked.
    await part.stop();
    parts.splice(parts.indexOf(part), 1);
    const again = operatorDialog();
    await startPart('ada', again, 'Ada: after restart', home);
    await until('Ada collected again', () => activityOf('Ada: after restart').length > 0);
    expect(again.shown).toBe(0);

    // A new notice version: the session pauses until its operator confirms it.
    peer.notice = { version: 2, text: 'A new notice: screenshots every 10 minutes.' };
    await service.stop('signal', 'restart for the new notice');
    service = await startService(await fakeCollectors());
    await until('the new notice on screen', () => again.shown === 1);
    const before = peer.events().length;
    again.press();
    await until('the version 2 confirmation stored as Ada', () =>
      attributed().find(
        ({ event, account }) => event.type === 'notice_ack' && event.noticeVersion === 2 && account === 'ada',
      ),
    );
    expect(peer.events().length).toBeGreaterThan(before);
  }, 90_000);

  it("tells each account's desktop session start and end, once per account, as that account's", async () => {
    service = await startService(await fakeCollectors());
    const sessions = () =>
      attributed()
        .filter(({ event }) => isDesktopSessionLifecycle(event))
        .map(({ account, event }) => `${account} ${event.type === 'lifecycle' ? event.phase : ''}`);
    // Bob has not confirmed the notice: his session's start is still a login record (nothing collected).
    const ada = await startPart('ada', operatorDialog(), 'Ada: shift 1');
    await startPart('bob', operatorDialog(), 'Bob: shift 1');
    await until('both sessions started', () => sessions().length === 2);
    expect(sessions().sort()).toEqual(['ada starting', 'bob starting']);

    // A second part of Bob's (another session of the same account): no second start, and no end when it goes.
    const bobAgain = await startPart('bob', operatorDialog(), 'Bob: second session');
    await until('the second part connected', () => bobAgain.status() !== null);
    await bobAgain.stop();
    // Ada logs off: her part goes away.
    await ada.stop();
    await until("Ada's session ended", () => sessions().length === 3);
    expect(sessions().at(-1)).toBe('ada stopping');
    const end = attributed().find(
      ({ event }) =>
        isDesktopSessionLifecycle(event) && event.type === 'lifecycle' && event.phase === 'stopping',
    );
    expect(end).toMatchObject({ account: 'ada', event: { reason: 'logoff', detail: 'desktop session' } });
    expect(sessions().filter((s) => s.startsWith('bob'))).toEqual(['bob starting']);
  }, 90_000);
});
