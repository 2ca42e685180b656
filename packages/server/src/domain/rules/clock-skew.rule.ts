/** clock_skew: the hello's time is further from the server's clock than the threshold. */
import Type from 'typebox';
import type { AnomalyCandidate } from './anomaly.js';
import { defineRule, found } from './rule-definition.js';

export const clockSkewRule = defineRule({
  id: 'clock_skew',
  severity: 'medium',
  enabled: true,
  summary: "The seat's clock is more than the threshold away from the server's",
  config: Type.Object(
    { maxSkewMs: Type.Integer({ minimum: 1000, maximum: 86_400_000, description: 'Default 2 minutes' }) },
    { additionalProperties: false },
  ),
  defaults: { maxSkewMs: 120_000 },
  on: {
    hello: (facts, config) =>
      found(
        detectClockSkew(
          { at: facts.current.at, skewMs: facts.skewMs, loginId: facts.current.loginId },
          config,
        ),
      ),
  },
});

export interface HelloClock {
  readonly at: number;
  /** hello.time minus the server's clock when the hello arrived. */
  readonly skewMs: number;
  readonly loginId: number | string | null;
}

export function detectClockSkew(
  hello: HelloClock,
  config: { readonly maxSkewMs: number },
): AnomalyCandidate | null {
  if (Math.abs(hello.skewMs) <= config.maxSkewMs) return null;
  return {
    rule: 'clock_skew',
    key: '',
    at: hello.at,
    evidence: [
      {
        kind: 'login',
        ...(hello.loginId === null ? {} : { id: hello.loginId }),
        at: hello.at,
        skewMs: hello.skewMs,
      },
    ],
  };
}
