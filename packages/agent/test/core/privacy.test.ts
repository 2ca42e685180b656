import { describe, expect, it } from 'vitest';
import { matchPrivacyList } from '../../src/core/privacy.js';

describe('matchPrivacyList', () => {
  const list = ['Checkout', 'payment', '  ', 'KeePass'];

  it('matches case-insensitive substrings of the title or the app', () => {
    expect(matchPrivacyList(list, 'firefox', 'Secure PAYMENT page — Firefox')).toBe('payment');
    expect(matchPrivacyList(list, 'KeePassXC', 'Database')).toBe('KeePass');
    expect(matchPrivacyList(list, 'chrome', 'checkout - shop')).toBe('Checkout');
  });

  it('ignores blank entries and non-matching windows', () => {
    expect(matchPrivacyList(list, 'xterm', 'bash')).toBeNull();
    expect(matchPrivacyList(['   '], 'xterm', 'anything')).toBeNull();
    expect(matchPrivacyList([], 'xterm', 'payment')).toBeNull();
  });
});
