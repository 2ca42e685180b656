/** Masking on the seat (issue #12): card numbers by the Luhn check, and the project's RE2 patterns. */
import { describe, expect, it } from 'vitest';
import { createMasker, luhnValid, maskCardNumbers } from '../../src/core/masking.js';

// A phone number in mainland China (11 digits, 1[3-9]...), written plain, with spaces or with +86.
const CN_MOBILE = String.raw`(?:\+?86[ -]?)?\b1[3-9]\d(?:[ -]?\d{4}){2}\b`;
// The 18-character resident ID: 6-digit region, birth date, 3-digit sequence, a check digit 0-9 or X.
const CN_RESIDENT_ID = String.raw`\b\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]\b`;
// A North American number: (415) 555-2671, 415-555-2671, +1 415 555 2671.
const NANP = String.raw`(?:\+1[ .-]?)?(?:\(\d{3}\)|\b\d{3})[ .-]?\d{3}[ .-]\d{4}\b`;

/** The check digit of a resident ID (GB 11643-1999), to show the test's ID is a well-formed one. */
function residentIdCheck(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * weights[i]!, 0);
  return '10X98765432'[sum % 11]!;
}

describe('card numbers', () => {
  it('the Luhn check', () => {
    expect(luhnValid('4111111111111111')).toBe(true); // Visa test number
    expect(luhnValid('5555555555554444')).toBe(true); // Mastercard test number
    expect(luhnValid('378282246310005')).toBe(true); // Amex, 15 digits
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('')).toBe(false);
  });

  it('masks 13–19 digits that pass the Luhn check, plain or with spaces or dashes', () => {
    expect(maskCardNumbers('Payment 4111111111111111 - Chrome')).toBe('Payment [masked] - Chrome');
    expect(maskCardNumbers('card 4111 1111 1111 1111 exp 12/29')).toBe('card [masked] exp 12/29');
    expect(maskCardNumbers('5555-5555-5555-4444')).toBe('[masked]');
    expect(maskCardNumbers('Amex 3782 822463 10005 ok')).toBe('Amex [masked] ok');
    expect(maskCardNumbers('6011 0009 9013 9424 | CRM')).toBe('[masked] | CRM');
  });

  it('leaves numbers that fail the check or are too short or too long', () => {
    expect(maskCardNumbers('Order 4111 1111 1111 1112')).toBe('Order 4111 1111 1111 1112');
    expect(maskCardNumbers('Ticket 123456789012 opened')).toBe('Ticket 123456789012 opened');
    expect(maskCardNumbers('ID 41111111111111110000')).toBe('ID 41111111111111110000');
    expect(maskCardNumbers('2026-12-07 10:30 call 4711')).toBe('2026-12-07 10:30 call 4711');
  });

  it('finds a card number run together with another number', () => {
    expect(maskCardNumbers('4111 1111 1111 1111 12')).toBe('[masked] 12');
    expect(maskCardNumbers('ref 77 4111-1111-1111-1111')).toBe('ref 77 [masked]');
  });
});

describe('the masker of a policy', () => {
  it('masks card numbers when the policy says nothing', () => {
    const masker = createMasker(undefined);
    expect(masker.problems).toEqual([]);
    expect(masker.mask('Refund 4111 1111 1111 1111 – Agent desktop')).toBe('Refund [masked] – Agent desktop');
    expect(masker.description).toMatch(/card numbers .* replaced by \[masked\]/);
  });

  it("applies the project's patterns: phone numbers and a resident ID with its check digit", () => {
    const id = `11010519491231002${residentIdCheck('11010519491231002')}`;
    expect(id).toBe('11010519491231002X');
    const masker = createMasker({ cardNumbers: true, patterns: [CN_MOBILE, CN_RESIDENT_ID, NANP] });
    expect(masker.problems).toEqual([]);
    expect(masker.mask(`客户 张三 身份证 ${id} - 工单系统`)).toBe('客户 张三 身份证 [masked] - 工单系统');
    expect(masker.mask('回拨 138 1234 5678 / +86 139-8765-4321')).toBe('回拨 [masked] / [masked]');
    expect(masker.mask('Call back (415) 555-2671 or +1 415 555 2671')).toBe('Call back [masked] or [masked]');
    // Not an ID (a 17-digit number) and not a phone (a 12-digit number) stay.
    expect(masker.mask('Case 12345678901234567')).toBe('Case 12345678901234567');
    expect(masker.description).toMatch(/3 pattern\(s\) set by the project/);
  });

  it('card masking can be turned off; patterns still apply', () => {
    const masker = createMasker({ cardNumbers: false, patterns: ['(?i)secret-\\w+'] });
    expect(masker.mask('4111 1111 1111 1111 SECRET-abc')).toBe('4111 1111 1111 1111 [masked]');
  });

  it('fails closed on a pattern it cannot use: everything is masked and the reason is given', () => {
    for (const bad of ['(a)\\1', '(?<=x)y', 'a*', 'x'.repeat(201)]) {
      const masker = createMasker({ cardNumbers: true, patterns: ['\\d{4}', bad] });
      expect(masker.problems).toHaveLength(1);
      expect(masker.mask('Inbox - Mail')).toBe('[masked]');
      expect(masker.mask('')).toBe('');
      expect(masker.description).toMatch(/not sent/);
    }
  });

  it('a pattern that backtracks catastrophically in other engines runs in linear time here', () => {
    const masker = createMasker({ cardNumbers: false, patterns: ['(a+)+$', '(x|xx)+y'] });
    const started = performance.now();
    expect(masker.mask(`${'a'.repeat(5000)}!`)).toBe(`${'a'.repeat(5000)}!`);
    expect(masker.mask(`${'x'.repeat(5000)}z`)).toBe(`${'x'.repeat(5000)}z`);
    // A backtracking engine takes longer than the age of the universe on these; RE2 a few milliseconds.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
