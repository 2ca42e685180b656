/**
 * Picks and probes one adapter per capability for this OS. Every probe is
 * isolated: one that throws becomes "unavailable" with its reason, and the
 * agent runs with the rest.
 */

import { detectDisplaySession, waylandReason } from '../core/display-session.js';
import { createGetWindowsActiveWindow } from './activity/active-window.get-windows.js';
import type { ActiveWindowPort } from './activity/active-window.port.js';
import { unavailableActiveWindow } from './activity/active-window.unavailable.js';
import { createXpropSpyActiveWindow } from './activity/active-window.xprop-spy.js';
import type { CollectorProbes } from './collector-supervisor.js';
import { createPnpPowershellDevices } from './devices/devices.pnp-powershell.js';
import type { DevicesPort } from './devices/devices.port.js';
import { createSysfsDevices } from './devices/devices.sysfs.js';
import { createSystemProfilerDevices } from './devices/devices.system-profiler.js';
import { createSysteminformationDevices } from './devices/devices.systeminformation.js';
import { unavailableDevices } from './devices/devices.unavailable.js';
import { createIoregIdleTime } from './idle/idle-time.ioreg.js';
import type { IdleTimePort } from './idle/idle-time.port.js';
import { createPowershellIdleTime } from './idle/idle-time.powershell.js';
import { unavailableIdleTime } from './idle/idle-time.unavailable.js';
import { createX11ScreensaverIdleTime } from './idle/idle-time.x11-screensaver.js';
import { createOsInterfacesNetwork } from './network/network.os-interfaces.js';
import { errorMessage, type Probe, unavailable } from './probe.js';
import { createSharpImageEncoder } from './screenshot/image-encoder.sharp.js';
import { createNodeScreenshotsCapture } from './screenshot/screen-capture.node-screenshots.js';
import type { ScreenCapturePort } from './screenshot/screen-capture.port.js';
import { unavailableScreenCapture } from './screenshot/screen-capture.unavailable.js';

const DESKTOP = new Set<NodeJS.Platform>(['linux', 'win32', 'darwin']);

async function isolated<T>(what: string, factory: () => Promise<Probe<T>> | Probe<T>): Promise<Probe<T>> {
  try {
    return await factory();
  } catch (error) {
    return unavailable(`${what}: ${errorMessage(error)}`);
  }
}

/**
 * Our own command adapter first (its parsing is tested on recorded output);
 * systeminformation only when ours cannot run, and both reasons when neither can.
 */
async function withFallback(
  ours: Promise<Probe<DevicesPort>>,
  fallback: () => Promise<Probe<DevicesPort>>,
): Promise<Probe<DevicesPort>> {
  const first = await ours;
  if (first.ok) return first;
  const second = await fallback();
  return second.ok ? second : unavailable(`${first.reason}; ${second.reason}`);
}

export async function probeCollectors(
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
): Promise<CollectorProbes> {
  // On Linux the foreground window, idle time and screenshots go through X11, which in a Wayland
  // session (XWayland, DISPLAY set) shows only part of the desktop: those are unavailable there.
  const session = platform === 'linux' ? detectDisplaySession(env) : null;
  const wayland = session?.kind === 'wayland' ? session : null;
  const [activeWindow, idleTime, screen, encoder, devices, network] = await Promise.all([
    isolated('active window', () =>
      wayland
        ? unavailable<ActiveWindowPort>(waylandReason(wayland, 'the foreground window cannot be read'))
        : platform === 'linux'
          ? createXpropSpyActiveWindow(env)
          : platform === 'win32' || platform === 'darwin'
            ? createGetWindowsActiveWindow()
            : unavailableActiveWindow(platform),
    ),
    isolated('idle time', () =>
      wayland
        ? unavailable<IdleTimePort>(waylandReason(wayland, 'the input idle time cannot be read'))
        : platform === 'linux'
          ? createX11ScreensaverIdleTime(env)
          : platform === 'win32'
            ? createPowershellIdleTime(env)
            : platform === 'darwin'
              ? createIoregIdleTime(env)
              : unavailableIdleTime(platform),
    ),
    isolated('screen capture', () =>
      wayland
        ? unavailable<ScreenCapturePort>(
            waylandReason(
              wayland,
              'screen capture needs the desktop portal, which this agent does not use; no screenshots are taken',
            ),
          )
        : DESKTOP.has(platform)
          ? createNodeScreenshotsCapture(platform, env)
          : unavailableScreenCapture(platform),
    ),
    isolated('image encoder', () => createSharpImageEncoder()),
    isolated('devices', () =>
      platform === 'linux'
        ? createSysfsDevices()
        : platform === 'win32'
          ? withFallback(createPnpPowershellDevices({ env }), createSysteminformationDevices)
          : platform === 'darwin'
            ? withFallback(createSystemProfilerDevices({ env }), createSysteminformationDevices)
            : unavailableDevices(platform),
    ),
    isolated('network', () => createOsInterfacesNetwork()),
  ]);
  return { activeWindow, idleTime, screen, encoder, devices, network };
}
