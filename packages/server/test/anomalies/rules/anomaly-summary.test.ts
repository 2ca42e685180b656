import { describe, expect, it } from 'vitest';
import { summarizeAnomaly } from '../../../src/domain/rules/anomaly-summary.js';

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
