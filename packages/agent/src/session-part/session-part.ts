/**
 * The per-session part of a shared computer (issue #14): runs in each
 * desktop session as the logged-in operator, shows that operator the
 * monitoring notice (the same gate, dialogs and local page as `run`),
 * collects activity, idle state and screenshots of this session only, and
 * hands them to the machine service over the local channel. It has no
 * identity, no outbox and no connection to the collector: those are the
 * service's. Devices and the network are the machine's, collected by the
 * service.
 *
 * Nothing is collected before the operator confirmed the notice the service
 * says is in force, nor while the service is out of reach (there is no
 * queue here: the durable one is the service's); the service refuses a
 * session's events until it holds the confirmation itself.
 */

import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import {
  type CaptureEvent,
  type Event,
  MAX_EVENTS_PER_BATCH,
  type Notice,
  type Policy,
} from '@seatwatch/shared';
import { type CollectorProbes, superviseCollectors } from '../collectors/collector-supervisor.js';
import type { DeviceMemory } from '../collectors/devices/devices.collector.js';
import { errorMessage, unavailable } from '../collectors/probe.js';
import { STATE_FILES } from '../identity/state-dir.js';
import { createFrameReader, encodeFrame } from '../local-channel/channel-frames.js';
import { parseServiceMessage, type ServiceState } from '../local-channel/channel-messages.js';
import type { DesktopNotifier } from '../notice/desktop-notification.port.js';
import { keepLastScreenshot } from '../notice/last-screenshot.js';
import type { NoticeChannel } from '../notice/notice-channel.port.js';
import { createNoticeGate, type NoticeGate } from '../notice/notice-gate.js';
import { startTransparencyPage, type TransparencyPage } from '../notice/transparency-page.js';
import { type Clock, systemClock, type TimerHandle } from '../runtime/clock.js';
import { type Logger, silentLogger } from '../runtime/logger.js';
import { createTypedEvents, type TypedEvents } from '../runtime/typed-events.js';
import type { AgentStatus } from '../status/agent-status.js';
import { AGENT_VERSION } from '../version.js';

export interface SessionPartDeps {
  /** The operator's own state folder: the notice record, the page token, the last screenshot. */
  readonly stateDir: string;
  readonly socketPath: string;
  /** The operator's account as this process sees it: for the local notice record only (the service stamps its own). */
  readonly osUser: string;
  readonly collectors: Pick<CollectorProbes, 'activeWindow' | 'idleTime' | 'screen' | 'encoder'>;
  connect(socketPath: string): net.Socket;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly log?: Logger;
  readonly terminal?: { write(text: string): void; readonly isTTY: boolean } | null;
  readonly noticeChannels?: readonly NoticeChannel[];
  readonly noDialogReason?: string | null;
  readonly desktopNotifier?: DesktopNotifier | null;
  readonly page?: { readonly port: number } | null;
  readonly flushDelayMs?: number;
  /** How long to wait before connecting again to the service. Default 2 s. */
  readonly reconnectMs?: number;
  readonly releaseMemory?: () => void;
}

export interface SessionPartEventMap {
  /** The service's welcome (and every policy after it). */
  state: ServiceState;
  disconnected: { reason: string };
  notice_confirmed: { version: number };
  refused: { count: number; reason: string };
}

export interface SessionPart {
  readonly events: TypedEvents<SessionPartEventMap>;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): AgentStatus | null;
  readonly pageUrl: string | null;
}

const MACHINE_LEVEL = 'collected by the machine service';
const noDeviceMemory: DeviceMemory = { load: () => null, save: () => {} };

export function createSessionPart(deps: SessionPartDeps): SessionPart {
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? silentLogger;
  const { events, emit } = createTypedEvents<SessionPartEventMap>('session part');
  const startedAt = clock.now();
  let service: ServiceState | null = null;
  let socket: net.Socket | null = null;
  let connected = false;
  let gate: NoticeGate | null = null;
  let page: TransparencyPage | null = null;
  let stopping = false;
  let reconnectTimer: TimerHandle | null = null;
  let flushTimer: TimerHandle | null = null;
  const pending: Event[] = [];
  /** Self-view link requests waiting for the service's answer, by id. */
  const linkRequests = new Map<number, { resolve(url: string): void; reject(error: Error): void }>();
  let nextLinkId = 1;

  const lastScreenshot = keepLastScreenshot(deps.stateDir, log);
  const collectors = superviseCollectors({
    clock,
    random: deps.random ?? Math.random,
    log,
    probes: {
      ...deps.collectors,
      devices: unavailable(MACHINE_LEVEL),
      network: unavailable(MACHINE_LEVEL),
    },
    deviceMemory: noDeviceMemory,
    policy: () => policy(),
    queue: (event) => queue(event, false),
    screenshot: {
      onImage: (image, event) => {
        if (!connected) return;
        flush();
        socket?.write(encodeFrame({ t: 'blob', mime: image.mime, event }, image.bytes));
        lastScreenshot.keep(image, event);
      },
      onCaptureDone: () => {
        if (deps.releaseMemory) setImmediate(deps.releaseMemory);
      },
    },
  });

  function policy(): Policy {
    if (!service) throw new Error('no policy before the machine service welcomed this session');
    return service.policy;
  }
  const notice = (): Notice => {
    if (!service) throw new Error('no notice before the machine service welcomed this session');
    return service.notice;
  };

  function queue(event: Event, urgent: boolean): void {
    if (!connected) return;
    pending.push(event);
    if (urgent || pending.length >= MAX_EVENTS_PER_BATCH) flush();
    else if (!flushTimer) flushTimer = clock.setTimeout(flush, deps.flushDelayMs ?? 1000);
  }

  function flush(): void {
    clock.clearTimeout(flushTimer);
    flushTimer = null;
    while (pending.length > 0 && connected) {
      socket?.write(encodeFrame({ t: 'events', events: pending.splice(0, MAX_EVENTS_PER_BATCH) }));
    }
    pending.length = 0;
  }

  function startCollectors(): void {
    if (stopping || !connected || !gate?.isCurrent() || collectors.running) return;
    collectors.start();
  }

  function newGate(): NoticeGate {
    return createNoticeGate({
      stateDir: deps.stateDir,
      osUser: deps.osUser,
      clock,
      log,
      terminal: deps.terminal ?? null,
      channels: deps.noticeChannels ?? [],
      noDialogReason: deps.noDialogReason ?? null,
      desktopNotifier: deps.desktopNotifier ?? null,
      notice,
      policy,
      pageUrl: () => page?.url ?? null,
      queue: (event, urgent) => queue(event, urgent),
      onConfirmed: ({ version }) => {
        emit('notice_confirmed', { version });
        startCollectors();
      },
      stopping: () => stopping,
    });
  }

  async function onState(state: ServiceState): Promise<void> {
    const previous = service;
    service = state;
    if (!state.acknowledged && (gate === null || gate.isCurrent())) {
      // The service holds no confirmation from this account for the notice in force (a new
      // service state, another computer's record): the operator confirms it again, to the service.
      gate?.close();
      fs.rmSync(path.join(deps.stateDir, STATE_FILES.notice), { force: true });
      gate = null;
    }
    gate ??= newGate();
    if (!page && deps.page) {
      try {
        page = await startTransparencyPage(deps.stateDir, deps.page.port, {
          status: () => status()!,
          notice,
          lastScreenshot: lastScreenshot.image,
          confirmNotice: () => gate?.confirmFromPage() ?? false,
          selfViewLink,
        });
        deps.terminal?.write(`Local page: ${page.url}\n`);
      } catch (error) {
        log.log('warn', 'the local transparency page could not start', { error: errorMessage(error) });
      }
    }
    if (!gate.isCurrent()) {
      // What is collected changed, or was never confirmed: nothing until the operator confirms.
      collectors.stop();
      gate.request();
    } else if (previous && collectors.running) {
      collectors.policyReplaced(previous.policy);
    }
    startCollectors();
    emit('state', state);
  }

  function connect(): void {
    if (stopping) return;
    const reader = createFrameReader();
    const current = deps.connect(deps.socketPath);
    socket = current;
    current.on('connect', () => {
      connected = true;
      log.log('info', 'connected to the machine service', { socket: deps.socketPath });
    });
    current.on('data', (chunk: Buffer) => {
      try {
        for (const frame of reader.push(chunk)) {
          const message = parseServiceMessage(frame.header);
          if (message.t === 'self_view_link') {
            const request = linkRequests.get(message.id);
            linkRequests.delete(message.id);
            if (message.url !== null) request?.resolve(message.url);
            else request?.reject(new Error(message.error ?? 'the machine service gave no link'));
          } else if (message.t === 'capture_now') {
            captureNow(current, message.id, message.commandId);
          } else if (message.t === 'refused') {
            log.log('warn', 'the machine service refused events', {
              count: message.count,
              reason: message.reason,
            });
            emit('refused', { count: message.count, reason: message.reason });
          } else {
            onState(message).catch((error) =>
              log.log('error', 'could not apply the policy', { error: errorMessage(error) }),
            );
          }
        }
      } catch (error) {
        log.log('error', 'the machine service sent a malformed message', { error: errorMessage(error) });
        current.destroy();
      }
    });
    current.on('error', (error) => {
      log.log('warn', 'the machine service is not reachable', {
        socket: deps.socketPath,
        error: errorMessage(error),
      });
    });
    current.on('close', () => {
      if (socket !== current) return;
      const was = connected;
      connected = false;
      socket = null;
      collectors.stop();
      pending.length = 0;
      if (was) emit('disconnected', { reason: 'the machine service closed the channel' });
      if (!stopping) reconnectTimer = clock.setTimeout(connect, deps.reconnectMs ?? 2000);
    });
  }

  /** A screenshot the server asked for: taken only while collecting (the operator confirmed the notice). */
  function captureNow(channel: net.Socket, id: number, commandId: string): void {
    const answer = (events: readonly CaptureEvent[]) => {
      // The outcomes that travel as events (unchanged, paused, failed) wait in `pending` for the flush
      // delay: sent first, they are queued before the service's command result, as a screenshot's blob is.
      flush();
      if (!channel.destroyed) channel.write(encodeFrame({ t: 'capture_done', id, events }));
    };
    if (!collectors.running) {
      answer([]);
      return;
    }
    collectors.captureNow(commandId).then(
      (result) => answer(result.events),
      (error) => {
        log.log('warn', 'capture_now failed', { error: errorMessage(error) });
        answer([]);
      },
    );
  }

  /** The local page's link to the server's self-view: only the service holds the key to ask for one. */
  function selfViewLink(): Promise<string> {
    if (!connected || !socket) return Promise.reject(new Error('the machine service is not reachable'));
    const id = nextLinkId++;
    const channel = socket;
    return new Promise<string>((resolve, reject) => {
      const timer = clock.setTimeout(() => {
        linkRequests.delete(id);
        reject(new Error('the machine service did not answer'));
      }, 15_000);
      linkRequests.set(id, {
        resolve: (url) => {
          clock.clearTimeout(timer);
          resolve(url);
        },
        reject: (error) => {
          clock.clearTimeout(timer);
          reject(error);
        },
      });
      channel.write(encodeFrame({ t: 'self_view_link', id }));
    });
  }

  function status(): AgentStatus | null {
    if (!service || !gate) return null;
    const noticeShown = gate.shown();
    const pausedBecause = !connected
      ? 'the machine service is not reachable'
      : gate.isCurrent()
        ? null
        : 'waiting until the operator has confirmed the monitoring notice';
    const collectorStatus = collectors.statuses(pausedBecause);
    const paused = Object.entries(collectorStatus)
      .filter(([, s]) => s.state === 'paused' || s.state === 'unavailable')
      .map(([name, s]) => `${name}: ${s.detail}`);
    return {
      version: 1,
      pid: process.pid,
      agentVersion: AGENT_VERSION,
      startedAt,
      updatedAt: clock.now(),
      agentId: service.agentId,
      seat: service.seat,
      server: service.server,
      connection: {
        state: connected ? 'connected' : 'connecting',
        session: null,
        connectedAt: null,
        explanation: `this session's part hands what it collects to the machine service (${deps.socketPath}), which delivers it`,
        retryAt: null,
      },
      outbox: { depth: 0, bytes: 0, lastSeq: 0, ackedSeq: 0, lastAckAt: null, droppedSinceStart: 0 },
      notice: { version: service.notice.version, ...noticeShown },
      collectors: collectorStatus,
      paused,
      lastScreenshot: lastScreenshot.summary(),
      pageUrl: page?.url ?? null,
      policy: service.policy,
      stopped: null,
    };
  }

  return {
    events,
    async start() {
      connect();
    },
    async stop() {
      stopping = true;
      clock.clearTimeout(reconnectTimer);
      gate?.close();
      collectors.stop();
      flush();
      collectors.closePorts();
      await page?.close();
      await new Promise<void>((resolve) => {
        if (!socket) return resolve();
        socket.end(() => resolve());
        socket.once('close', () => resolve());
      });
    },
    status,
    get pageUrl() {
      return page?.url ?? null;
    },
  };
}
