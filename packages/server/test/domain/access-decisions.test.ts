/** Pure access decisions: client IP behind proxies, the allowlist, CIDR spelling, token usability. */
import { describe, expect, it } from 'vitest';
import { applicableRanges, decideIp, normalizeCidr } from '../../src/domain/allowlist.js';
import { cidrMatcher, clientIp, normalizeIp } from '../../src/domain/client-ip.js';
import { decideToken } from '../../src/domain/enrollment.js';

describe('clientIp', () => {
  const trusted = cidrMatcher(['127.0.0.1', '10.0.0.0/8']);

  it('is the peer address when the peer is not a trusted proxy, whatever X-Forwarded-For says', () => {
    expect(clientIp('192.0.2.5', '10.1.1.1', trusted)).toBe('192.0.2.5');
    expect(clientIp('::ffff:192.0.2.5', undefined, trusted)).toBe('192.0.2.5');
  });

  it('walks X-Forwarded-For from the right past trusted proxies', () => {
    expect(clientIp('127.0.0.1', '198.51.100.1, 203.0.113.7', trusted)).toBe('203.0.113.7');
    expect(clientIp('127.0.0.1', '198.51.100.1, 203.0.113.7, 10.2.2.2', trusted)).toBe('203.0.113.7');
    expect(clientIp('127.0.0.1', '10.3.3.3, 10.2.2.2', trusted)).toBe('10.3.3.3');
  });

  it('answers with the last trusted hop when the header holds garbage', () => {
    expect(clientIp('127.0.0.1', 'not-an-ip', trusted)).toBe('127.0.0.1');
    expect(clientIp('127.0.0.1', 'x, 10.2.2.2', trusted)).toBe('10.2.2.2');
  });

  it('normalises addresses', () => {
    expect(normalizeIp('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeIp('2001:DB8:0:0::1')).toBe('2001:db8::1');
    expect(normalizeIp('999.1.1.1')).toBeNull();
  });
});

describe('decideIp', () => {
  const ranges = [
    { cidr: '127.0.0.1/32', siteId: null },
    { cidr: '2001:db8::/32', siteId: null },
    { cidr: '10.20.0.0/16', siteId: 'site-a' },
  ];

  it('allows what a range covers, in IPv4 and IPv6, and refuses the rest', () => {
    expect(decideIp('127.0.0.1', ranges)).toEqual({ allowed: true, matched: '127.0.0.1/32' });
    expect(decideIp('::ffff:127.0.0.1', ranges)).toEqual({ allowed: true, matched: '127.0.0.1/32' });
    expect(decideIp('2001:db8:1::9', ranges)).toEqual({ allowed: true, matched: '2001:db8::/32' });
    expect(decideIp('127.0.0.2', ranges)).toEqual({ allowed: false, reason: 'ip_not_allowed' });
    expect(decideIp('garbage', ranges)).toEqual({ allowed: false, reason: 'ip_invalid' });
  });

  it('applies project entries everywhere and site entries only to that site', () => {
    expect(decideIp('10.20.3.4', applicableRanges(ranges, 'site-a')).allowed).toBe(true);
    expect(decideIp('10.20.3.4', applicableRanges(ranges, 'site-b')).allowed).toBe(false);
    expect(decideIp('10.20.3.4', applicableRanges(ranges, null)).allowed).toBe(false);
  });

  it('is open when no entry applies', () => {
    expect(decideIp('203.0.113.1', [])).toEqual({ allowed: true, matched: null });
  });
});

describe('normalizeCidr', () => {
  it('stores the network address and prefix', () => {
    expect(normalizeCidr('10.1.2.3/8')).toBe('10.0.0.0/8');
    expect(normalizeCidr(' 192.0.2.7 ')).toBe('192.0.2.7/32');
    expect(normalizeCidr('2001:db8::1/32')).toBe('2001:db8::/32');
    expect(normalizeCidr('::ffff:10.0.0.1/128')).toBe('10.0.0.1/32');
    expect(normalizeCidr('10.0.0.0/33')).toBeNull();
    expect(normalizeCidr('example.com')).toBeNull();
  });
});

describe('decideToken', () => {
  const token = { revokedAt: null, expiresAt: 2000, uses: 0, maxUses: 1 };
  it('is usable until revoked, expired or used up', () => {
    expect(decideToken(token, 1000)).toEqual({ usable: true });
    expect(decideToken({ ...token, revokedAt: 500 }, 1000)).toEqual({ usable: false, why: 'revoked' });
    expect(decideToken(token, 2000)).toEqual({ usable: false, why: 'expired' });
    expect(decideToken({ ...token, uses: 1 }, 1000)).toEqual({ usable: false, why: 'used_up' });
  });
});
