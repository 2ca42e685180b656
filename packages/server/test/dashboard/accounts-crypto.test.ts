import { describe, expect, it } from 'vitest';
import { checkPasswordStrength, hashPassword, verifyPassword } from '../../src/accounts/password.argon2.js';
import {
  BASE_DELAY_MS,
  delayAfter,
  FORGET_MS,
  FREE_FAILURES,
  isThrottled,
  MAX_DELAY_MS,
  nextAttemptAfter,
  throttleSource,
  waitBefore,
} from '../../src/accounts/sign-in-throttle.js';
import { hashToken, newSecretToken, sameSecret } from '../../src/accounts/tokens.js';
import { checkTotp, newTotpSecret, totpCodeAt, totpUri } from '../../src/accounts/totp.otplib.js';

describe('passwords (argon2id)', () => {
  it('hashes with argon2id and a fresh salt, and verifies only the right password', async () => {
    const first = await hashPassword('correct horse battery');
    const second = await hashPassword('correct horse battery');
    expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(first).not.toBe(second);
    expect(await verifyPassword(first, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(first, 'correct horse batterY')).toBe(false);
    expect(await verifyPassword(null, 'correct horse battery')).toBe(false);
    expect(await verifyPassword('not a hash', 'x')).toBe(false);
  });

  it('an unknown user (no hash) costs an argon2 check like a known one, so timing does not tell them apart', async () => {
    const known = await hashPassword('correct horse battery');
    const timed = async (hash: string | null) => {
      const started = performance.now();
      await verifyPassword(hash, 'a wrong guess at it');
      return performance.now() - started;
    };
    await timed(null);
    const withHash: number[] = [];
    const withoutHash: number[] = [];
    // Interleaved, medians: load on the machine slows both alike. Without the dummy hash the
    // unknown case answers in microseconds, against milliseconds for argon2id.
    for (let i = 0; i < 7; i++) {
      withHash.push(await timed(known));
      withoutHash.push(await timed(null));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
    expect(median(withoutHash)).toBeGreaterThan(median(withHash) / 3);
  });

  it('asks for 12 to 256 characters, counted in code points', () => {
    expect(() => checkPasswordStrength('short')).toThrow(/12 to 256/);
    expect(() => checkPasswordStrength('十二个字符的密码十二个字符')).not.toThrow();
    expect(() => checkPasswordStrength('😀'.repeat(11))).toThrow();
    expect(() => checkPasswordStrength('x'.repeat(257))).toThrow();
  });
});

describe('TOTP (RFC 6238)', () => {
  // RFC 6238 appendix B, SHA-1 seed "12345678901234567890" in base32, 6 digits.
  const rfcSecret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

  it('matches the RFC 6238 test vectors', async () => {
    expect(await totpCodeAt(rfcSecret, 59_000)).toBe('287082');
    expect(await totpCodeAt(rfcSecret, 1_111_111_109_000)).toBe('081804');
    expect(await totpCodeAt(rfcSecret, 1_234_567_890_000)).toBe('005924');
  });

  it('accepts the current code and one step of drift, not two', async () => {
    const now = 1_700_000_000_000;
    const secret = newTotpSecret();
    expect(await checkTotp(secret, await totpCodeAt(secret, now), now, null)).toMatchObject({ ok: true });
    expect((await checkTotp(secret, await totpCodeAt(secret, now - 30_000), now, null)).ok).toBe(true);
    expect((await checkTotp(secret, await totpCodeAt(secret, now - 90_000), now, null)).ok).toBe(false);
    expect((await checkTotp(secret, 'abcdef', now, null)).ok).toBe(false);
  });

  it('refuses a replayed code', async () => {
    const now = 1_700_000_000_000;
    const secret = newTotpSecret();
    const code = await totpCodeAt(secret, now);
    const first = await checkTotp(secret, code, now, null);
    if (!first.ok) throw new Error('first use must pass');
    expect((await checkTotp(secret, code, now + 1000, first.timeStep)).ok).toBe(false);
    const next = await totpCodeAt(secret, now + 30_000);
    expect((await checkTotp(secret, next, now + 30_000, first.timeStep)).ok).toBe(true);
  });

  it('builds an otpauth URI an authenticator app reads', () => {
    const uri = totpUri('JBSWY3DPEHPK3PXP', 'Seatwatch', 'admin');
    expect(uri).toMatch(/^otpauth:\/\/totp\/Seatwatch:admin\?/);
    expect(uri).toContain('secret=JBSWY3DPEHPK3PXP');
  });
});

describe('secret tokens', () => {
  it('are 256-bit base64url and stored as SHA-256', () => {
    const token = newSecretToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newSecretToken()).not.toBe(token);
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(token)).toBe(hashToken(token));
    expect(sameSecret(token, token)).toBe(true);
    expect(sameSecret(token, `${token}x`)).toBe(false);
  });
});

describe('sign-in throttle arithmetic', () => {
  it('the first failures are free, then each doubles the wait up to the cap', () => {
    const waits = Array.from({ length: 14 }, (_, i) => delayAfter(i + 1));
    expect(waits.slice(0, FREE_FAILURES - 1)).toEqual([0, 0]);
    expect(waits.slice(FREE_FAILURES - 1, FREE_FAILURES + 3)).toEqual([
      BASE_DELAY_MS,
      2 * BASE_DELAY_MS,
      4 * BASE_DELAY_MS,
      8 * BASE_DELAY_MS,
    ]);
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(waits[i - 1]!);
    expect(waits.at(-1)).toBe(MAX_DELAY_MS);
    expect(delayAfter(1_000_000)).toBe(MAX_DELAY_MS);
  });

  it('waits until the next attempt, and forgets a pair FORGET_MS after its last failure', () => {
    const t0 = 1_000_000;
    const state = {
      failures: FREE_FAILURES + 1,
      lastFailureAt: t0,
      nextAttemptAt: nextAttemptAfter(FREE_FAILURES + 1, t0),
    };
    expect(waitBefore(state, t0)).toBe(2 * BASE_DELAY_MS);
    expect(waitBefore(state, t0 + 2 * BASE_DELAY_MS)).toBe(0);
    expect(isThrottled(state, t0 + FORGET_MS - 1)).toBe(true);
    expect(isThrottled(state, t0 + FORGET_MS)).toBe(false);
    expect(waitBefore(null, t0)).toBe(0);
    expect(isThrottled({ ...state, failures: FREE_FAILURES - 1 }, t0)).toBe(false);
  });

  it('counts an IPv4 client by its address and an IPv6 client by its /64', () => {
    expect(throttleSource('192.0.2.7')).toBe('192.0.2.7');
    expect(throttleSource('::ffff:192.0.2.7')).toBe('192.0.2.7');
    const one = throttleSource('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(one).toBe('2001:db8:1:2::/64');
    expect(throttleSource('2001:db8:1:2::1')).toBe(one);
    expect(throttleSource('2001:db8:1:3::1')).not.toBe(one);
    expect(throttleSource('not an address')).toBe('not an address');
  });
});
