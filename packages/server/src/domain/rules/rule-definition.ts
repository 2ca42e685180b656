/**
 * The one shape of a rule: what it declares about itself (id, default
 * severity, summary, settings schema) and, for each trigger kind it
 * listens to, a pure check from the trigger's facts and the rule's
 * settings to anomaly candidates. A rule that follows something over time
 * (an idle period, a streak of blocked captures) gets its state back in and
 * returns the next one; the engine keeps it per connection.
 */
import type { Static, TSchema } from 'typebox';
import type { AnomalyCandidate, RuleId, Severity } from './anomaly.js';
import type { TriggerFacts, TriggerKind } from './triggers.js';

export interface RuleResult<S> {
  readonly candidates: readonly AnomalyCandidate[];
  /** The rule's next state; absent: unchanged. */
  readonly state?: S;
}

export type RuleCheck<K extends TriggerKind, C, S> = (
  facts: TriggerFacts[K],
  config: C,
  state: S | undefined,
) => RuleResult<S>;

export type RuleChecks<C, S> = { readonly [K in TriggerKind]?: RuleCheck<K, C, S> };

export interface RuleDefinition<C extends TSchema = TSchema, S = unknown> {
  readonly id: RuleId;
  readonly severity: Severity;
  /** On unless a project turns it off. */
  readonly enabled: boolean;
  readonly summary: string;
  /** JSON Schema of the rule's own settings (thresholds, lists); validated on every write. */
  readonly config: C;
  readonly defaults: Static<C>;
  readonly on: RuleChecks<Static<C>, S>;
  /** Whether, so configured, the rule looks at the content of screenshots (the engine decodes images only then). */
  readonly inspectsScreenshots?: (config: Static<C>) => boolean;
}

export function defineRule<C extends TSchema, S = never>(
  definition: RuleDefinition<C, S>,
): RuleDefinition<C, S> {
  return Object.freeze(definition);
}

/** The result of a check that keeps no state: what it found, if anything. */
export function found(...candidates: readonly (AnomalyCandidate | null)[]): RuleResult<never> {
  return { candidates: candidates.filter((c): c is AnomalyCandidate => c !== null) };
}
