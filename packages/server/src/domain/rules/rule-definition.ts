/** What every rule declares about itself: id, default severity, a one-line summary and its settings schema. */
import type { Static, TSchema } from 'typebox';
import type { RuleId, Severity } from './anomaly.js';

export interface RuleDefinition<C extends TSchema = TSchema> {
  readonly id: RuleId;
  readonly severity: Severity;
  /** On unless a project turns it off. */
  readonly enabled: boolean;
  readonly summary: string;
  /** JSON Schema of the rule's own settings (thresholds, lists); validated on every write. */
  readonly config: C;
  readonly defaults: Static<C>;
}

export function defineRule<C extends TSchema>(definition: RuleDefinition<C>): RuleDefinition<C> {
  return Object.freeze(definition);
}
