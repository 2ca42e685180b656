import { describe, expect, it } from 'vitest';
import { type ForegroundReading, matchPrivacyList, privacyPause } from '../../src/core/privacy.js';

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

describe('privacyPause: before and after a capture', () => {
  const list = ['Payment checkout'];
  const shell: ForegroundReading = { known: true, window: { app: 'XTerm', title: 'bash' } };
  const checkout: ForegroundReading = { known: true, window: { app: 'firefox', title: 'Payment Checkout' } };
  const nothing: ForegroundReading = { known: true, window: null };
  const unreadable: ForegroundReading = { known: false, reason: 'xprop stopped' };

  it('captures when no listed window is in front before, and keeps when none is after', () => {
    expect(privacyPause(list, shell)).toBeNull();
    expect(privacyPause(list, shell, shell)).toBeNull();
    expect(privacyPause(list, nothing, nothing)).toBeNull();
  });

  it('pauses when a listed window is in front before capturing', () => {
    expect(privacyPause(list, checkout)).toBe(
      'the foreground window matches the privacy list entry "Payment checkout"',
    );
    expect(privacyPause(list, checkout, shell)).toBe(privacyPause(list, checkout));
  });

  it('drops the image when a listed window came forward during the capture', () => {
    expect(privacyPause(list, shell, checkout)).toBe(
      'a window matching the privacy list entry "Payment checkout" came to the front during the capture; the image was dropped',
    );
    expect(privacyPause(list, nothing, checkout)).toMatch(/came to the front/);
  });

  it('treats a window it could not read as possibly listed, only when there is a list', () => {
    expect(privacyPause(list, unreadable)).toMatch(/could not be read \(xprop stopped\)/);
    expect(privacyPause(list, shell, unreadable)).toMatch(
      /after capturing \(xprop stopped\); the image was dropped/,
    );
    expect(privacyPause([], unreadable, unreadable)).toBeNull();
    expect(privacyPause(['  '], unreadable)).toBeNull();
  });
});
