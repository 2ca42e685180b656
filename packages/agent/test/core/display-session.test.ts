import { describe, expect, it } from 'vitest';
import { detectDisplaySession, waylandReason } from '../../src/core/display-session.js';

describe('detectDisplaySession', () => {
  it('finds Wayland from XDG_SESSION_TYPE or WAYLAND_DISPLAY, even with DISPLAY set (XWayland)', () => {
    expect(detectDisplaySession({ XDG_SESSION_TYPE: 'wayland', DISPLAY: ':0' })).toEqual({
      kind: 'wayland',
      evidence: 'XDG_SESSION_TYPE=wayland',
    });
    expect(detectDisplaySession({ WAYLAND_DISPLAY: 'wayland-0', DISPLAY: ':0' })).toEqual({
      kind: 'wayland',
      evidence: 'WAYLAND_DISPLAY=wayland-0',
    });
    expect(detectDisplaySession({ XDG_SESSION_TYPE: 'tty', WAYLAND_DISPLAY: 'wayland-1' })).toMatchObject({
      kind: 'wayland',
    });
    expect(detectDisplaySession({ XDG_SESSION_TYPE: 'Wayland' })).toMatchObject({ kind: 'wayland' });
  });

  it('is X11 when the session says x11 or only DISPLAY is set, and none without either', () => {
    expect(detectDisplaySession({ DISPLAY: ':1' })).toEqual({ kind: 'x11', display: ':1' });
    // logind's own word wins over a stray WAYLAND_DISPLAY (a nested compositor in an X session).
    expect(
      detectDisplaySession({ XDG_SESSION_TYPE: 'x11', WAYLAND_DISPLAY: 'wayland-9', DISPLAY: ':0' }),
    ).toEqual({ kind: 'x11', display: ':0' });
    expect(detectDisplaySession({})).toEqual({ kind: 'none' });
    expect(detectDisplaySession({ DISPLAY: '  ', WAYLAND_DISPLAY: '' })).toEqual({ kind: 'none' });
  });

  it('says why in words', () => {
    expect(
      waylandReason({ evidence: 'WAYLAND_DISPLAY=wayland-0' }, 'the foreground window cannot be read'),
    ).toBe(
      'Wayland session (WAYLAND_DISPLAY=wayland-0): the foreground window cannot be read; X11 tools see only XWayland windows here, even with DISPLAY set',
    );
  });
});
