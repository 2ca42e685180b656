/**
 * Which kind of desktop session the agent runs in, from the environment a
 * session sets. A Wayland session often sets DISPLAY too (XWayland), and
 * then the X11 tools the Linux adapters use see only the XWayland clients:
 * the foreground window, the input idle time and the screen they report are
 * not the desktop's. Issue #12 saw every collector "running" there.
 *
 * XDG_SESSION_TYPE says it when the session manager set it (logind); when it
 * is absent or neither x11 nor wayland, WAYLAND_DISPLAY decides.
 */
export type DisplaySession =
  | { readonly kind: 'x11'; readonly display: string }
  | { readonly kind: 'wayland'; readonly evidence: string }
  | { readonly kind: 'none' };

export function detectDisplaySession(env: Readonly<Record<string, string | undefined>>): DisplaySession {
  const type = env.XDG_SESSION_TYPE?.trim().toLowerCase() ?? '';
  const waylandDisplay = env.WAYLAND_DISPLAY?.trim() ?? '';
  const display = env.DISPLAY?.trim() ?? '';
  if (type === 'wayland') return { kind: 'wayland', evidence: 'XDG_SESSION_TYPE=wayland' };
  if (type !== 'x11' && waylandDisplay)
    return { kind: 'wayland', evidence: `WAYLAND_DISPLAY=${waylandDisplay}` };
  return display ? { kind: 'x11', display } : { kind: 'none' };
}

/** Why an X11-only capability cannot work in this Wayland session, for the collector's status. */
export function waylandReason(session: { readonly evidence: string }, capability: string): string {
  return `Wayland session (${session.evidence}): ${capability}; X11 tools see only XWayland windows here, even with DISPLAY set`;
}
