/** ip_not_allowed: an enrollment or a hello from an address outside the project's allowlist. */
import Type from 'typebox';
import type { AnomalyCandidate } from './anomaly.js';
import { normalizeIp } from './client-ip.js';
import { defineRule, found } from './rule-definition.js';

export const ipNotAllowedRule = defineRule({
  id: 'ip_not_allowed',
  severity: 'critical',
  enabled: true,
  summary: 'An enrollment or a hello came from an address outside the project allowlist',
  config: Type.Object({}, { additionalProperties: false }),
  defaults: {},
  on: { refused_access: (facts) => found(detectIpNotAllowed(facts)) },
});

export interface RefusedAccess {
  readonly source: 'enroll' | 'hello';
  readonly ip: string;
  readonly at: number;
  /** The login record of the attempt. */
  readonly loginId: number | string | null;
}

/** One open anomaly per refused address (per agent, or per project for enrollments, which have no agent yet). */
export function detectIpNotAllowed(refusal: RefusedAccess): AnomalyCandidate {
  const ip = normalizeIp(refusal.ip);
  return {
    rule: 'ip_not_allowed',
    key: ip,
    at: refusal.at,
    evidence: [
      {
        kind: 'login',
        ...(refusal.loginId === null ? {} : { id: refusal.loginId }),
        at: refusal.at,
        source: refusal.source,
        ip,
      },
    ],
  };
}
