import { describe, expect, it } from 'vitest';
import { afterFailure, afterSuccess, isLocked, LOCK_MS, MAX_FAILURES } from '../../src/accounts/lockout.js';
import { checkPasswordStrength, hashPassword, verifyPassword } from '../../src/accounts/password.argon2.js';
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

describe('lockout', () => {
  it('locks after MAX_FAILURES failures for LOCK_MS, then starts a fresh count', () => {
    let state = afterSuccess();
    const t0 = 1_000_000;
    for (let i = 1; i < MAX_FAILURES; i++) {
      state = afterFailure(state, t0 + i);
      expect(isLocked(state, t0 + i)).toBe(false);
    }
    state = afterFailure(state, t0 + MAX_FAILURES);
    expect(isLocked(state, t0 + MAX_FAILURES)).toBe(true);
    expect(isLocked(state, t0 + MAX_FAILURES + LOCK_MS - 1)).toBe(true);
    const later = t0 + MAX_FAILURES + LOCK_MS;
    expect(isLocked(state, later)).toBe(false);
    state = afterFailure(state, later);
    expect(state.failedAttempts).toBe(1);
    expect(isLocked(state, later)).toBe(false);
  });

  it('a success clears the count', () => {
    const state = afterFailure(afterFailure(afterSuccess(), 1), 2);
    expect(state.failedAttempts).toBe(2);
    expect(afterSuccess()).toEqual({ failedAttempts: 0, lockedUntil: null });
  });
});
