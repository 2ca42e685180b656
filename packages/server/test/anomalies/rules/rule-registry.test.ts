import { describe, expect, it } from 'vitest';
import { RULE_IDS, type RuleId } from '../../../src/domain/rules/anomaly.js';
import { defaultRuleSettings, type RuleSettings } from '../../../src/domain/rules/rule-catalog.js';
import { evaluateRules, inspectsScreenshots, listens } from '../../../src/domain/rules/rule-dispatch.js';
import { RULES } from '../../../src/domain/rules/rule-registry.js';
import { device, observed } from './observed.js';

const switchedOff = (settings: RuleSettings, ...rules: RuleId[]): RuleSettings => {
  const copy = { ...settings } as Record<RuleId, RuleSettings[RuleId]>;
  for (const rule of rules) copy[rule] = { ...copy[rule], enabled: false };
  return copy as RuleSettings;
};

describe('rule registry', () => {
  it('holds every rule of the catalog, once, under its own id, and each listens to a trigger', () => {
    expect(Object.keys(RULES).sort()).toEqual([...RULE_IDS].sort());
    for (const [id, rule] of Object.entries(RULES)) {
      expect(rule.id).toBe(id);
      expect(Object.keys(rule.on).length).toBeGreaterThan(0);
    }
  });

  it('dispatches an event to the rules that listen to events, and drops the candidates of rules switched off', () => {
    const facts = {
      observed: observed({ type: 'device_attached', time: 1000, device: device() }),
      schedule: null,
      blank: null,
    };
    const on = evaluateRules('event', facts, defaultRuleSettings());
    expect(on.candidates.map((c) => c.rule).sort()).toEqual(['unknown_device', 'usb_storage']);
    const off = evaluateRules('event', facts, switchedOff(defaultRuleSettings(), 'usb_storage'));
    expect(off.candidates.map((c) => c.rule)).toEqual(['unknown_device']);
  });

  it('passes a rule its own settings', () => {
    const settings = defaultRuleSettings();
    const strict = { ...settings, clock_skew: { ...settings.clock_skew, config: { maxSkewMs: 1000 } } };
    const hello = {
      current: { ip: '10.0.0.1', at: 1000, loginId: 7 },
      previous: null,
      timeZone: 'UTC',
      skewMs: 5000,
      seatState: null,
      stateAt: null,
    };
    expect(evaluateRules('hello', hello, settings).candidates).toEqual([]);
    expect(evaluateRules('hello', hello, strict).candidates).toMatchObject([{ rule: 'clock_skew', key: '' }]);
  });

  it("keeps a rule's state across triggers, even while the rule is switched off", () => {
    const idle = observed({ type: 'status', time: 60_000, state: 'idle', idleMs: 0 }, 'idle');
    const off = switchedOff(defaultRuleSettings(), 'long_idle');
    const { candidates, states } = evaluateRules(
      'event',
      { observed: idle, schedule: null, blank: null },
      off,
    );
    expect(candidates).toEqual([]);
    expect(states.long_idle).toMatchObject({ since: 60_000, flagged: false });
  });

  it('says whether a rule that is on listens to a trigger or looks at screenshots', () => {
    const settings = defaultRuleSettings();
    expect(listens('seat_active', settings)).toBe(true);
    expect(listens('seat_active', switchedOff(settings, 'concurrent_login'))).toBe(false);
    expect(inspectsScreenshots(settings)).toBe(true);
    const noBlank = {
      ...settings,
      capture_blocked: {
        ...settings.capture_blocked,
        config: { ...settings.capture_blocked.config, includeBlank: false },
      },
    };
    expect(inspectsScreenshots(noBlank)).toBe(false);
  });
});
