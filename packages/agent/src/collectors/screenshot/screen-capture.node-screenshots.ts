/**
 * Screenshots of every monitor through node-screenshots (XCB/X11 on Linux,
 * DXGI/GDI on Windows, ScreenCaptureKit/CoreGraphics on macOS). Imported
 * inside the factory: without a display, or on a Wayland session without an
 * X server, the probe says so instead of the agent crashing or sending black
 * frames. The library's X11 connection reads DISPLAY from the process
 * environment itself; `env` only decides whether to try.
 */
import { available, errorMessage, type Probe, unavailable } from '../probe.js';
import type { MonitorFrame, ScreenCapturePort } from './screen-capture.port.js';

export async function createNodeScreenshotsCapture(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Probe<ScreenCapturePort>> {
  if (platform === 'linux' && !env.DISPLAY) {
    return unavailable(
      env.WAYLAND_DISPLAY || env.XDG_SESSION_TYPE === 'wayland'
        ? 'Wayland session: screen capture needs the desktop portal, which this agent does not use; no screenshots are taken'
        : 'no X11 display (DISPLAY is not set): no screenshots are taken',
    );
  }
  let Monitor: typeof import('node-screenshots').Monitor;
  try {
    ({ Monitor } = await import('node-screenshots'));
    if (Monitor.all().length === 0) return unavailable('no monitor found');
  } catch (error) {
    return unavailable(`node-screenshots cannot capture here: ${errorMessage(error)}`);
  }
  return available({
    name: 'node-screenshots',
    async *captureEach(): AsyncGenerator<MonitorFrame> {
      const monitors = Monitor.all().sort(
        (a, b) => Number(b.isPrimary()) - Number(a.isPrimary()) || a.x() - b.x() || a.y() - b.y(),
      );
      for (const [index, monitor] of monitors.entries()) {
        const image = await monitor.captureImage();
        const pixels = await image.toRaw();
        yield { monitor: index, width: image.width, height: image.height, channels: 4, pixels };
      }
    },
  });
}
