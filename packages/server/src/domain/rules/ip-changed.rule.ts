/** ip_changed: an agent's login IP differs from its previous login's on the same local day. */
import Type from 'typebox';
import type { AnomalyCandidate } from './anomaly.js';
import { normalizeIp } from './client-ip.js';
import { defineRule, found } from './rule-definition.js';
import { localDate } from './shift-schedule.js';

export const ipChangedRule = defineRule({
  id: 'ip_changed',
  severity: 'warning',
  enabled: true,
  summary: "An agent's login IP differs from its previous login on the same day",
  config: Type.Object({}, { additionalProperties: false }),
  defaults: {},
  on: { hello: (facts) => found(detectIpChanged(facts)) },
});

export interface LoginSighting {
  readonly ip: string;
  readonly at: number;
  readonly loginId: number | string | null;
}

export interface IpChangedInput {
  readonly current: LoginSighting;
  /** The agent's previous accepted login, if any. */
  readonly previous: LoginSighting | null;
  /** The day is the local day of the team's shift schedule (UTC without one). */
  readonly timeZone: string;
}

export function detectIpChanged(input: IpChangedInput): AnomalyCandidate | null {
  const { current, previous, timeZone } = input;
  if (!previous) return null;
  const ip = normalizeIp(current.ip);
  const before = normalizeIp(previous.ip);
  if (ip === before) return null;
  if (localDate(timeZone, current.at) !== localDate(timeZone, previous.at)) return null;
  return {
    rule: 'ip_changed',
    key: ip,
    at: current.at,
    evidence: [
      {
        kind: 'login',
        ...(previous.loginId === null ? {} : { id: previous.loginId }),
        at: previous.at,
        ip: before,
      },
      {
        kind: 'login',
        ...(current.loginId === null ? {} : { id: current.loginId }),
        at: current.at,
        ip,
        previousIp: before,
      },
    ],
  };
}
