/**
 * CIDR check as the administrator types (ipaddr.js, the same library the
 * server validates and normalises with, so both agree). A bare address
 * means a single host.
 */
import ipaddr from 'ipaddr.js';
import type { MessageKey } from '../i18n/translate.js';

export function cidrProblem(input: string): MessageKey | null {
  const parts = input.trim().split('/');
  const [address = '', prefix] = parts;
  if (parts.length > 2 || !ipaddr.isValid(address)) return 'access.cidrInvalid';
  if (prefix === undefined) return null;
  if (!/^\d{1,3}$/.test(prefix)) return 'access.cidrInvalid';
  try {
    ipaddr.parseCIDR(`${address}/${prefix}`);
    return null;
  } catch {
    return 'access.cidrPrefix';
  }
}
