/**
 * Hostname, OS user, local IPs and default gateway: sent at start and on
 * every change (checked every 10 s), and handed to every hello.
 */
import { MAX_STRING_LENGTHS, sanitizeText } from '@seatwatch/shared';
import type { Collector, CollectorContext } from '../collector.js';
import { pollPort, READ_FAILED } from '../port-poller.js';
import type { Probe } from '../probe.js';
import type { NetworkInfo, NetworkPort } from './network.port.js';

const CHECK_EVERY_MS = 10_000;

export interface NetworkCollector extends Collector {
  current(): NetworkInfo | null;
  /** Reads once now (before the first hello). */
  refresh(): Promise<NetworkInfo | null>;
}

export function createNetworkCollector(ctx: CollectorContext, probe: Probe<NetworkPort>): NetworkCollector {
  const poller = pollPort(ctx, 'network', probe);
  let current: NetworkInfo | null = null;
  let sent: string | null = null;

  const refresh = async () => {
    const info = await poller.read((port) => port.read(), 10_000, 'network info');
    if (info !== READ_FAILED) {
      current = {
        hostname: sanitizeText(info.hostname, MAX_STRING_LENGTHS.hostname),
        osUser: sanitizeText(info.osUser, MAX_STRING_LENGTHS.osUser),
        localIps: info.localIps.slice(0, 64).map((ip) => sanitizeText(ip, MAX_STRING_LENGTHS.ip)),
        gateway: info.gateway === null ? null : sanitizeText(info.gateway, MAX_STRING_LENGTHS.ip),
      };
    }
    return current;
  };

  const tick = async () => {
    const info = await refresh();
    if (!info || !poller.running) return;
    const key = JSON.stringify(info);
    if (key === sent) return;
    sent = key;
    ctx.emit({ type: 'network', time: ctx.clock.now(), ...info, localIps: [...info.localIps] });
  };

  return {
    name: 'network',
    start() {
      if (poller.running) return;
      sent = null;
      poller.start(() => CHECK_EVERY_MS, tick);
    },
    stop: () => poller.stop(),
    status: () =>
      poller.status(
        () => 'hostname, OS user, local IP addresses and default gateway, at start and on change',
      ),
    current: () => current,
    refresh,
  };
}
