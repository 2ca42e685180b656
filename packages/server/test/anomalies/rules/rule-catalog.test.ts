import { describe, expect, it } from 'vitest';
import { RULE_IDS } from '../../../src/domain/rules/anomaly.js';
import {
  defaultRuleSettings,
  mergeRuleConfig,
  resolveRuleSettings,
} from '../../../src/domain/rules/rule-catalog.js';
import { RULES } from '../../../src/domain/rules/rule-registry.js';

describe('rule catalog', () => {
  it('has every rule, and each rule has valid defaults', () => {
    expect(Object.keys(RULES).sort()).toEqual([...RULE_IDS].sort());
    for (const rule of RULE_IDS) expect(mergeRuleConfig(rule, {}).ok).toBe(true);
  });

  it('merges a stored partial config over the defaults', () => {
    const { settings, problems } = resolveRuleSettings([
      { rule: 'long_idle', enabled: false, severity: 'medium', config: { thresholdMs: 600_000 } },
    ]);
    expect(problems).toEqual([]);
    expect(settings.long_idle).toEqual({
      enabled: false,
      severity: 'medium',
      config: { thresholdMs: 600_000, states: ['idle', 'locked'] },
    });
    expect(settings.tamper).toEqual(defaultRuleSettings().tamper);
  });

  it('falls back to the defaults for a config that does not fit, and says why', () => {
    const { settings, problems } = resolveRuleSettings([
      { rule: 'clock_skew', enabled: null, severity: 'extreme', config: { maxSkewMs: 'soon' } },
      { rule: 'no_such_rule', enabled: true, severity: null, config: {} },
    ]);
    expect(settings.clock_skew).toEqual({
      enabled: true,
      severity: 'medium',
      config: { maxSkewMs: 120_000 },
    });
    expect(problems.map((p) => p.rule)).toEqual(['clock_skew', 'no_such_rule']);
    expect(mergeRuleConfig('prohibited_app', { denyList: [{ pattern: 'x' }] })).toMatchObject({ ok: false });
    expect(mergeRuleConfig('clock_skew', { extra: 1 })).toMatchObject({ ok: false });
  });
});
