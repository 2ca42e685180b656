/**
 * Hostname, OS user, local IPs and default gateway: sent at start and on
 * every change (checked every 10 s), and handed to every hello.
 */
import { MAX_STRING_LENGTHS, sanitizeText } from '@seatwatch/shared';
import { type Loop, startLoop } from '../../runtime/loop.js';
import type { Collector, CollectorContext, CollectorStatus } from '../collector.js';
import { type Probe, withTimeout } from '../probe.js';
import type { NetworkInfo, NetworkPort } from './network.port.js';

const CHECK_EVERY_MS = 10_000;

export interface NetworkCollector extends Collector {
  current(): NetworkInfo | null;
  /** Reads once now (before the first hello). */
  refresh(): Promise<NetworkInfo | null>;
}

export function createNetworkCollector(ctx: CollectorContext, probe: Probe<NetworkPort>): NetworkCollector {
  let loop: Loop | null = null;
  let current: NetworkInfo | null = null;
  let sent: string | null = null;
  let failing: string | null = null;

  const refresh = async () => {
    if (!probe.ok) return null;
    try {
      const info = await withTimeout(probe.port.read(), 10_000, 'network info');
      current = {
        hostname: sanitizeText(info.hostname, MAX_STRING_LENGTHS.hostname),
        osUser: sanitizeText(info.osUser, MAX_STRING_LENGTHS.osUser),
        localIps: info.localIps.slice(0, 64).map((ip) => sanitizeText(ip, MAX_STRING_LENGTHS.ip)),
        gateway: info.gateway === null ? null : sanitizeText(info.gateway, MAX_STRING_LENGTHS.ip),
      };
      failing = null;
    } catch (error) {
      failing = error instanceof Error ? error.message : String(error);
      ctx.reportError('network', error);
    }
    return current;
  };

  const tick = async () => {
    const info = await refresh();
    if (!info || !loop) return;
    const key = JSON.stringify(info);
    if (key === sent) return;
    sent = key;
    ctx.emit({ type: 'network', time: ctx.clock.now(), ...info, localIps: [...info.localIps] });
  };

  return {
    name: 'network',
    start() {
      if (loop || !probe.ok) return;
      sent = null;
      loop = startLoop(ctx.clock, () => CHECK_EVERY_MS, tick);
    },
    stop() {
      loop?.stop();
      loop = null;
    },
    status(): CollectorStatus {
      if (!probe.ok) return { state: 'unavailable', detail: probe.reason };
      if (!loop) return { state: 'stopped', detail: 'not collecting' };
      if (failing) return { state: 'unavailable', detail: `failing: ${failing}` };
      return {
        state: 'running',
        detail: 'hostname, OS user, local IP addresses and default gateway, at start and on change',
      };
    },
    current: () => current,
    refresh,
  };
}
