/**
 * The IP allowlist decision. A project's entries cover all its seats; a
 * site's entries add to them for that site's seats. A project with no
 * entries at all is open (so a first enrollment works before anyone wrote
 * a list); docs/server.md says so, and the CLI shows it.
 */
import ipaddr from 'ipaddr.js';
import { normalizeIp } from './client-ip.js';

export interface AllowlistRange {
  cidr: string;
  siteId: string | null;
}

export type IpDecision =
  | { allowed: true; matched: string | null }
  | { allowed: false; reason: 'ip_not_allowed' | 'ip_invalid' };

/** Entries that apply to a seat on `siteId` (null: no site). */
export function applicableRanges<T extends AllowlistRange>(
  entries: readonly T[],
  siteId: string | null,
): T[] {
  return entries.filter((entry) => entry.siteId === null || entry.siteId === siteId);
}

export function decideIp(ip: string, ranges: readonly AllowlistRange[]): IpDecision {
  if (ranges.length === 0) return { allowed: true, matched: null };
  const normal = normalizeIp(ip);
  if (normal === null) return { allowed: false, reason: 'ip_invalid' };
  const address = ipaddr.parse(normal);
  for (const range of ranges) {
    const [network, bits] = ipaddr.parseCIDR(range.cidr);
    if (address.kind() === network.kind() && address.match(network, bits)) {
      return { allowed: true, matched: range.cidr };
    }
  }
  return { allowed: false, reason: 'ip_not_allowed' };
}

/**
 * The stored spelling of a CIDR: the network address and prefix length
 * ("10.1.2.3/8" -> "10.0.0.0/8", "192.0.2.7" -> "192.0.2.7/32",
 * "::ffff:10.0.0.1/128" -> "10.0.0.1/32"). Null when it is not an IP or CIDR.
 */
export function normalizeCidr(text: string): string | null {
  const trimmed = text.trim();
  try {
    if (!trimmed.includes('/')) {
      const address = normalizeIp(trimmed);
      if (address === null) return null;
      return `${address}/${ipaddr.parse(address).kind() === 'ipv4' ? 32 : 128}`;
    }
    let [address, bits] = ipaddr.parseCIDR(trimmed);
    if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      address = (address as ipaddr.IPv6).toIPv4Address();
      bits -= 96;
    }
    const network =
      address.kind() === 'ipv4'
        ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${bits}`)
        : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${bits}`);
    return `${network.toString()}/${bits}`;
  } catch {
    return null;
  }
}
