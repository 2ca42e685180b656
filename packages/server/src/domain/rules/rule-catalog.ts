/**
 * A project's settings for each rule of the registry: on or off, severity,
 * and the rule's own config (thresholds, lists). A project stores only what it
 * changed; everything else comes from the rule's defaults.
 */
import type { Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { type RuleId, SEVERITIES, type Severity } from './anomaly.js';
import { RULES } from './rule-registry.js';

export type RuleConfigs = { [R in RuleId]: Static<(typeof RULES)[R]['config']> };

export interface RuleSetting<R extends RuleId = RuleId> {
  readonly enabled: boolean;
  readonly severity: Severity;
  readonly config: RuleConfigs[R];
}

export type RuleSettings = { readonly [R in RuleId]: RuleSetting<R> };

/** What a project stored for one rule; any part may be missing. */
export interface StoredRuleSetting {
  readonly rule: string;
  readonly enabled: boolean | null;
  readonly severity: string | null;
  readonly config: unknown;
}

const validators = Object.fromEntries(
  Object.entries(RULES).map(([id, rule]) => [id, Compile(rule.config)]),
) as { [R in RuleId]: ReturnType<typeof Compile> };

export function defaultRuleSettings(): RuleSettings {
  return Object.fromEntries(
    Object.entries(RULES).map(([id, rule]) => [
      id,
      { enabled: rule.enabled, severity: rule.severity, config: rule.defaults },
    ]),
  ) as unknown as RuleSettings;
}

/**
 * Merges a partial config over the rule's defaults and validates the
 * result; returns the problem as text when it does not fit the schema.
 */
export function mergeRuleConfig<R extends RuleId>(
  rule: R,
  partial: unknown,
): { ok: true; config: RuleConfigs[R] } | { ok: false; problem: string } {
  if (partial !== null && partial !== undefined && (typeof partial !== 'object' || Array.isArray(partial))) {
    return { ok: false, problem: 'config must be an object' };
  }
  const merged = { ...(RULES[rule].defaults as object), ...((partial ?? {}) as object) };
  const validator = validators[rule];
  if (validator.Check(merged)) return { ok: true, config: merged as RuleConfigs[R] };
  const first = validator.Errors(merged)[0];
  return {
    ok: false,
    problem: first ? `${first.instancePath || '/'} ${first.message}` : 'does not match the schema',
  };
}

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

/**
 * A project's effective settings. A stored config that no longer fits (an
 * older version, a hand edit) falls back to the defaults for that rule and
 * is reported, so a bad row never stops the other rules.
 */
export function resolveRuleSettings(stored: readonly StoredRuleSetting[]): {
  settings: RuleSettings;
  problems: readonly { rule: string; problem: string }[];
} {
  const settings = defaultRuleSettings() as Record<RuleId, RuleSetting>;
  const problems: { rule: string; problem: string }[] = [];
  for (const row of stored) {
    if (!Object.hasOwn(RULES, row.rule)) {
      problems.push({ rule: row.rule, problem: 'unknown rule' });
      continue;
    }
    const rule = row.rule as RuleId;
    const merged = mergeRuleConfig(rule, row.config);
    if (!merged.ok) problems.push({ rule, problem: merged.problem });
    settings[rule] = {
      enabled: row.enabled ?? RULES[rule].enabled,
      severity: isSeverity(row.severity) ? row.severity : RULES[rule].severity,
      config: merged.ok ? merged.config : RULES[rule].defaults,
    };
  }
  return { settings: settings as RuleSettings, problems };
}
