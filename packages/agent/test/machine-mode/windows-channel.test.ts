/**
 * The Windows local channel (issue #14), run here on Linux: the secret
 * handshake and the pipe adapter for real over a Unix socket path in place
 * of `\\.\pipe\seatwatch-agent` (node's `net` serves both the same way; the
 * handshake code does not see the difference), with the icacls calls
 * recorded instead of run; the icacls command lines as written; and quser's
 * output parsed from fixture files in its column layout (CRLF, an English
 * and a German header). Then the machine service and two session parts over
 * that channel: each session's events are its secret's account, whatever it
 * claims. Not run on Windows (docs/agent.md).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Event } from '@seatwatch/shared';
import { until } from '@seatwatch/testkit';
import { ProtocolPeer } from '@seatwatch/testkit/agent';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadIdentity } from '../../src/identity/identity-store.js';
import { encodeFrame } from '../../src/local-channel/channel-frames.js';
import { connectWithSecret, handshakeLine, SecretRegistry } from '../../src/local-channel/session-secret.js';
import {
  createPipeChannel,
  type ListenUser,
  secretAclCommands,
  userSecretPath,
  WINDOWS_PIPE,
} from '../../src/local-channel/user-pipe.windows.js';
import type { UserSocket } from '../../src/local-channel/user-socket.unix.js';
import { createMachineService, type MachineService } from '../../src/machine-service/machine-service.js';
import { parseQuserOutput, quserSessionUsers } from '../../src/machine-service/session-users.js';
import type { NoticeChannel, ShowingOutcome } from '../../src/notice/notice-channel.port.js';
import { createSessionPart, type SessionPart } from '../../src/session-part/session-part.js';
import { enrolledStateDir, tempStateDir } from '../support/agent-harness.js';
import { fakeCollectors } from '../support/fake-collectors.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-windows-channel-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('quser', () => {
  it('lists the accounts with a session, from the name column, names with spaces and disconnected sessions included', () => {
    expect(parseQuserOutput(fs.readFileSync(path.join(FIXTURES, 'quser.txt'), 'latin1'))).toEqual([
      'ada',
      'bob',
      'jean marc',
    ]);
  });

  it('finds the column by position, whatever language the header is in', () => {
    expect(parseQuserOutput(fs.readFileSync(path.join(FIXTURES, 'quser.de.txt'), 'latin1'))).toEqual([
      'ada',
      'bob',
    ]);
  });

  it('has no one when quser says "No User exists" (exit 1), and fails on any other error', async () => {
    const noUser = Object.assign(new Error('Command failed: quser'), { stderr: 'No User exists for *\r\n' });
    expect(await quserSessionUsers(() => Promise.reject(noUser))()).toEqual([]);
    const denied = Object.assign(new Error('Command failed: quser'), { stderr: 'Access is denied.\r\n' });
    await expect(quserSessionUsers(() => Promise.reject(denied))()).rejects.toBe(denied);
    const users = await quserSessionUsers(async () =>
      fs.readFileSync(path.join(FIXTURES, 'quser.txt'), 'latin1'),
    )();
    expect(users).toEqual([
      { name: 'ada', uid: -1, gid: -1 },
      { name: 'bob', uid: -1, gid: -1 },
      { name: 'jean marc', uid: -1, gid: -1 },
    ]);
  });
});

describe('icacls', () => {
  it("makes the folders and the secret file the account's to read only, by SIDs that no translation changes", () => {
    const root = 'C:\\ProgramData\\Seatwatch\\sessions';
    expect(secretAclCommands(root, `${root}\\ada`, `${root}\\ada\\session.key`, 'ada')).toEqual([
      [
        'icacls',
        root,
        '/inheritance:r',
        '/grant:r',
        '*S-1-5-18:(OI)(CI)F',
        '*S-1-5-32-544:(OI)(CI)F',
        '*S-1-5-32-545:(X)',
      ],
      ['icacls', `${root}\\ada`, '/inheritance:r', '/grant:r', 'ada:(RX)', '*S-1-5-18:F', '*S-1-5-32-544:F'],
      [
        'icacls',
        `${root}\\ada\\session.key`,
        '/inheritance:r',
        '/grant:r',
        'ada:R',
        '*S-1-5-18:F',
        '*S-1-5-32-544:F',
      ],
    ]);
  });
});

describe('the secret registry', () => {
  it('maps a secret to its account only, and forgets a removed one', () => {
    const registry = new SecretRegistry<string>();
    const ada = 'a'.repeat(64);
    registry.add(ada, 'ada');
    registry.add('b'.repeat(64), 'bob');
    expect(registry.match(ada)).toBe('ada');
    expect(registry.match('c'.repeat(64))).toBeNull();
    expect(registry.match('ada')).toBeNull();
    registry.remove(ada);
    expect(registry.match(ada)).toBeNull();
    expect(registry.size).toBe(1);
  });
});

/**
 * A pipe channel on a Unix socket path, recording the icacls calls it would run. The handshake
 * deadline is long unless a test waits for it to pass: a connection on a busy machine may take
 * longer than a fraction of a second to present its secret.
 */
function pipeChannel(name: string, { failIcacls = false, handshakeTimeoutMs = 10_000 } = {}) {
  const dir = fs.mkdtempSync(path.join(work, `${name}-`));
  const root = path.join(dir, 'sessions');
  const pipePath = path.join(dir, 'pipe.sock');
  const ran: string[][] = [];
  const refused: string[] = [];
  const listen = createPipeChannel({
    pipePath,
    run: async (program, args) => {
      ran.push([program, ...args]);
      if (failIcacls)
        throw new Error('icacls failed (1): No mapping between account names and security IDs was done.');
    },
    handshakeTimeoutMs,
    onRefused: (reason) => refused.push(reason),
  });
  return { root, pipePath, ran, refused, listen };
}

/** Opens an account's end and collects what each accepted connection then reads. */
async function open(listen: ListenUser, root: string, name: string) {
  const received: Buffer[] = [];
  let connections = 0;
  const socket: UserSocket = await listen(root, { name, uid: -1, gid: -1 }, (connection) => {
    connections += 1;
    connection.on('data', (chunk: Buffer) => received.push(chunk));
  });
  closers.push(() => socket.close());
  return { socket, received: () => Buffer.concat(received), connections: () => connections };
}

function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

describe('the pipe channel (over a Unix socket path)', () => {
  it('hands each connection to the account whose secret it presents, with every byte after the secret', async () => {
    const ch = pipeChannel('accounts');
    const ada = await open(ch.listen, ch.root, 'ada');
    const bob = await open(ch.listen, ch.root, 'bob');
    for (const account of ['ada', 'bob']) {
      const file = userSecretPath(ch.root, account);
      expect(fs.readFileSync(file, 'latin1')).toMatch(/^[0-9a-f]{64}$/);
      expect(ch.ran).toContainEqual(secretAclCommands(ch.root, path.dirname(file), file, account)[2]);
    }
    expect(fs.readFileSync(userSecretPath(ch.root, 'ada'))).not.toEqual(
      fs.readFileSync(userSecretPath(ch.root, 'bob')),
    );
    expect(ada.socket.path).toBe(`${ch.pipePath} (${userSecretPath(ch.root, 'ada')})`);

    // The secret and the first frame in one write: the frame reaches the channel whole.
    const frame = Buffer.from(encodeFrame({ t: 'events', events: [] }));
    const client = connectWithSecret(ch.pipePath, userSecretPath(ch.root, 'bob'));
    closers.push(() => void client.destroy());
    client.write(frame);
    await until("bob's frame", () => bob.received().length >= frame.length);
    expect(bob.received()).toEqual(frame);
    expect(ada.connections()).toBe(0);

    // Split anywhere: the secret in two pieces, then the frame.
    const secret = fs.readFileSync(userSecretPath(ch.root, 'ada'), 'latin1');
    const raw = net.createConnection(ch.pipePath);
    closers.push(() => void raw.destroy());
    raw.write(secret.slice(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 20));
    raw.write(`${secret.slice(10)}\n`);
    raw.write(frame);
    await until("ada's frame", () => ada.received().length >= frame.length);
    expect(ada.received()).toEqual(frame);
    expect(ch.refused).toEqual([]);
  });

  it.each([
    ['a secret no account holds', handshakeLine('0'.repeat(64)), 'a secret no account holds'],
    ['an account name instead of a secret', 'ada\n', 'malformed secret'],
    ['a frame without a secret', Buffer.from(encodeFrame({ t: 'events', events: [] })), 'malformed secret'],
    ['a secret too short', 'abc123\n', 'malformed secret'],
    ['a secret that does not end', 'a'.repeat(70), 'no secret line'],
    ['nothing at all', null, 'no secret in time'],
  ])(
    'closes a connection that presents %s, before any of it is read as the channel',
    async (_what, sent, reason) => {
      // Only the connection that sends nothing waits out the deadline.
      const ch = pipeChannel('refused', sent === null ? { handshakeTimeoutMs: 300 } : {});
      const ada = await open(ch.listen, ch.root, 'ada');
      const client = net.createConnection(ch.pipePath);
      closers.push(() => void client.destroy());
      client.on('error', () => {});
      if (sent !== null) client.write(sent);
      await closed(client);
      expect(ch.refused).toEqual([reason]);
      expect(ada.connections()).toBe(0);
    },
  );

  it("refuses an account's old secret once its end is closed, and a copy from before a restart", async () => {
    const ch = pipeChannel('restart');
    const first = await open(ch.listen, ch.root, 'ada');
    const old = fs.readFileSync(userSecretPath(ch.root, 'ada'), 'latin1');
    await first.socket.close();
    expect(fs.existsSync(path.dirname(userSecretPath(ch.root, 'ada')))).toBe(false);
    const again = await open(ch.listen, ch.root, 'ada');
    expect(fs.readFileSync(userSecretPath(ch.root, 'ada'), 'latin1')).not.toBe(old);
    const client = net.createConnection(ch.pipePath);
    client.on('error', () => {});
    client.write(handshakeLine(old));
    await closed(client);
    expect(ch.refused).toEqual(['a secret no account holds']);
    expect(again.connections()).toBe(0);
  });

  it('gives no secret when icacls fails, and leaves no readable secret behind', async () => {
    const ch = pipeChannel('icacls-fails', { failIcacls: true });
    await expect(open(ch.listen, ch.root, 'ada')).rejects.toThrow(
      /^no secret for ada: icacls failed \(1\): No mapping between account names/,
    );
    expect(fs.existsSync(path.join(ch.root, 'ada'))).toBe(false);
  });

  it('with the pipe taken by someone else first: no secret is kept, and a later try gives a new one', async () => {
    const ch = pipeChannel('squatted');
    const squatter = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(ch.pipePath, resolve));
    await expect(open(ch.listen, ch.root, 'ada')).rejects.toThrow(/^no secret for ada: .*EADDRINUSE/);
    expect(fs.existsSync(path.join(ch.root, 'ada'))).toBe(false);
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    fs.rmSync(ch.pipePath, { force: true });
    const ada = await open(ch.listen, ch.root, 'ada');
    const client = connectWithSecret(ch.pipePath, userSecretPath(ch.root, 'ada'));
    closers.push(() => void client.destroy());
    client.write(Buffer.from([0, 0, 0, 2]));
    await until('the connection accepted as ada', () => ada.connections() === 1);
  });

  it('refuses an account name that would be a path', async () => {
    const ch = pipeChannel('names');
    for (const name of ['..', 'a\\b', 'a/b', 'C:x', '']) {
      await expect(open(ch.listen, ch.root, name)).rejects.toThrow(/cannot name a folder/);
    }
    expect(ch.ran).toEqual([]);
  });

  it('reports a session part whose secret file is missing as a failed connection', async () => {
    const ch = pipeChannel('missing');
    await open(ch.listen, ch.root, 'ada');
    const client = connectWithSecret(ch.pipePath, userSecretPath(ch.root, 'bob'));
    const error = await new Promise<Error>((resolve) => client.once('error', resolve));
    expect(error.message).toBe(
      `this account's channel secret ${userSecretPath(ch.root, 'bob')} is not there (is the machine service running?)`,
    );
  });

  it('is the Windows pipe by default', () => {
    expect(WINDOWS_PIPE).toBe('\\\\.\\pipe\\seatwatch-agent');
  });
});

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

describe('the machine service and two session parts over the pipe channel', () => {
  it("stamps each session's events with the account of the secret it presented, not the name it claims", async () => {
    const peer = await ProtocolPeer.start();
    closers.push(() => peer.close());
    peer.policy = { ...peer.policy, heartbeatMs: 1000, activitySampleMs: 200 };
    const stateDir = await enrolledStateDir(peer);
    closers.push(() => fs.rmSync(stateDir, { recursive: true, force: true }));
    const ch = pipeChannel('service');
    const service: MachineService = createMachineService({
      stateDir,
      identity: loadIdentity(stateDir),
      collectors: (await fakeCollectors()).probes,
      machineAccount: 'SYSTEM',
      hostname: 'shared-seat',
      socketRoot: ch.root,
      sessionUsers: async () => [
        { name: 'ada', uid: -1, gid: -1 },
        { name: 'bob', uid: -1, gid: -1 },
      ],
      listen: ch.listen,
      flushDelayMs: 20,
      backoff: { initialMs: 50, maxMs: 400 },
    });
    closers.push(() => service.stop('signal', 'test over'));
    await service.start();
    expect(Object.keys(service.sockets()).sort()).toEqual(['ada', 'bob']);

    const parts: Array<{ account: string; dialog: ReturnType<typeof operatorDialog>; part: SessionPart }> =
      [];
    for (const account of ['ada', 'bob']) {
      const fakes = await fakeCollectors();
      fakes.window.window = { app: 'crm', title: `${account}: ticket` };
      const home = tempStateDir('session-part-');
      closers.push(() => fs.rmSync(home, { recursive: true, force: true }));
      const dialog = operatorDialog();
      const part = createSessionPart({
        stateDir: home,
        socketPath: ch.pipePath,
        // What the session part believes; the service takes the secret's account instead.
        osUser: 'claimed-by-the-session',
        collectors: fakes.probes,
        connect: (pipe) => connectWithSecret(pipe, userSecretPath(ch.root, account)),
        noticeChannels: [dialog],
        page: null,
        flushDelayMs: 20,
        reconnectMs: 50,
      });
      closers.push(() => part.stop());
      await part.start();
      parts.push({ account, dialog, part });
    }
    await until('both notices on screen', () => parts.every((p) => p.dialog.shown === 1));
    for (const p of parts) p.dialog.press();

    const attributed = () => {
      let account: string | null = null;
      return peer.events().map((event: Event) => {
        if (event.type === 'network') account = event.osUser;
        return { account, event };
      });
    };
    const activityOf = (title: string) =>
      attributed().filter(({ event }) => event.type === 'activity' && event.title === title);
    await until('activity of both sessions', () =>
      ['ada', 'bob'].every((account) => activityOf(`${account}: ticket`).length > 0),
    );
    for (const account of ['ada', 'bob']) {
      expect(activityOf(`${account}: ticket`).every((a) => a.account === account)).toBe(true);
      expect(
        attributed().filter(({ event }) => event.type === 'notice_ack' && event.osUser === account),
      ).toHaveLength(1);
    }
    expect(
      attributed().some(
        ({ event }) => event.type === 'notice_ack' && event.osUser === 'claimed-by-the-session',
      ),
    ).toBe(false);
    expect(ch.refused).toEqual([]);
  }, 90_000);
});
