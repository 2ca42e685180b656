/**
 * createAgent(deps): the seat agent with everything it touches passed in
 * (collector ports, clock, randomness, socket factory, notifier, state
 * folder), so a test can drive it and await what it does. main.ts builds the
 * real dependencies; nothing here reads the environment.
 *
 * This file only composes the parts, one folder each: the consent gate
 * (notice/notice-gate.ts), events into the outbox (outbox/event-batcher.ts),
 * the connection to the server (transport/server-session.ts), the collectors
 * under their supervisor (collectors/collector-supervisor.ts), the server's
 * commands (commands/server-commands.ts) and what the agent tells about
 * itself (status/, notice/transparency-page.ts).
 *
 * Order at start: the outbox opens, "starting" is recorded, the connection
 * opens; when the notice in force has not been shown with the policy's
 * collection terms, the agent waits for the server's `welcome` (which
 * carries the current policy, up to `welcomeWaitMs`, else the newest policy
 * it knows) and shows the notice from that (its acknowledgement queued); only
 * then do the collectors start. Nothing is captured before the notice is
 * shown, and a policy change that changes what is collected pauses the
 * collectors until the notice has been shown again (issue #12).
 */
import {
  type Ed25519Signer,
  type Ed25519Verifier,
  type LifecycleEvent,
  MAX_STRING_LENGTHS,
  type Notice,
  type Policy,
  sanitizeText,
} from '@seatwatch/shared';
import { createNodeCryptoVerifier, nodeCryptoSigner, sha256Hex } from '@seatwatch/shared/node-crypto';
import { type CollectorProbes, superviseCollectors } from './collectors/collector-supervisor.js';
import { stateFileDeviceMemory } from './collectors/devices/device-memory.state-file.js';
import { errorMessage } from './collectors/probe.js';
import type { CaptureResult } from './collectors/screenshot/screenshot.collector.js';
import { createCommandHandler } from './commands/server-commands.js';
import { checkServerUrl } from './core/server-url.js';
import { type LoadedIdentity, StateError } from './identity/identity-store.js';
import { liveIdentity } from './identity/live-identity.js';
import type { DesktopNotifier } from './notice/desktop-notification.port.js';
import { keepLastScreenshot } from './notice/last-screenshot.js';
import type { ConfirmedVia, NoticeChannel } from './notice/notice-channel.port.js';
import { createNoticeGate } from './notice/notice-gate.js';
import type { ShownVia } from './notice/notice-state.js';
import { requestSelfViewLink } from './notice/self-view-link.js';
import { startTransparencyPage, type TransparencyPage } from './notice/transparency-page.js';
import { createEventBatcher, type EventBatcher, type Queued } from './outbox/event-batcher.js';
import { openStateOutbox } from './outbox/open-state-outbox.js';
import type { Outbox } from './outbox/outbox.js';
import { type Clock, systemClock, type TimerHandle } from './runtime/clock.js';
import { type Logger, silentLogger } from './runtime/logger.js';
import { createTypedEvents, type TypedEvents } from './runtime/typed-events.js';
import { type AgentStatus, createStatusFileWriter } from './status/agent-status.js';
import { helloInfo } from './transport/hello-info.js';
import { NO_CONNECTION, type ServerSession, startServerSession } from './transport/server-session.js';
import type { Disconnect, TransportOptions } from './transport/transport.js';
import { AGENT_VERSION } from './version.js';

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
  /** Where the operator sees and confirms the notice: a desktop dialog, the terminal prompt (notice/). */
  readonly noticeChannels?: readonly NoticeChannel[];
  /** Why there is no dialog (no desktop session, no program), reported when nothing can show the notice. */
  readonly noDialogReason?: string | null;
  /** The local transparency page: port (0 = any free one), or null for none. */
  readonly page?: { readonly port: number } | null;
  readonly createSocket?: TransportOptions['createSocket'];
  readonly backoff?: TransportOptions['backoff'];
  readonly livenessMs?: TransportOptions['livenessMs'];
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
  /**
   * The machine service of a shared computer (issue #14, machine-service/):
   * no notice of its own (each session part shows it to its operator and the
   * service takes nothing of a session before that), and every event goes
   * through `wrapBatcher`, which names the OS account of what follows.
   */
  readonly machine?: {
    wrapBatcher(batcher: EventBatcher): EventBatcher;
    /** capture_now: the screens are the sessions', so the service has each session part capture its own. */
    captureNow?(commandId: string): Promise<CaptureResult>;
  } | null;
  /**
   * When the notice must be shown at start, how long to wait for the
   * server's welcome (its current policy) before showing it from the newest
   * policy saved here. Default 10 s.
   */
  readonly welcomeWaitMs?: number;
}

export type StopReason = LifecycleEvent['reason'];

export interface AgentEventMap {
  connected: { session: string; ackedSeq: number };
  disconnected: Disconnect;
  acked: { seq: number };
  queued: Queued;
  notice_shown: { version: number; shownVia: readonly ShownVia[]; confirmedVia: ConfirmedVia };
  capture_done: CaptureResult;
  refused: { reason: string };
  policy: { policy: Policy; notice: Notice };
  revoked: Record<string, never>;
  stopped: { reason: StopReason };
}

export type AgentEvents = TypedEvents<AgentEventMap>;

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

export function createAgent(deps: AgentDeps): Agent {
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;
  const log = deps.log ?? silentLogger;
  const agentVersion = deps.agentVersion ?? AGENT_VERSION;
  const deliverOnly = deps.mode === 'deliver-only';
  /** This process shows the notice and collects only after it (not unenroll's delivery, not the machine service). */
  const noticeGated = !deliverOnly && !deps.machine;
  const signer = deps.signer ?? nodeCryptoSigner(deps.identity.secretKey);
  const { events, emit } = createTypedEvents<AgentEventMap>('agent');
  const identity = liveIdentity(deps.stateDir, deps.identity.identity);
  const startedAt = clock.now();
  let outbox: Outbox | null = null;
  let session: ServerSession | null = null;
  let page: TransparencyPage | null = null;
  let stopping: Promise<void> | null = null;
  let stoppedInfo: { at: number; reason: string } | null = null;
  let droppedSinceStart = 0;
  /** True while start() waits for the welcome to show the first notice from; it shows it then. */
  let awaitingWelcome = false;
  let welcomed: () => void = () => {};

  const statusFile = createStatusFileWriter(deps.stateDir, clock, log, status);
  const unwrapped = createEventBatcher({
    clock,
    flushDelayMs: deps.flushDelayMs ?? 1000,
    outbox: () => outbox,
    onQueued: (queued) => emit('queued', queued),
    onFlushed: () => {
      session?.pump();
      statusFile.schedule();
    },
  });
  const batcher = deps.machine ? deps.machine.wrapBatcher(unwrapped) : unwrapped;
  const lastScreenshot = keepLastScreenshot(deps.stateDir, log);
  const collectors = superviseCollectors({
    clock,
    random,
    log,
    probes: deps.collectors,
    deviceMemory: stateFileDeviceMemory(deps.stateDir),
    policy: () => identity.current.policy,
    queue: (event) => batcher.queue(event),
    screenshot: {
      onImage: (image, event) => {
        if (batcher.appendBlob(image, event) === null) return;
        lastScreenshot.keep(image, event);
        session?.pump();
      },
      onCaptureDone: (result) => {
        log.log('info', 'screenshot attempt', {
          trigger: result.trigger,
          outcomes: result.events.map((e) => e.outcome),
          durationMs: Math.round(result.durationMs),
        });
        statusFile.schedule();
        // After the capture's own frames are out of scope.
        if (deps.releaseMemory) setImmediate(deps.releaseMemory);
        emit('capture_done', result);
      },
    },
  });
  const notice = createNoticeGate({
    stateDir: deps.stateDir,
    osUser: deps.osUser,
    clock,
    log,
    terminal: deps.terminal ?? null,
    channels: deps.noticeChannels ?? [],
    noDialogReason: deps.noDialogReason ?? null,
    desktopNotifier: deps.desktopNotifier ?? null,
    notice: () => identity.current.notice,
    policy: () => identity.current.policy,
    pageUrl: () => page?.url ?? null,
    queue: (event, urgent) => batcher.queue(event, urgent),
    onConfirmed: (shown) => {
      emit('notice_shown', shown);
      startCollectors();
      // Rare and what the operator just did: status shows it at once, not at the next tick.
      statusFile.writeNow();
    },
    stopping: () => stopping !== null,
  });

  function startCollectors(): void {
    if (collectors.running || stopping || identity.current.revoked || deliverOnly) return;
    if (noticeGated && !notice.isCurrent()) return;
    collectors.start();
    statusFile.schedule();
  }

  /** New policy and notice (welcome or policy command): saved, applied now, notice re-shown if its version changed. */
  async function applyPolicy(policy: Policy, newNotice: Notice): Promise<void> {
    const previous = identity.replacePolicy(policy, newNotice);
    if (!previous) return;
    outbox?.setMaxBytes(policy.outboxMaxBytes);
    log.log('info', 'policy applied', { noticeVersion: newNotice.version });
    if (noticeGated && !notice.isCurrent()) {
      // What is collected changes: collection pauses until the operator has
      // been shown the new terms (never collects under terms not shown, nor
      // under old ones the administrator replaced, e.g. a shorter privacy list).
      collectors.stop();
      if (!awaitingWelcome) notice.request();
    } else {
      collectors.policyReplaced(previous);
    }
    emit('policy', { policy, notice: newNotice });
    statusFile.schedule();
  }

  function markRevoked(): void {
    if (!identity.revoke()) return;
    collectors.stop();
    log.log('warn', 'this agent was revoked; it stops collecting');
    emit('revoked', {});
  }

  const onCommand = createCommandHandler({
    clock,
    log,
    queue: (event, urgent) => batcher.queue(event, urgent),
    collecting: () => collectors.running,
    captureNow: (commandId) => deps.machine?.captureNow?.(commandId) ?? collectors.captureNow(commandId),
    applyPolicy,
    revoke: markRevoked,
  });

  function status(): AgentStatus {
    const { current } = identity;
    const noticePending = noticeGated && !notice.isCurrent() && !stoppedInfo;
    const collectorStatus = collectors.statuses(
      noticePending ? 'waiting until the operator has confirmed the monitoring notice' : null,
    );
    const noticeShown = notice.shown();
    const paused = Object.entries(collectorStatus)
      .filter(([, s]) => s.state === 'paused' || s.state === 'unavailable')
      .map(([name, s]) => `${name}: ${s.detail}`);
    if (noticePending && noticeShown.problem) paused.push(`notice: ${noticeShown.problem}`);
    const deliveryProblem = session?.deliveryProblem();
    if (deliveryProblem) paused.push(`delivery: ${deliveryProblem}`);
    return {
      version: 1,
      pid: process.pid,
      agentVersion,
      startedAt,
      updatedAt: clock.now(),
      agentId: current.agentId,
      seat: current.seat,
      server: current.serverUrl,
      connection: session?.connection() ?? NO_CONNECTION,
      outbox: {
        depth: outbox?.depth ?? 0,
        bytes: outbox?.bytes ?? 0,
        lastSeq: outbox?.lastSeq ?? 0,
        ackedSeq: outbox?.ackedSeq ?? 0,
        lastAckAt: session?.lastAckAt ?? null,
        droppedSinceStart,
      },
      notice: { version: current.notice.version, ...noticeShown },
      collectors: collectorStatus,
      paused,
      lastScreenshot: lastScreenshot.summary(),
      pageUrl: page?.url ?? null,
      policy: current.policy,
      stopped: stoppedInfo,
    };
  }

  const lifecycle = (phase: 'starting' | 'stopping', reason: StopReason, detail: string): LifecycleEvent => ({
    type: 'lifecycle',
    time: clock.now(),
    phase,
    reason,
    detail: sanitizeText(detail, MAX_STRING_LENGTHS.reason),
    agentVersion,
  });

  async function start(): Promise<void> {
    const { current } = identity;
    if (current.revoked) {
      throw new StateError(
        'this agent was revoked by an administrator; run "seatwatch-agent unenroll" and enroll the seat again',
      );
    }
    const endpoints = checkServerUrl(current.serverUrl, current.insecure);
    if (!endpoints.ok) throw new StateError(`the stored server URL is refused: ${endpoints.reason}`);
    outbox = openStateOutbox(deps.stateDir, current.policy.outboxMaxBytes, clock, log, (count) => {
      droppedSinceStart += count;
    });
    if (deps.page && !deliverOnly) {
      try {
        page = await startTransparencyPage(deps.stateDir, deps.page.port, {
          status,
          notice: () => identity.current.notice,
          lastScreenshot: lastScreenshot.image,
          confirmNotice: () => {
            const confirmed = notice.confirmFromPage();
            if (confirmed) statusFile.schedule();
            return confirmed;
          },
          selfViewLink: () => requestSelfViewLink(current.serverUrl, current.agentId, signer),
        });
      } catch (error) {
        log.log('warn', 'the local transparency page could not start', { error: errorMessage(error) });
      }
    }
    batcher.queue(lifecycle('starting', 'start', `pid ${process.pid}`), true);
    awaitingWelcome = noticeGated && !notice.isCurrent();
    const welcome = new Promise<void>((resolve) => {
      welcomed = resolve;
    });
    await collectors.network.refresh();
    session = startServerSession({
      url: endpoints.endpoints.ws,
      agentId: current.agentId,
      signer,
      serverPublicKey: deps.identity.serverPublicKey,
      verifier: deps.verifier ?? createNodeCryptoVerifier(16),
      sha256Hex,
      queue: outbox,
      helloInfo: () =>
        helloInfo({
          network: collectors.network.current(),
          osUser: deps.osUser,
          agentVersion,
          noticeVersion: notice.shownVersion(),
          seat: identity.current.seat,
        }),
      clock,
      random,
      log,
      ...(deps.createSocket ? { createSocket: deps.createSocket } : {}),
      ...(deps.backoff ? { backoff: deps.backoff } : {}),
      ...(deps.livenessMs ? { livenessMs: deps.livenessMs } : {}),
      onWelcome: (welcome) => {
        const applied = applyPolicy(welcome.policy, welcome.notice);
        // The policy is saved synchronously inside applyPolicy: start() may show the notice now.
        welcomed();
        applied
          .catch((error) => log.log('error', 'could not apply the policy', { error: errorMessage(error) }))
          .finally(() => emit('connected', { session: welcome.session, ackedSeq: welcome.ackedSeq }));
        statusFile.schedule();
      },
      onCommand,
      onAcked: (seq) => {
        statusFile.schedule();
        emit('acked', { seq });
      },
      onDisconnected: (info) => {
        statusFile.schedule();
        emit('disconnected', info);
      },
      onRefused: (reason) => emit('refused', { reason }),
      onRevoked: markRevoked,
    });
    if (awaitingWelcome) {
      let timer: TimerHandle | null = null;
      const waited = new Promise<void>((resolve) => {
        timer = clock.setTimeout(resolve, deps.welcomeWaitMs ?? 10_000);
      });
      await Promise.race([welcome, waited]);
      clock.clearTimeout(timer);
      awaitingWelcome = false;
      if (!stopping && !identity.current.revoked) notice.request();
    }
    startCollectors();
    statusFile.writeNow();
  }

  function stop(reason: StopReason, detail = ''): Promise<void> {
    stopping ??= (async () => {
      notice.close();
      collectors.stop();
      let seq: number | null = null;
      if (outbox) {
        batcher.queue(lifecycle('stopping', reason, detail), false);
        seq = batcher.flush();
      }
      await session?.close(seq, deps.stopAckTimeoutMs ?? 3000, `agent stopping: ${reason}`);
      collectors.closePorts();
      stoppedInfo = { at: clock.now(), reason };
      statusFile.writeNow();
      statusFile.cancel();
      await page?.close();
      outbox?.close();
      log.log('info', 'agent stopped', { reason, detail });
      emit('stopped', { reason });
    })();
    return stopping;
  }

  return {
    events,
    start,
    stop,
    captureNow: () => collectors.captureNow(null),
    status,
    async whenAcked(seq, timeoutMs = 30_000) {
      if (!session) throw new Error('agent not started');
      if (!(await session.waitForAck(seq, timeoutMs)))
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
