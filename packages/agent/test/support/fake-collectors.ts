/**
 * Strict fakes of the OS-facing ports, for what cannot be real here (USB
 * hardware) or must be steered by a test (the title, the idle time). Each
 * implements the same port as its real adapter.
 */

import type { ActiveWindow, ActiveWindowPort } from '../../src/collectors/activity/active-window.port.js';
import type { CollectorProbes } from '../../src/collectors/collector-supervisor.js';
import type { DevicesPort } from '../../src/collectors/devices/devices.port.js';
import type { IdleTimePort } from '../../src/collectors/idle/idle-time.port.js';
import type { NetworkInfo, NetworkPort } from '../../src/collectors/network/network.port.js';
import { available, type Probe } from '../../src/collectors/probe.js';
import { createSharpImageEncoder } from '../../src/collectors/screenshot/image-encoder.sharp.js';
import type { MonitorFrame, ScreenCapturePort } from '../../src/collectors/screenshot/screen-capture.port.js';
import type { DeviceInfo } from '../../src/core/device-diff.js';
import type { IdleReading } from '../../src/core/idle-machine.js';

export class FakeActiveWindow implements ActiveWindowPort {
  readonly name = 'fake-window';
  window: ActiveWindow | null = { app: 'XTerm', title: 'ticket 4711 — CRM' };
  failure: Error | null = null;
  closed = false;
  async current() {
    if (this.failure) throw this.failure;
    return this.window;
  }
  close() {
    this.closed = true;
  }
}

export class FakeIdleTime implements IdleTimePort {
  readonly name = 'fake-idle';
  reading: IdleReading = { idleMs: 0, locked: false };
  closed = false;
  async read() {
    return this.reading;
  }
  close() {
    this.closed = true;
  }
}

/** Frames with a pattern a test can change, so "changed" and "unchanged" are real image comparisons. */
export class FakeScreen implements ScreenCapturePort {
  readonly name = 'fake-screen';
  variant = 1;
  blank = false;
  monitors = 1;
  failure: Error | null = null;
  captures = 0;
  /** Runs after each monitor's frame is taken: a test changes the desktop in the middle of a capture. */
  afterFrame: ((monitor: number) => void) | null = null;
  async *captureEach(): AsyncGenerator<MonitorFrame> {
    if (this.failure) throw this.failure;
    this.captures++;
    for (let monitor = 0; monitor < this.monitors; monitor++) {
      const taken = frame(monitor, 320, 200, this.blank ? 0 : this.variant + monitor);
      this.afterFrame?.(monitor);
      yield taken;
    }
  }
}

function frame(monitor: number, width: number, height: number, variant: number): MonitorFrame {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      // Bands whose position depends on the variant: different variants differ structurally.
      const v =
        variant === 0
          ? 0
          : ((Math.floor((x * variant) / 23) + Math.floor((y * (variant + 2)) / 17)) % 2) * 200 + 30;
      rgba[i] = v;
      rgba[i + 1] = v;
      rgba[i + 2] = v;
      rgba[i + 3] = 255;
    }
  }
  return { monitor, width, height, channels: 4, pixels: rgba };
}

export class FakeDevices implements DevicesPort {
  readonly name = 'fake-devices';
  devices: DeviceInfo[] = [];
  async list() {
    return [...this.devices];
  }
}

export class FakeNetwork implements NetworkPort {
  readonly name = 'fake-network';
  info: NetworkInfo = {
    hostname: 'seat-042',
    osUser: 'operator1',
    localIps: ['10.1.2.42'],
    gateway: '10.1.2.1',
  };
  async read() {
    return this.info;
  }
}

export const usbStick: DeviceInfo = {
  id: 'usb:0781:5583:4C530001',
  vendorId: '0781',
  productId: '5583',
  name: 'Ultra Fit',
  manufacturer: 'SanDisk',
  serial: '4C530001',
  deviceClass: 'Mass Storage',
  massStorage: true,
};

export interface Fakes {
  window: FakeActiveWindow;
  idle: FakeIdleTime;
  screen: FakeScreen;
  devices: FakeDevices;
  network: FakeNetwork;
  probes: CollectorProbes;
}

export async function fakeCollectors(overrides: Partial<CollectorProbes> = {}): Promise<Fakes> {
  const window = new FakeActiveWindow();
  const idle = new FakeIdleTime();
  const screen = new FakeScreen();
  const devices = new FakeDevices();
  const network = new FakeNetwork();
  const encoder = await createSharpImageEncoder();
  const probes: CollectorProbes = {
    activeWindow: available(window) as Probe<ActiveWindowPort>,
    idleTime: available(idle) as Probe<IdleTimePort>,
    screen: available(screen) as Probe<ScreenCapturePort>,
    encoder,
    devices: available(devices) as Probe<DevicesPort>,
    network: available(network) as Probe<NetworkPort>,
    ...overrides,
  };
  return { window, idle, screen, devices, network, probes };
}
