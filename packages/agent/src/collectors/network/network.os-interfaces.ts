/**
 * Hostname, OS user and local addresses from node:os (no program launched),
 * and the default gateway from systeminformation (`ip route` on Linux,
 * `route`/`netstat` elsewhere), asked at most once a minute unless the
 * addresses changed.
 */
import os from 'node:os';
import { available, errorMessage, type Probe, unavailable } from '../probe.js';
import type { NetworkInfo, NetworkPort } from './network.port.js';

const GATEWAY_TTL_MS = 60_000;

export function localAddresses(interfaces = os.networkInterfaces()): string[] {
  const out: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const address of list ?? []) {
      if (!address.internal && !(address.family === 'IPv6' && address.address.startsWith('fe80:')))
        out.push(address.address);
    }
  }
  return out.sort().slice(0, 64);
}

export async function createOsInterfacesNetwork(now: () => number = Date.now): Promise<Probe<NetworkPort>> {
  let gatewayOf: () => Promise<string>;
  try {
    const si = (await import('systeminformation')).default;
    gatewayOf = () => si.networkGatewayDefault();
  } catch (error) {
    return unavailable(`systeminformation cannot load: ${errorMessage(error)}`);
  }
  let gateway: { value: string | null; at: number; ips: string } | null = null;
  return available({
    name: 'os-interfaces',
    async read(): Promise<NetworkInfo> {
      const localIps = localAddresses();
      const key = localIps.join(',');
      if (!gateway || gateway.ips !== key || now() - gateway.at > GATEWAY_TTL_MS) {
        const value = await gatewayOf().catch(() => '');
        gateway = { value: value || null, at: now(), ips: key };
      }
      return { hostname: os.hostname(), osUser: os.userInfo().username, localIps, gateway: gateway.value };
    },
  });
}
