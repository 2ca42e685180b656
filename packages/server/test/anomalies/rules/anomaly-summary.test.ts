import { ANOMALY_CODES, ANOMALY_MESSAGES, type AnomalyCode } from '@seatwatch/shared/dashboard-api';
import { describe, expect, it } from 'vitest';
import type { EvidenceRef, RuleId } from '../../../src/domain/rules/anomaly.js';
import {
  describeAnomaly,
  ENGLISH_MESSAGES,
  fillMessage,
  summarizeAnomaly,
} from '../../../src/domain/rules/anomaly-summary.js';
import { RULES } from '../../../src/domain/rules/rule-registry.js';

describe('anomaly summary', () => {
  it('reads the rule and its first evidence', () => {
    expect(summarizeAnomaly('ip_not_allowed', '10.1.1.1', [{ kind: 'login', source: 'enroll' }])).toBe(
      'Enrollment refused from 10.1.1.1: not on the allowlist',
    );
    expect(
      summarizeAnomaly('agent_silent', '', [{ kind: 'login', cause: 'no_frames', silentForMs: 61_000 }]),
    ).toBe('Agent silent for 61 s while expected to report');
    expect(summarizeAnomaly('tamper', 'sequence_gap', [{ kind: 'frame', fromSeq: 6, toSeq: 8 }])).toBe(
      'Frames 6–8 missing without notice',
    );
    expect(
      summarizeAnomaly('concurrent_login', 'jdoe', [
        { kind: 'login' },
        { kind: 'login', otherAgentId: 'a2' },
      ]),
    ).toBe('OS user jdoe active on 2 seats at once');
  });

  it('keeps seat strings on one bounded line', () => {
    const line = summarizeAnomaly('usb_storage', 'k', [
      { kind: 'event', name: `evil\nname${'x'.repeat(400)}` },
    ]);
    expect(line).not.toContain('\n');
    expect(line.length).toBe(300);
    expect(line.endsWith('…')).toBe(true);
  });
});

/** Evidence for every message each rule of the registry can say (issue #13). */
const CASES: readonly [RuleId, string, EvidenceRef[], AnomalyCode][] = [
  ['agent_silent', '', [{ kind: 'login', cause: 'connection_lost' }], 'agent_silent.connection_lost'],
  ['agent_silent', '', [{ kind: 'login', cause: 'no_frames', silentForMs: 61_000 }], 'agent_silent.for'],
  ['agent_silent', '', [{ kind: 'login', cause: 'no_frames' }], 'agent_silent'],
  ['agent_stopped', '', [{ kind: 'event', reason: 'user' }], 'agent_stopped'],
  ['capture_blocked', 'monitor:1', [{ kind: 'event' }], 'capture_blocked'],
  ['clock_skew', '', [{ kind: 'login', skewMs: 90_000 }], 'clock_skew'],
  [
    'concurrent_login',
    'jdoe',
    [{ kind: 'login' }, { kind: 'login', otherAgentId: 'a2' }],
    'concurrent_login',
  ],
  ['ip_changed', '10.0.0.2', [{ kind: 'login', previousIp: '10.0.0.1' }], 'ip_changed'],
  ['ip_not_allowed', '10.1.1.1', [{ kind: 'login', source: 'enroll' }], 'ip_not_allowed.enroll'],
  ['ip_not_allowed', '10.1.1.1', [{ kind: 'login', source: 'hello' }], 'ip_not_allowed.login'],
  ['long_idle', '2026-03-02', [{ kind: 'event', idleInShiftMs: 3_600_000 }], 'long_idle'],
  ['off_hours', '2026-03-02', [{ kind: 'event' }], 'off_hours'],
  [
    'prohibited_app',
    'app:contains:game',
    [{ kind: 'event', label: 'Games', app: 'sol.exe' }],
    'prohibited_app',
  ],
  ['tamper', 'bad_signature', [{ kind: 'frame' }], 'tamper.bad_signature'],
  ['tamper', 'session_replay', [{ kind: 'frame' }], 'tamper.session_replay'],
  ['tamper', 'hello_replay', [{ kind: 'login' }], 'tamper.hello_replay'],
  ['tamper', 'revoked_agent', [{ kind: 'login' }], 'tamper.revoked_agent'],
  ['tamper', 'sequence_gap', [{ kind: 'frame', fromSeq: 6, toSeq: 8 }], 'tamper.sequence_gap'],
  [
    'tamper',
    'sequence_gap_declared',
    [{ kind: 'frame', fromSeq: 6, toSeq: 8 }],
    'tamper.sequence_gap_declared',
  ],
  ['unknown_device', 'usb:1', [{ kind: 'event', name: 'Cam' }], 'unknown_device'],
  ['usb_storage', 'usb:2', [{ kind: 'event', name: 'Stick' }], 'usb_storage'],
];

const placeholderNames = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('anomaly message codes', () => {
  it('every rule of the registry says each of its messages as a code with exactly its declared parameters', () => {
    for (const [rule, key, evidence, expected] of CASES) {
      const { code, params } = describeAnomaly(rule, key, evidence);
      expect({ rule, key, code }).toEqual({ rule, key, code: expected });
      expect({ code, params: Object.keys(params).sort() }).toEqual({
        code,
        params: [...ANOMALY_MESSAGES[code]].sort(),
      });
      expect(code.split('.')[0]).toBe(rule);
    }
    // Every code is reached by a case above, and every rule of the registry has a case.
    expect(new Set(CASES.map((each) => each[3]))).toEqual(new Set(ANOMALY_CODES));
    expect(new Set(CASES.map((each) => each[0]))).toEqual(new Set(Object.keys(RULES)));
  });

  it('words every code in English with the same parameters as the catalogue declares', () => {
    for (const code of ANOMALY_CODES) {
      expect({ code, names: placeholderNames(ENGLISH_MESSAGES[code]) }).toEqual({
        code,
        names: [...ANOMALY_MESSAGES[code]].sort(),
      });
    }
  });

  it('the English summary is the code filled with its parameters', () => {
    for (const [rule, key, evidence] of CASES) {
      const { code, params } = describeAnomaly(rule, key, evidence);
      expect(summarizeAnomaly(rule, key, evidence)).toBe(fillMessage(ENGLISH_MESSAGES[code], params));
    }
    expect(describeAnomaly('usb_storage', 'k', [{ kind: 'event', name: 'SanDisk' }]).params).toEqual({
      device: 'SanDisk',
    });
  });
});
