/**
 * Which address a connection comes from. The socket's peer address, unless
 * that peer is a proxy the operator trusts: then X-Forwarded-For is walked
 * from the right (the hop the trusted proxy itself saw) past further trusted
 * proxies to the first address that is not one.
 */
import ipaddr from 'ipaddr.js';

export type IpPredicate = (ip: string) => boolean;

/** Canonical text of an address (IPv4-mapped IPv6 becomes IPv4, zone ids dropped), or null. */
export function normalizeIp(text: string): string | null {
  const bare = text.trim().replace(/%.*$/, '');
  if (!ipaddr.isValid(bare)) return null;
  return ipaddr.process(bare).toString();
}

/** A predicate that is true for addresses inside any of the given IPs/CIDRs. */
export function cidrMatcher(list: readonly string[]): IpPredicate {
  const ranges = list.map((entry) => {
    const cidr = entry.includes('/') ? entry : `${entry}/${ipaddr.parse(entry).kind() === 'ipv4' ? 32 : 128}`;
    return ipaddr.parseCIDR(cidr);
  });
  return (ip) => {
    const normal = normalizeIp(ip);
    if (normal === null) return false;
    const address = ipaddr.parse(normal);
    return ranges.some(
      ([network, bits]) => address.kind() === network.kind() && address.match(network, bits),
    );
  };
}

export function clientIp(
  peer: string,
  forwardedFor: string | undefined,
  isTrustedProxy: IpPredicate,
): string {
  let current = normalizeIp(peer) ?? peer;
  if (!forwardedFor || !isTrustedProxy(current)) return current;
  const hops = forwardedFor.split(',').reverse();
  for (const hop of hops) {
    const address = normalizeIp(hop);
    // A trusted proxy that forwards garbage is answered with its own address, not with the garbage.
    if (address === null) return current;
    current = address;
    if (!isTrustedProxy(current)) return current;
  }
  return current;
}
