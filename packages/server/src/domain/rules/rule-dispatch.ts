/**
 * Runs a trigger through every rule of the registry that listens to it,
 * with each rule's settings, in one calling shape. Every listening rule is
 * evaluated, so a rule that follows a period keeps it right while a project
 * has it switched off; only the candidates of rules that are on come out.
 */
import type { AnomalyCandidate, RuleId } from './anomaly.js';
import type { RuleSettings } from './rule-catalog.js';
import type { RuleResult } from './rule-definition.js';
import { RULES } from './rule-registry.js';
import type { TriggerFacts, TriggerKind } from './triggers.js';

/** Each rule's state for one connection (only rules that keep one have an entry). */
export type RuleStates = Readonly<Partial<Record<RuleId, unknown>>>;

export interface Evaluation {
  readonly candidates: readonly AnomalyCandidate[];
  readonly states: RuleStates;
}

/** A rule as the dispatcher calls it: its settings' types are the registry's business, not the loop's. */
interface DispatchedRule {
  readonly on: {
    readonly [K in TriggerKind]?: (
      facts: TriggerFacts[K],
      config: unknown,
      state: unknown,
    ) => RuleResult<unknown>;
  };
  readonly inspectsScreenshots?: (config: unknown) => boolean;
}

const RULE_IDS = Object.keys(RULES) as RuleId[];
const rule = (id: RuleId): DispatchedRule => RULES[id] as unknown as DispatchedRule;

export function evaluateRules<K extends TriggerKind>(
  trigger: K,
  facts: TriggerFacts[K],
  settings: RuleSettings,
  states: RuleStates = {},
): Evaluation {
  const candidates: AnomalyCandidate[] = [];
  // One copy, then assignments: this runs for every event, and `{ ...next, [id]: state }` per rule
  // costs Node 20's V8 far more than a plain copy (see domain/ingest-mapping.ts).
  let next: Partial<Record<RuleId, unknown>> | null = null;
  for (const id of RULE_IDS) {
    const check = rule(id).on[trigger];
    if (!check) continue;
    const setting = settings[id];
    const result = check(facts, setting.config, states[id]);
    if ('state' in result) {
      next ??= { ...states };
      next[id] = result.state;
    }
    if (setting.enabled) candidates.push(...result.candidates);
  }
  return { candidates, states: next ?? states };
}

/** Whether a rule that is on listens to the trigger (the engine skips gathering its facts otherwise). */
export function listens(trigger: TriggerKind, settings: RuleSettings): boolean {
  return RULE_IDS.some((id) => settings[id].enabled && rule(id).on[trigger] !== undefined);
}

/** Whether a rule that is on, as configured, looks at the content of screenshots. */
export function inspectsScreenshots(settings: RuleSettings): boolean {
  return RULE_IDS.some(
    (id) => settings[id].enabled && rule(id).inspectsScreenshots?.(settings[id].config) === true,
  );
}
