import { describe, expect, it } from 'vitest';
import { detectTamper } from '../../../src/domain/rules/tamper.rule.js';

const config = { declaredGapSeverity: 'low' as const };

describe('tamper', () => {
  it('keys each kind of signal separately', () => {
    expect(
      detectTamper({ kind: 'bad_signature', at: 1, frame: 'data', session: 's', loginId: null }, config).key,
    ).toBe('bad_signature');
    expect(
      detectTamper({ kind: 'session_replay', at: 1, session: 's2', claimedSession: 's1', seq: 4 }, config),
    ).toMatchObject({ key: 'session_replay', evidence: [{ kind: 'frame', seq: 4, claimedSession: 's1' }] });
    expect(detectTamper({ kind: 'revoked_agent', at: 1, ip: '10.0.0.9', loginId: 3 }, config)).toMatchObject({
      key: 'revoked_agent',
      evidence: [{ kind: 'login', id: 3, ip: '10.0.0.9' }],
    });
    expect(detectTamper({ kind: 'hello_replay', at: 1, loginId: 3 }, config).key).toBe('hello_replay');
  });

  it('treats an unannounced sequence gap as tampering', () => {
    const gap = { kind: 'sequence_gap' as const, at: 1, seq: 9, fromSeq: 6, toSeq: 8 };
    const candidate = detectTamper({ ...gap, announced: false }, config);
    expect(candidate).toMatchObject({ key: 'sequence_gap', evidence: [{ seq: 9, fromSeq: 6, toSeq: 8 }] });
    expect(candidate.severity).toBeUndefined();
  });

  it('records an announced gap under its own key at the configured severity', () => {
    const gap = { kind: 'sequence_gap' as const, at: 1, seq: 9, fromSeq: 6, toSeq: 8 };
    expect(detectTamper({ ...gap, announced: true }, config)).toMatchObject({
      key: 'sequence_gap_declared',
      severity: 'low',
      evidence: [{ kind: 'frame', announced: true }],
    });
  });
});
