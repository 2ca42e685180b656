/**
 * The agent's five collectors under one supervisor: built from the probed
 * ports, started and stopped together, each one's status reported, and
 * every collector failure turned into a rate-limited agent_error event
 * (collectors fail alone; the server learns of it as data).
 *
 * A collector that cannot work at all here (no display, a Wayland session,
 * no encoder, no network interfaces) is "unavailable" with its reason in
 * `status` and on the local page, and the server gets one agent_error saying
 * so each time collection starts (issue #12: honest collectors, not only
 * devices, which reports its own gaps).
 */
import { type Event, MAX_STRING_LENGTHS, type Policy, sanitizeText } from '@seatwatch/shared';
import type { Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';
import type { ActiveWindowPort } from './activity/active-window.port.js';
import { createActivityCollector } from './activity/activity.collector.js';
import type { Collector, CollectorContext, CollectorStatus } from './collector.js';
import { createDevicesCollector, type DeviceMemory } from './devices/devices.collector.js';
import type { DevicesPort } from './devices/devices.port.js';
import { createIdleCollector } from './idle/idle.collector.js';
import type { IdleTimePort } from './idle/idle-time.port.js';
import { createNetworkCollector, type NetworkCollector } from './network/network.collector.js';
import type { NetworkPort } from './network/network.port.js';
import { errorMessage, type Probe } from './probe.js';
import type { ImageEncoderPort, ScreenCapturePort } from './screenshot/screen-capture.port.js';
import {
  type CaptureResult,
  createScreenshotCollector,
  type ScreenshotHooks,
} from './screenshot/screenshot.collector.js';

/** One probed adapter per capability (select-adapters.ts in the agent, fakes in tests). */
export interface CollectorProbes {
  readonly activeWindow: Probe<ActiveWindowPort>;
  readonly idleTime: Probe<IdleTimePort>;
  readonly screen: Probe<ScreenCapturePort>;
  readonly encoder: Probe<ImageEncoderPort>;
  readonly devices: Probe<DevicesPort>;
  readonly network: Probe<NetworkPort>;
}

/** The same failure is reported again at most this often; the log still gets every one. */
const ERROR_REPEAT_MS = 10 * 60_000;

export interface CollectorSupervisorOptions {
  readonly clock: Clock;
  readonly random: () => number;
  readonly log: Logger;
  readonly probes: CollectorProbes;
  readonly deviceMemory: DeviceMemory;
  policy(): Readonly<Policy>;
  queue(event: Event): void;
  readonly screenshot: Pick<ScreenshotHooks, 'onImage' | 'onCaptureDone'>;
}

export interface CollectorSupervisor {
  /** Read before the first hello, and for every hello after. */
  readonly network: NetworkCollector;
  /** A screenshot of every monitor now (capture_now, or a test), in turn with the scheduled ones. */
  captureNow(commandId: string | null): Promise<CaptureResult>;
  readonly running: boolean;
  start(): void;
  /** Each collector flushes what it holds (an open span, say) and stops. */
  stop(): void;
  /** After a new policy: the next screenshot follows a new interval instead of the one already scheduled. */
  policyReplaced(previous: Readonly<Policy>): void;
  /** Each collector's status, or `pausedBecause` for all of them when collection is held back. */
  statuses(pausedBecause: string | null): Record<string, CollectorStatus>;
  /** Ends the helper processes behind the ports (at agent stop). */
  closePorts(): void;
}

export function superviseCollectors(options: CollectorSupervisorOptions): CollectorSupervisor {
  const { clock, log, probes } = options;
  const errorsSeen = new Map<string, number>();

  const reportError = (collector: string, error: unknown) => {
    const message = sanitizeText(errorMessage(error), MAX_STRING_LENGTHS.message);
    const key = `${collector}\n${message}`;
    const last = errorsSeen.get(key);
    const now = clock.now();
    log.log('warn', 'collector failed', { collector, error: message });
    if (last !== undefined && now - last < ERROR_REPEAT_MS) return;
    errorsSeen.set(key, now);
    options.queue({ type: 'agent_error', time: now, collector, message });
  };

  const ctx: CollectorContext = {
    clock,
    random: options.random,
    log,
    policy: options.policy,
    emit: (event) => options.queue(event),
    reportError,
  };

  const activity = createActivityCollector(ctx, probes.activeWindow);
  const idle = createIdleCollector(ctx, probes.idleTime);
  const network = createNetworkCollector(ctx, probes.network);
  const devices = createDevicesCollector(ctx, probes.devices, options.deviceMemory);
  const screenshot = createScreenshotCollector(ctx, probes.screen, probes.encoder, {
    activeWindow: () => activity.currentWindow(),
    readForeground: () => activity.readNow(),
    presence: () => idle.presence(),
    ...options.screenshot,
  });
  const all: Collector[] = [network, activity, idle, devices, screenshot];
  let running = false;

  return {
    network,
    captureNow: (commandId) => screenshot.captureNow(commandId),
    get running() {
      return running;
    },
    start() {
      if (running) return;
      running = true;
      for (const c of all) c.start();
      for (const c of all) {
        if (c === devices) continue;
        const status = c.status();
        if (status.state === 'unavailable') reportError(c.name, new Error(`unavailable: ${status.detail}`));
      }
    },
    stop() {
      if (!running) return;
      running = false;
      for (const c of all) c.stop();
    },
    policyReplaced(previous) {
      const policy = options.policy();
      if (
        running &&
        (previous.screenshotIntervalMs !== policy.screenshotIntervalMs ||
          previous.screenshotJitter !== policy.screenshotJitter)
      ) {
        screenshot.stop();
        screenshot.start();
      }
    },
    statuses(pausedBecause) {
      const statuses: Record<string, CollectorStatus> = {};
      for (const c of all)
        statuses[c.name] = pausedBecause ? { state: 'paused', detail: pausedBecause } : c.status();
      return statuses;
    },
    closePorts() {
      for (const probe of [probes.activeWindow, probes.idleTime]) if (probe.ok) probe.port.close();
    },
  };
}
