/**
 * The machine service of a computer shared by every shift (issue #14): one
 * enrollment, one identity key, one outbox and one connection for the whole
 * machine, run by the system (root) from a state folder operators cannot
 * read. It collects what belongs to the machine (devices, network) itself,
 * and takes each desktop session's activity and screenshots from that
 * session's part over the local channel (local-channel/), stamping them with
 * the OS account of the socket they came through (account-stream.ts) and
 * refusing a session's events until its operator confirmed the notice in
 * force (session-intake.ts).
 *
 * It is createAgent (agent.ts) in machine mode plus the session sockets:
 * everything the agent does for delivery, commands, revocation and status
 * stays in one place.
 */
import type net from 'node:net';
import { type CaptureEvent, desktopSessionLifecycle, type Notice, type Policy } from '@seatwatch/shared';
import { nodeCryptoSigner } from '@seatwatch/shared/node-crypto';
import { type Agent, type AgentDeps, createAgent, type StopReason } from '../agent.js';
import { errorMessage } from '../collectors/probe.js';
import type { CaptureResult } from '../collectors/screenshot/screenshot.collector.js';
import { createFrameReader, encodeFrame } from '../local-channel/channel-frames.js';
import {
  parseSessionMessage,
  type ServiceMessage,
  type SessionMessage,
} from '../local-channel/channel-messages.js';
import type { ListenUser } from '../local-channel/user-pipe.windows.js';
import { listenUserSocket, type SocketUser, type UserSocket } from '../local-channel/user-socket.unix.js';
import { requestSelfViewLink } from '../notice/self-view-link.js';
import { type Clock, systemClock, type TimerHandle } from '../runtime/clock.js';
import { type Logger, silentLogger } from '../runtime/logger.js';
import { AGENT_VERSION } from '../version.js';
import { type AccountStream, createAccountStream } from './account-stream.js';
import { mayTakeBlob, NOT_CONFIRMED, takeSessionEvents } from './session-intake.js';
import { openSessionNotices } from './session-notices.js';
import type { SessionUsersSource } from './session-users.js';

/** How long a session part may take to answer a capture_now (a capture of several monitors, encoded). */
const CAPTURE_ANSWER_MS = 30_000;

export interface MachineServiceDeps
  extends Pick<
    AgentDeps,
    | 'stateDir'
    | 'identity'
    | 'collectors'
    | 'random'
    | 'createSocket'
    | 'backoff'
    | 'flushDelayMs'
    | 'stopAckTimeoutMs'
  > {
  /** The account the service runs as (root, SYSTEM): the account of the machine's own events. */
  readonly machineAccount: string;
  readonly hostname: string;
  /** The folder holding one socket folder per account (`<socketRoot>/<uid>/agent.sock`). */
  readonly socketRoot: string;
  readonly sessionUsers: SessionUsersSource;
  /** How often the accounts are asked for again. Default 5 s. */
  readonly usersEveryMs?: number;
  /** Opens an account's end of the channel: a Unix socket (the default), or a secret on the Windows pipe. */
  readonly listen?: ListenUser;
  readonly clock?: Clock;
  readonly log?: Logger;
}

export interface MachineService {
  readonly agent: Agent;
  start(): Promise<void>;
  stop(reason: StopReason, detail?: string): Promise<void>;
  /** The session sockets open now, by account. */
  sockets(): Record<string, string>;
}

export function createMachineService(deps: MachineServiceDeps): MachineService {
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? silentLogger;
  const listen = deps.listen ?? listenUserSocket;
  const notices = openSessionNotices(deps.stateDir);
  // By account name: Windows accounts have no uid (session-users.ts).
  const sockets = new Map<string, { user: SocketUser; socket: UserSocket }>();
  interface Link {
    readonly socket: net.Socket;
    readonly account: string;
    sendState(t: 'welcome' | 'policy'): void;
    /** Has the session part take a screenshot now; its outcomes, or none when it does not answer in time. */
    capture(commandId: string): Promise<readonly CaptureEvent[]>;
  }
  const links = new Set<Link>();
  /** Session parts connected now, by account: a desktop session starts with an account's first and ends with its last. */
  const partsOf = new Map<string, number>();
  let nextCaptureId = 1;
  let current: { policy: Policy; notice: Notice } = {
    policy: deps.identity.identity.policy,
    notice: deps.identity.identity.notice,
  };
  let stream: AccountStream | null = null;
  let usersTimer: TimerHandle | null = null;
  let stopping = false;
  const signer = nodeCryptoSigner(deps.identity.secretKey);

  const agent = createAgent({
    stateDir: deps.stateDir,
    identity: deps.identity,
    collectors: deps.collectors,
    // No one operator: the hello names none (rules that compare the hello's account across seats, such as
    // concurrent_login, would otherwise see the same "root" on every shared computer). Each event's
    // account is named in the sequence instead.
    osUser: '',
    clock,
    log,
    page: null,
    terminal: null,
    desktopNotifier: null,
    ...(deps.random ? { random: deps.random } : {}),
    ...(deps.createSocket ? { createSocket: deps.createSocket } : {}),
    ...(deps.backoff ? { backoff: deps.backoff } : {}),
    ...(deps.flushDelayMs !== undefined ? { flushDelayMs: deps.flushDelayMs } : {}),
    ...(deps.stopAckTimeoutMs !== undefined ? { stopAckTimeoutMs: deps.stopAckTimeoutMs } : {}),
    machine: {
      wrapBatcher: (batcher) => {
        stream = createAccountStream({
          batcher,
          machineAccount: deps.machineAccount,
          now: () => clock.now(),
          fallbackNetwork: () => ({ hostname: deps.hostname, localIps: [], gateway: null }),
        });
        return stream.machine;
      },
      captureNow,
    },
  });

  agent.events.on('policy', ({ policy, notice }) => {
    current = { policy, notice };
    for (const link of links) link.sendState('policy');
  });

  function attach(user: SocketUser, socket: net.Socket): void {
    const account = user.name;
    const reader = createFrameReader();
    const send = (message: ServiceMessage) => {
      if (!socket.destroyed) socket.write(encodeFrame({ ...message }));
    };
    const identity = deps.identity.identity;
    const captures = new Map<number, (events: readonly CaptureEvent[]) => void>();
    const link: Link = {
      socket,
      account,
      capture(commandId) {
        const id = nextCaptureId++;
        return new Promise((resolve) => {
          const timer = clock.setTimeout(() => {
            captures.delete(id);
            resolve([]);
          }, CAPTURE_ANSWER_MS);
          captures.set(id, (events) => {
            clock.clearTimeout(timer);
            captures.delete(id);
            resolve(events);
          });
          send({ t: 'capture_now', id, commandId });
        });
      },
      sendState: (t: 'welcome' | 'policy') =>
        send({
          t,
          agentId: identity.agentId,
          seat: identity.seat,
          server: identity.serverUrl,
          account,
          policy: current.policy,
          notice: current.notice,
          acknowledged: notices.version(account) === current.notice.version,
        }),
    };
    links.add(link);
    log.log('info', 'session part connected', { account });
    sessionPartCame(account);
    socket.on('close', () => {
      links.delete(link);
      for (const answer of captures.values()) answer([]);
      log.log('info', 'session part disconnected', { account });
      sessionPartWent(account);
    });
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of reader.push(chunk)) take(parseSessionMessage(frame.header, frame.blob));
      } catch (error) {
        // A session part that breaks the channel's rules is cut off; its next connection starts clean.
        log.log('warn', 'session part sent a malformed message; disconnected', {
          account,
          error: errorMessage(error),
        });
        socket.destroy();
      }
    });
    link.sendState('welcome');

    function take(message: SessionMessage): void {
      if (!stream || stopping) return;
      if (message.t === 'self_view_link') {
        // The operator's own view: theirs whether or not they confirmed the notice yet.
        requestSelfViewLink(identity.serverUrl, identity.agentId, signer, () => clock.now(), account).then(
          (url) => send({ t: 'self_view_link', id: message.id, url, error: null }),
          (error) => send({ t: 'self_view_link', id: message.id, url: null, error: errorMessage(error) }),
        );
        return;
      }
      if (message.t === 'capture_done') {
        captures.get(message.id)?.(message.events);
        return;
      }
      const noticeVersion = current.notice.version;
      const before = notices.version(account);
      if (message.t === 'blob') {
        if (!mayTakeBlob(before, noticeVersion)) {
          refuse(1, NOT_CONFIRMED);
          return;
        }
        const { event, bytes, mime } = message;
        stream.appendBlobAs(account, { bytes, mime, width: event.width, height: event.height }, event);
        return;
      }
      const intake = takeSessionEvents(account, message.events, before, noticeVersion);
      if (intake.ackedVersion !== before) {
        notices.record(account, intake.ackedVersion, clock.now());
        log.log('info', 'operator confirmed the monitoring notice', { account, noticeVersion });
      }
      for (const event of intake.accepted) stream.queueAs(account, event, event.type === 'notice_ack');
      if (intake.refused) refuse(intake.refused.count, intake.refused.reason);
    }

    function refuse(count: number, reason: string): void {
      log.log('warn', 'events from a session refused', { account, count, reason });
      send({ t: 'refused', count, reason });
    }
  }

  /**
   * The login records of a shared seat (docs/protocol.md, "Desktop sessions of a shared computer"): an
   * account's desktop session starts with its first session part and ends with its last, told as that
   * account's lifecycle events. They carry nothing the session collected, so they do not wait for the
   * notice: a login record is kept for every operator, as a single-user agent's hello is. When the
   * service itself stops, its own stopping event ends every session at the collector, so nothing is
   * queued for the parts it cuts off then.
   */
  function sessionPartCame(account: string): void {
    const parts = partsOf.get(account) ?? 0;
    partsOf.set(account, parts + 1);
    if (parts === 0 && stream && !stopping)
      stream.queueAs(account, desktopSessionLifecycle('starting', clock.now(), AGENT_VERSION), true);
  }

  function sessionPartWent(account: string): void {
    const parts = (partsOf.get(account) ?? 1) - 1;
    if (parts > 0) {
      partsOf.set(account, parts);
      return;
    }
    partsOf.delete(account);
    if (stream && !stopping)
      stream.queueAs(account, desktopSessionLifecycle('stopping', clock.now(), AGENT_VERSION), true);
  }

  /**
   * capture_now from the server: every session whose operator confirmed the notice in force takes
   * its screens (their screenshots arrive as that account's blobs); the command's result sums up
   * the outcomes.
   */
  async function captureNow(commandId: string): Promise<CaptureResult> {
    const started = clock.now();
    const confirmed = [...links].filter((link) => notices.version(link.account) === current.notice.version);
    const events = (await Promise.all(confirmed.map((link) => link.capture(commandId)))).flat();
    if (events.length === 0) {
      const reason = 'no desktop session with a confirmed monitoring notice answered';
      events.push({
        type: 'capture',
        time: clock.now(),
        outcome: 'unavailable',
        trigger: 'command',
        monitor: 0,
        width: 0,
        height: 0,
        reason,
        commandId,
      });
    }
    return { trigger: 'command', commandId, events, durationMs: clock.now() - started };
  }

  async function openSockets(): Promise<void> {
    let users: SocketUser[];
    try {
      users = await deps.sessionUsers();
    } catch (error) {
      log.log('warn', 'could not list the accounts with a desktop session', { error: errorMessage(error) });
      return;
    }
    for (const user of users) {
      if (stopping || sockets.has(user.name)) continue;
      try {
        const socket = await listen(deps.socketRoot, user, (connection) => attach(user, connection));
        sockets.set(user.name, { user, socket });
        log.log('info', 'session socket ready', { account: user.name, path: socket.path });
      } catch (error) {
        log.log('error', 'could not open a session socket', {
          account: user.name,
          error: errorMessage(error),
        });
      }
    }
  }

  function watchUsers(): void {
    usersTimer = clock.setTimeout(() => {
      openSockets().finally(() => {
        if (!stopping) watchUsers();
      });
    }, deps.usersEveryMs ?? 5000);
  }

  return {
    agent,
    async start() {
      await agent.start();
      await openSockets();
      if (!stopping) watchUsers();
    },
    async stop(reason, detail) {
      stopping = true;
      clock.clearTimeout(usersTimer);
      for (const link of links) link.socket.destroy();
      await Promise.all([...sockets.values()].map(({ socket }) => socket.close()));
      sockets.clear();
      await agent.stop(reason, detail);
    },
    sockets: () =>
      Object.fromEntries([...sockets.values()].map(({ user, socket }) => [user.name, socket.path])),
  };
}
