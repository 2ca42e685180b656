/**
 * Windows and macOS foreground window through get-windows (a native
 * binding on Windows, a bundled Swift helper on macOS). Not used on Linux,
 * where get-windows launches xprop/xwininfo three times per call (see
 * active-window.xprop-spy.ts). Imported inside the factory so a missing or
 * broken binding is a probe result.
 */
import { available, errorMessage, type Probe, unavailable } from '../probe.js';
import type { ActiveWindowPort } from './active-window.port.js';

export async function createGetWindowsActiveWindow(): Promise<Probe<ActiveWindowPort>> {
  let activeWindow: typeof import('get-windows').activeWindow;
  try {
    ({ activeWindow } = await import('get-windows'));
    // macOS: no prompt for accessibility (we need no URL); the title needs screen-recording permission.
    await activeWindow({ accessibilityPermission: false, screenRecordingPermission: true });
  } catch (error) {
    return unavailable(`get-windows cannot read the active window: ${errorMessage(error)}`);
  }
  return available({
    name: 'get-windows',
    async current() {
      const result = await activeWindow({ accessibilityPermission: false, screenRecordingPermission: true });
      return result ? { app: result.owner.name, title: result.title ?? '' } : null;
    },
    close() {},
  });
}
