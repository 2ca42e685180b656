/**
 * createAgent(deps): the seat agent with everything it touches passed in
 * (collector ports, clock, randomness, socket factory, notifier, state
 * folder), so a test can drive it and await what it does. main.ts builds the
 * real dependencies; nothing here reads the environment.
 *
 * Order at start: the outbox opens, "starting" is recorded, the monitoring
 * notice is shown if this version has not been (and its acknowledgement
 * queued), and only then do the collectors start. Nothing is captured before
 * the notice is shown.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type AgentInfo,
  type CaptureEvent,
  type Ed25519Signer,
  type Ed25519Verifier,
  type Event,
  type LifecycleEvent,
  MAX_STRING_LENGTHS,
  type Notice,
  type Policy,
  sanitizeText,
  validatePolicyCommandArgs,
} from '@seatwatch/shared';
import { createNodeCryptoVerifier, nodeCryptoSigner, sha256Hex } from '@seatwatch/shared/node-crypto';
import type { ActiveWindowPort } from './collectors/activity/active-window.port.js';
import { type ActivityCollector, createActivityCollector } from './collectors/activity/activity.collector.js';
import type { Collector, CollectorContext, CollectorStatus } from './collectors/collector.js';
import { createDevicesCollector, type DeviceMemory } from './collectors/devices/devices.collector.js';
import type { DevicesPort } from './collectors/devices/devices.port.js';
import { createIdleCollector, type IdleCollector } from './collectors/idle/idle.collector.js';
import type { IdleTimePort } from './collectors/idle/idle-time.port.js';
import { createNetworkCollector, type NetworkCollector } from './collectors/network/network.collector.js';
import type { NetworkPort } from './collectors/network/network.port.js';
import { errorMessage, type Probe } from './collectors/probe.js';
import type {
  EncodedImage,
  ImageEncoderPort,
  ScreenCapturePort,
} from './collectors/screenshot/screen-capture.port.js';
import {
  type CaptureResult,
  createScreenshotCollector,
  type ScreenshotCollector,
} from './collectors/screenshot/screenshot.collector.js';
import type { DeviceInfo } from './core/device-diff.js';
import { checkServerUrl } from './core/server-url.js';
import { type Identity, type LoadedIdentity, StateError, saveIdentity } from './identity/identity-store.js';
import { STATE_FILES } from './identity/state-dir.js';
import type { DesktopNotifier } from './notice/desktop-notification.port.js';
import { loadNoticeState, type NoticeState, type ShownVia, saveNoticeState } from './notice/notice-state.js';
import { fullNoticeText } from './notice/notice-text.js';
import { requestSelfViewLink } from './notice/self-view-link.js';
import { startTransparencyPage, type TransparencyPage } from './notice/transparency-page.js';
import { Outbox, OutboxCorruptError } from './outbox/outbox.js';
import { writeFileAtomic } from './runtime/atomic-file.js';
import { type Clock, systemClock } from './runtime/clock.js';
import { type Logger, silentLogger } from './runtime/logger.js';
import { type AgentStatus, writeStatusFile } from './status/agent-status.js';
import { type Disconnect, Transport, type TransportOptions } from './transport/transport.js';
import { AGENT_VERSION } from './version.js';

export interface CollectorProbes {
  readonly activeWindow: Probe<ActiveWindowPort>;
  readonly idleTime: Probe<IdleTimePort>;
  readonly screen: Probe<ScreenCapturePort>;
  readonly encoder: Probe<ImageEncoderPort>;
  readonly devices: Probe<DevicesPort>;
  readonly network: Probe<NetworkPort>;
}

export interface AgentDeps {
  readonly stateDir: string;
  /** From loadIdentity(stateDir). */
  readonly identity: LoadedIdentity;
  readonly collectors: CollectorProbes;
  readonly osUser: string;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly log?: Logger;
  readonly agentVersion?: string;
  readonly signer?: Ed25519Signer;
  readonly verifier?: Ed25519Verifier;
  /** Where the notice is printed (stdout for `run`); `isTTY` decides whether "terminal" counts as shown. */
  readonly terminal?: { write(text: string): void; readonly isTTY: boolean } | null;
  readonly desktopNotifier?: DesktopNotifier | null;
  /** The local transparency page: port (0 = any free one), or null for none. */
  readonly page?: { readonly port: number } | null;
  readonly createSocket?: TransportOptions['createSocket'];
  readonly backoff?: TransportOptions['backoff'];
  /** Events wait this long to share a batch (lifecycle, notice and command results go at once). */
  readonly flushDelayMs?: number;
  /** How long a stop waits for the server to acknowledge "stopping". */
  readonly stopAckTimeoutMs?: number;
  /**
   * Called after each screenshot attempt. A screenshot passes through ~20 MB
   * of short-lived buffers (an 8 MB frame at 1920×1080) that V8 would only
   * collect under memory pressure; main.ts passes a full GC here so RSS drops
   * back at once.
   */
  readonly releaseMemory?: () => void;
  /**
   * 'run' (default) shows the notice and collects; 'deliver-only' only
   * delivers what the outbox holds (used by unenroll): no notice, no collection.
   */
  readonly mode?: 'run' | 'deliver-only';
}

export type StopReason = LifecycleEvent['reason'];

export interface AgentEventMap {
  connected: { session: string; ackedSeq: number };
  disconnected: Disconnect;
  acked: { seq: number };
  queued: { seq: number; kind: 'batch' | 'blob'; events: readonly Event[] };
  notice_shown: { version: number; shownVia: readonly ShownVia[] };
  capture_done: CaptureResult;
  refused: { reason: string };
  policy: { policy: Policy; notice: Notice };
  revoked: Record<string, never>;
  stopped: { reason: StopReason };
}

export interface AgentEvents {
  on<K extends keyof AgentEventMap>(name: K, listener: (payload: AgentEventMap[K]) => void): void;
  off<K extends keyof AgentEventMap>(name: K, listener: (payload: AgentEventMap[K]) => void): void;
  /** Resolves with the next payload that matches (register before causing it), or rejects after `timeoutMs`. */
  waitFor<K extends keyof AgentEventMap>(
    name: K,
    predicate?: (payload: AgentEventMap[K]) => boolean,
    timeoutMs?: number,
  ): Promise<AgentEventMap[K]>;
}

export interface Agent {
  readonly events: AgentEvents;
  start(): Promise<void>;
  stop(reason: StopReason, detail?: string): Promise<void>;
  captureNow(): Promise<CaptureResult>;
  status(): AgentStatus;
  /** Resolves once everything up to `seq` is acknowledged by the server. */
  whenAcked(seq: number, timeoutMs?: number): Promise<void>;
  readonly pageUrl: string | null;
  readonly outbox: { readonly lastSeq: number; readonly ackedSeq: number; readonly depth: number };
}

const MAX_EVENTS_PER_FLUSH = 200;
const ERROR_REPEAT_MS = 10 * 60_000;
const STATUS_EVERY_MS = 1000;
const NOTICE_RETRY_MS = 60_000;

export function createAgent(deps: AgentDeps): Agent {
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;
  const log = deps.log ?? silentLogger;
  const agentVersion = deps.agentVersion ?? AGENT_VERSION;
  const flushDelayMs = deps.flushDelayMs ?? 1000;
  const deliverOnly = deps.mode === 'deliver-only';
  const signer = deps.signer ?? nodeCryptoSigner(deps.identity.secretKey);
  const verifier = deps.verifier ?? createNodeCryptoVerifier(16);
  const emitter = new EventEmitter();
  emitter.setMaxListeners(100);

  let identity: Identity = deps.identity.identity;
  let outbox: Outbox | null = null;
  let transport: Transport | null = null;
  let page: TransparencyPage | null = null;
  let noticeState: NoticeState | null = loadNoticeState(deps.stateDir);
  const pending: Event[] = [];
  let flushTimer: ReturnType<Clock['setTimeout']> | null = null;
  let statusTimer: ReturnType<Clock['setTimeout']> | null = null;
  let collecting = false;
  let stopping: Promise<void> | null = null;
  let stoppedInfo: { at: number; reason: string } | null = null;
  let connectedAt: number | null = null;
  let lastDisconnect: Disconnect | null = null;
  let lastAckAt: number | null = null;
  let droppedSinceStart = 0;
  let lastImage: { bytes: Uint8Array; mime: string; event: CaptureEvent } | null = null;
  const startedAt = clock.now();
  const errorsSeen = new Map<string, number>();

  const emit = <K extends keyof AgentEventMap>(name: K, payload: AgentEventMap[K]) => {
    emitter.emit(name, payload);
  };

  // ---- events into the outbox -------------------------------------------------------------

  const queue = (event: Event, urgent = false) => {
    pending.push(event);
    if (urgent || pending.length >= MAX_EVENTS_PER_FLUSH) flush();
    else if (!flushTimer) flushTimer = clock.setTimeout(flush, flushDelayMs);
  };

  function flush(): number | null {
    clock.clearTimeout(flushTimer);
    flushTimer = null;
    if (!outbox || pending.length === 0) return null;
    let seq: number | null = null;
    while (pending.length > 0) {
      const events = pending.splice(0, MAX_EVENTS_PER_FLUSH);
      seq = outbox.appendBatch(events);
      emit('queued', { seq, kind: 'batch', events });
    }
    transport?.pump();
    scheduleStatus();
    return seq;
  }

  const reportError = (collector: string, error: unknown) => {
    const message = sanitizeText(errorMessage(error), MAX_STRING_LENGTHS.message);
    const key = `${collector}\n${message}`;
    const last = errorsSeen.get(key);
    const now = clock.now();
    log.log('warn', 'collector failed', { collector, error: message });
    if (last !== undefined && now - last < ERROR_REPEAT_MS) return;
    errorsSeen.set(key, now);
    queue({ type: 'agent_error', time: now, collector, message });
  };

  const ctx: CollectorContext = {
    clock,
    random,
    log,
    policy: () => identity.policy,
    emit: (event) => queue(event),
    reportError,
  };

  // ---- collectors ----------------------------------------------------------------------------

  const probes = deps.collectors;
  const activity: ActivityCollector = createActivityCollector(ctx, probes.activeWindow);
  const idle: IdleCollector = createIdleCollector(ctx, probes.idleTime);
  const network: NetworkCollector = createNetworkCollector(ctx, probes.network);
  const deviceMemory: DeviceMemory = {
    load() {
      try {
        return JSON.parse(
          fs.readFileSync(path.join(deps.stateDir, STATE_FILES.devices), 'utf8'),
        ) as DeviceInfo[];
      } catch {
        return null;
      }
    },
    save(devices) {
      writeFileAtomic(path.join(deps.stateDir, STATE_FILES.devices), JSON.stringify(devices));
    },
  };
  const devices: Collector = createDevicesCollector(ctx, probes.devices, deviceMemory);
  const screenshot: ScreenshotCollector = createScreenshotCollector(ctx, probes.screen, probes.encoder, {
    activeWindow: () => activity.currentWindow(),
    presence: () => idle.presence(),
    onImage: (image, event) => storeImage(image, event),
    onCaptureDone: (result) => {
      log.log('info', 'screenshot attempt', {
        trigger: result.trigger,
        outcomes: result.events.map((e) => e.outcome),
        durationMs: Math.round(result.durationMs),
      });
      scheduleStatus();
      // After the capture's own frames are out of scope.
      if (deps.releaseMemory) setImmediate(deps.releaseMemory);
      emit('capture_done', result);
    },
  });
  const collectors: Collector[] = [network, activity, idle, devices, screenshot];

  function storeImage(image: EncodedImage, event: CaptureEvent): void {
    if (!outbox) return;
    // Events seen before the screenshot keep their place in front of it.
    flush();
    const seq = outbox.appendBlob(image.mime, sha256Hex(image.bytes), event, image.bytes);
    emit('queued', { seq, kind: 'blob', events: [event] });
    lastImage = { bytes: image.bytes, mime: image.mime, event };
    const ext = image.mime === 'image/webp' ? 'webp' : 'jpg';
    try {
      for (const old of ['jpg', 'webp'])
        fs.rmSync(path.join(deps.stateDir, `${STATE_FILES.lastScreenshot}.${old}`), { force: true });
      writeFileAtomic(path.join(deps.stateDir, `${STATE_FILES.lastScreenshot}.${ext}`), image.bytes);
    } catch (error) {
      log.log('warn', 'could not keep the last screenshot for the local page', {
        error: errorMessage(error),
      });
    }
    transport?.pump();
  }

  const startCollectors = () => {
    if (collecting || stopping || identity.revoked || deliverOnly || !noticeCurrent()) return;
    collecting = true;
    for (const c of collectors) c.start();
    scheduleStatus();
  };

  const stopCollectors = () => {
    if (!collecting) return;
    collecting = false;
    for (const c of collectors) c.stop();
  };

  // ---- the monitoring notice -----------------------------------------------------------------

  let noticeRetry: ReturnType<Clock['setTimeout']> | null = null;

  /** Shows the notice; true once it reached the operator through at least one channel. */
  async function showNotice(): Promise<boolean> {
    const notice = identity.notice;
    const text = fullNoticeText(notice, identity.policy, page?.url ?? null);
    const shownVia: ShownVia[] = [];
    if (deps.terminal) {
      deps.terminal.write(`\n${text}\n\n`);
      if (deps.terminal.isTTY) shownVia.push('terminal');
    }
    if (deps.desktopNotifier) {
      const summary = `${notice.text.trim().slice(0, 300)}${page ? `\nDetails: ${page.url}` : ''}`;
      if (await deps.desktopNotifier.notify('Seatwatch monitors this computer', summary))
        shownVia.push('notification');
    }
    if (page) shownVia.push('page');
    if (shownVia.length === 0) {
      // Not shown anywhere the operator can see: collection waits, and we try again.
      log.log(
        'error',
        'the monitoring notice could not be shown (no terminal, notification or local page); nothing is collected',
        {
          noticeVersion: notice.version,
        },
      );
      clock.clearTimeout(noticeRetry);
      noticeRetry = clock.setTimeout(() => {
        noticeRetry = null;
        if (!stopping && !noticeCurrent()) showNotice().then((shown) => shown && startCollectors());
      }, NOTICE_RETRY_MS);
      return false;
    }
    log.log('info', 'monitoring notice shown', { noticeVersion: notice.version, shownVia });
    noticeState = { version: notice.version, shownAt: clock.now(), shownVia, osUser: deps.osUser };
    saveNoticeState(deps.stateDir, noticeState);
    queue(
      {
        type: 'notice_ack',
        time: noticeState.shownAt,
        noticeVersion: notice.version,
        osUser: sanitizeText(deps.osUser, MAX_STRING_LENGTHS.osUser),
        shownVia,
      },
      true,
    );
    emit('notice_shown', { version: notice.version, shownVia });
    return true;
  }

  const noticeCurrent = () => noticeState?.version === identity.notice.version;

  /** New policy and notice (welcome or policy command): saved, applied now, notice re-shown if its version changed. */
  async function applyPolicy(policy: Policy, notice: Notice): Promise<void> {
    const changed =
      JSON.stringify(policy) !== JSON.stringify(identity.policy) ||
      notice.version !== identity.notice.version ||
      notice.text !== identity.notice.text;
    if (!changed) return;
    const previous = identity.policy;
    identity = { ...identity, policy, notice };
    saveIdentity(deps.stateDir, identity);
    outbox?.setMaxBytes(policy.outboxMaxBytes);
    log.log('info', 'policy applied', { noticeVersion: notice.version });
    if (!noticeCurrent() && !deliverOnly) {
      // Collection pauses until the operator has been shown the new notice.
      stopCollectors();
      if (await showNotice()) startCollectors();
    } else if (
      collecting &&
      (previous.screenshotIntervalMs !== policy.screenshotIntervalMs ||
        previous.screenshotJitter !== policy.screenshotJitter)
    ) {
      // The next screenshot follows the new interval instead of the one already scheduled.
      screenshot.stop();
      screenshot.start();
    }
    emit('policy', { policy, notice });
    scheduleStatus();
  }

  // ---- commands ------------------------------------------------------------------------------

  const commandResult = (id: string, cmd: string, ok: boolean, message: string) =>
    queue(
      {
        type: 'command_result',
        time: clock.now(),
        commandId: id,
        cmd: cmd.slice(0, 64),
        ok,
        message: sanitizeText(message, MAX_STRING_LENGTHS.message),
      },
      true,
    );

  async function onCommand(command: {
    id: string;
    cmd: string;
    args: Record<string, unknown>;
  }): Promise<void> {
    log.log('info', 'command received', { id: command.id, cmd: command.cmd });
    switch (command.cmd) {
      case 'capture_now': {
        if (!collecting) {
          commandResult(
            command.id,
            command.cmd,
            false,
            'not capturing: the agent is not collecting (notice pending or stopping)',
          );
          return;
        }
        const result = await screenshot.captureNow(command.id);
        const summary = result.events
          .map((e) => `monitor ${e.monitor}: ${e.outcome}${e.reason ? ` (${e.reason})` : ''}`)
          .join('; ');
        commandResult(command.id, command.cmd, true, summary);
        return;
      }
      case 'policy': {
        if (!validatePolicyCommandArgs(command.args)) {
          commandResult(command.id, command.cmd, false, 'invalid policy arguments; the current policy stays');
          return;
        }
        const args = command.args as { policy: Policy; notice: Notice };
        await applyPolicy(args.policy, args.notice);
        commandResult(
          command.id,
          command.cmd,
          true,
          `policy applied (notice version ${args.notice.version})`,
        );
        return;
      }
      case 'revoke': {
        commandResult(command.id, command.cmd, true, 'revoked: the agent stops collecting and sending');
        markRevoked();
        return;
      }
      default:
        commandResult(command.id, command.cmd, false, `unknown command "${command.cmd.slice(0, 64)}"`);
    }
  }

  function markRevoked(): void {
    if (identity.revoked) return;
    identity = { ...identity, revoked: true };
    saveIdentity(deps.stateDir, identity);
    stopCollectors();
    log.log('warn', 'this agent was revoked; it stops collecting');
    emit('revoked', {});
  }

  // ---- status --------------------------------------------------------------------------------

  function status(): AgentStatus {
    const collectorStatus: Record<string, CollectorStatus> = {};
    const notShown = !noticeCurrent();
    for (const c of collectors) {
      collectorStatus[c.name] =
        notShown && !stoppedInfo && !deliverOnly
          ? { state: 'paused', detail: 'waiting until the monitoring notice has been shown' }
          : c.status();
    }
    const paused = Object.entries(collectorStatus)
      .filter(([, s]) => s.state === 'paused' || s.state === 'unavailable')
      .map(([name, s]) => `${name}: ${s.detail}`);
    if (lastDisconnect && transport?.state !== 'connected')
      paused.push(`delivery: ${lastDisconnect.explanation}`);
    return {
      version: 1,
      pid: process.pid,
      agentVersion,
      startedAt,
      updatedAt: clock.now(),
      agentId: identity.agentId,
      seat: identity.seat,
      server: identity.serverUrl,
      connection: {
        state: transport?.state ?? 'idle',
        session: transport?.sessionId ?? null,
        connectedAt: transport?.state === 'connected' ? connectedAt : null,
        explanation: transport?.state === 'connected' ? null : (lastDisconnect?.explanation ?? null),
        retryAt: transport?.state === 'waiting' ? (lastDisconnect?.retryAt ?? null) : null,
      },
      outbox: {
        depth: outbox?.depth ?? 0,
        bytes: outbox?.bytes ?? 0,
        lastSeq: outbox?.lastSeq ?? 0,
        ackedSeq: outbox?.ackedSeq ?? 0,
        lastAckAt,
        droppedSinceStart,
      },
      notice: {
        version: identity.notice.version,
        shownAt: noticeCurrent() ? (noticeState?.shownAt ?? null) : null,
        shownVia: noticeCurrent() ? (noticeState?.shownVia ?? []) : [],
      },
      collectors: collectorStatus,
      paused,
      lastScreenshot: lastImage
        ? {
            time: lastImage.event.time,
            monitor: lastImage.event.monitor,
            width: lastImage.event.width,
            height: lastImage.event.height,
          }
        : null,
      pageUrl: page?.url ?? null,
      policy: identity.policy,
      stopped: stoppedInfo,
    };
  }

  function writeStatus(): void {
    clock.clearTimeout(statusTimer);
    statusTimer = null;
    try {
      writeStatusFile(deps.stateDir, status());
    } catch (error) {
      log.log('warn', 'could not write the status file', { error: errorMessage(error) });
    }
  }

  function scheduleStatus(): void {
    if (!statusTimer) statusTimer = clock.setTimeout(writeStatus, STATUS_EVERY_MS);
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  const lifecycle = (phase: 'starting' | 'stopping', reason: StopReason, detail: string): LifecycleEvent => ({
    type: 'lifecycle',
    time: clock.now(),
    phase,
    reason,
    detail: sanitizeText(detail, MAX_STRING_LENGTHS.reason),
    agentVersion,
  });

  function helloInfo(): AgentInfo {
    const net = network.current();
    // AgentInfo is open: the gateway, OS and seat name travel along with the required fields.
    const info: AgentInfo & { gateway: string | null; os: string; seat: string | null } = {
      hostname: net?.hostname ?? sanitizeText(os.hostname(), MAX_STRING_LENGTHS.hostname),
      osUser: sanitizeText(deps.osUser, MAX_STRING_LENGTHS.osUser),
      localIps: [...(net?.localIps ?? [])],
      agentVersion,
      noticeVersion: noticeCurrent() ? identity.notice.version : (noticeState?.version ?? 0),
      gateway: net?.gateway ?? null,
      os: `${os.platform()} ${os.release()}`,
      seat: identity.seat,
    };
    return info;
  }

  async function start(): Promise<void> {
    if (identity.revoked) {
      throw new StateError(
        'this agent was revoked by an administrator; run "seatwatch-agent unenroll" and enroll the seat again',
      );
    }
    const endpoints = checkServerUrl(identity.serverUrl, identity.insecure);
    if (!endpoints.ok) throw new StateError(`the stored server URL is refused: ${endpoints.reason}`);
    try {
      outbox = Outbox.open(path.join(deps.stateDir, STATE_FILES.outbox), {
        maxBytes: identity.policy.outboxMaxBytes,
        now: () => clock.now(),
        onDrop: (event) => {
          droppedSinceStart += event.count;
          log.log('warn', 'outbox full: dropped data', {
            kind: event.kind,
            count: event.count,
            fromSeq: event.fromSeq,
            toSeq: event.toSeq,
          });
        },
      });
    } catch (error) {
      if (error instanceof OutboxCorruptError) {
        throw new StateError(
          `${error.message}. Move the folder ${path.dirname(error.file)} aside to start with an empty outbox (its undelivered data is then lost)`,
        );
      }
      throw error;
    }
    if (outbox.openReport.truncatedBytes > 0) {
      log.log('warn', 'outbox: cut a record torn by a crash', { bytes: outbox.openReport.truncatedBytes });
    }
    if (deps.page && !deliverOnly) {
      try {
        page = await startTransparencyPage(deps.stateDir, deps.page.port, {
          status,
          notice: () => identity.notice,
          lastScreenshot: () => (lastImage ? { bytes: lastImage.bytes, mime: lastImage.mime } : null),
          selfViewLink: () => requestSelfViewLink(identity.serverUrl, identity.agentId, signer),
        });
      } catch (error) {
        log.log('warn', 'the local transparency page could not start', { error: errorMessage(error) });
      }
    }
    queue(lifecycle('starting', 'start', `pid ${process.pid}`), true);
    if (!noticeCurrent() && !deliverOnly) await showNotice();
    await network.refresh();
    transport = new Transport({
      url: endpoints.endpoints.ws,
      agentId: identity.agentId,
      signer,
      serverPublicKey: deps.identity.serverPublicKey,
      verifier,
      sha256Hex,
      queue: outbox,
      helloInfo,
      clock,
      random,
      log,
      ...(deps.createSocket ? { createSocket: deps.createSocket } : {}),
      ...(deps.backoff ? { backoff: deps.backoff } : {}),
      hooks: {
        onWelcome: (welcome) => {
          connectedAt = clock.now();
          lastDisconnect = null;
          applyPolicy(welcome.policy, welcome.notice)
            .catch((error) => log.log('error', 'could not apply the policy', { error: errorMessage(error) }))
            .finally(() => emit('connected', { session: welcome.session, ackedSeq: welcome.ackedSeq }));
          scheduleStatus();
        },
        onCommand: (command) => {
          onCommand(command).catch((error) =>
            commandResult(command.id, command.cmd, false, errorMessage(error)),
          );
        },
        onAcked: (seq) => {
          lastAckAt = clock.now();
          scheduleStatus();
          emit('acked', { seq });
        },
        onDisconnected: (info) => {
          lastDisconnect = info;
          connectedAt = null;
          scheduleStatus();
          emit('disconnected', info);
        },
        onRefused: (reason) => emit('refused', { reason }),
        onRevoked: markRevoked,
      },
    });
    transport.start();
    startCollectors();
    writeStatus();
  }

  function stop(reason: StopReason, detail = ''): Promise<void> {
    stopping ??= (async () => {
      clock.clearTimeout(noticeRetry);
      stopCollectors();
      let seq: number | null = null;
      if (outbox) {
        queue(lifecycle('stopping', reason, detail), false);
        seq = flush();
      }
      if (transport && seq !== null && transport.state === 'connected') {
        const acked = await transport.waitForAck(seq, deps.stopAckTimeoutMs ?? 3000);
        if (!acked)
          log.log(
            'warn',
            'stopping without an acknowledgement of the stop event; it is sent at the next start',
            { seq },
          );
      }
      await transport?.stop(`agent stopping: ${reason}`);
      for (const probe of [probes.activeWindow, probes.idleTime]) if (probe.ok) probe.port.close();
      stoppedInfo = { at: clock.now(), reason };
      writeStatus();
      clock.clearTimeout(statusTimer);
      statusTimer = null;
      await page?.close();
      outbox?.close();
      log.log('info', 'agent stopped', { reason, detail });
      emit('stopped', { reason });
    })();
    return stopping;
  }

  const events: AgentEvents = {
    on: (name, listener) => {
      emitter.on(name, listener as (payload: unknown) => void);
    },
    off: (name, listener) => {
      emitter.off(name, listener as (payload: unknown) => void);
    },
    waitFor: (name, predicate, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          emitter.off(name, listener);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for agent event "${name}"`));
        }, timeoutMs);
        const listener = (payload: AgentEventMap[typeof name]) => {
          if (predicate && !predicate(payload)) return;
          clearTimeout(timer);
          emitter.off(name, listener);
          resolve(payload);
        };
        emitter.on(name, listener);
      }),
  };

  return {
    events,
    start,
    stop,
    captureNow: () => screenshot.captureNow(null),
    status,
    async whenAcked(seq, timeoutMs = 30_000) {
      if (!transport) throw new Error('agent not started');
      if (!(await transport.waitForAck(seq, timeoutMs)))
        throw new Error(`seq ${seq} not acknowledged within ${timeoutMs} ms`);
    },
    get pageUrl() {
      return page?.url ?? null;
    },
    get outbox() {
      return { lastSeq: outbox?.lastSeq ?? 0, ackedSeq: outbox?.ackedSeq ?? 0, depth: outbox?.depth ?? 0 };
    },
  };
}
