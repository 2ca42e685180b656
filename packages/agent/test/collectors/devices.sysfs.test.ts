/**
 * The real sysfs devices adapter (parsing, diffing, change watching) and the
 * devices collector, driven through a folder shaped like sysfs: USB hardware
 * cannot be plugged in here, so the fixture's folders and files stand in for
 * the kernel's (test/support/sysfs-fixture.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createDevicesCollector } from '../../src/collectors/devices/devices.collector.js';
import { createSysfsDevices } from '../../src/collectors/devices/devices.sysfs.js';
import type { DeviceInfo } from '../../src/core/device-diff.js';
import { testContext } from '../support/collector-context.js';
import { usbStick } from '../support/fake-collectors.js';
import { SysfsFixture, type UsbSpec } from '../support/sysfs-fixture.js';

const stick: UsbSpec = {
  port: '1-2',
  vendorId: '0781',
  productId: '5583',
  manufacturer: 'SanDisk',
  product: 'Ultra Fit',
  serial: '4C530001',
  interfaceClasses: ['08'],
  devnum: 4,
  disk: { name: 'sdb', sectors: 60_088_320, vendor: 'SanDisk', model: 'Ultra Fit' },
};
const stickDisk: DeviceInfo = {
  id: 'block:4C530001',
  vendorId: null,
  productId: null,
  name: 'SanDisk Ultra Fit (31 GB)',
  manufacturer: 'SanDisk',
  serial: '4C530001',
  deviceClass: 'usb',
  massStorage: true,
};
const keyboard: UsbSpec = {
  port: '1-1.3',
  vendorId: '046d',
  productId: 'c31c',
  manufacturer: 'Logitech',
  product: 'USB Keyboard',
  interfaceClasses: ['03', '03'],
  devnum: 5,
};

const fixtures: SysfsFixture[] = [];
const machine = () => {
  const sys = SysfsFixture.machine();
  fixtures.push(sys);
  return sys;
};
afterEach(() => {
  for (const sys of fixtures.splice(0)) sys.close();
});

function memory() {
  let saved: DeviceInfo[] | null = null;
  return {
    load: () => saved,
    save(devices: readonly DeviceInfo[]) {
      saved = [...devices];
    },
  };
}

/** Polls the real fs.watch/readdir path in real time, against a deadline. */
async function within<T>(ms: number, check: () => T | undefined): Promise<{ value: T; elapsedMs: number }> {
  const started = performance.now();
  for (;;) {
    const value = check();
    if (value !== undefined) return { value, elapsedMs: performance.now() - started };
    if (performance.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('sysfs devices adapter', () => {
  it('lists USB devices with their ids, strings and class, and removable disks; not root hubs, fixed disks or loops', async () => {
    const sys = machine();
    const probe = await createSysfsDevices({ root: sys.root });
    expect(probe.ok).toBe(true);
    if (!probe.ok) return;
    expect(await probe.port.list()).toEqual([]);
    expect(probe.port.gaps?.()).toEqual([]);

    sys.plugUsb(stick);
    sys.plugUsb(keyboard);
    // A card reader without a card: a removable disk of size 0 is nothing to copy to.
    sys.files('devices/pci0000:00/0000:00:1d.0/mmc0/block/mmcblk0', { removable: '1', size: '0' });
    sys.link('block/mmcblk0', 'devices/pci0000:00/0000:00:1d.0/mmc0/block/mmcblk0');
    expect(await probe.port.list()).toEqual([
      {
        id: 'usb:046d:c31c:1-5',
        vendorId: '046d',
        productId: 'c31c',
        name: 'USB Keyboard',
        manufacturer: 'Logitech',
        serial: null,
        deviceClass: 'HID',
        massStorage: false,
      },
      // The same record (and id) the systeminformation adapter produced for this stick.
      usbStick,
      stickDisk,
    ]);

    // The card goes in: the reader's disk gets a size.
    sys.files('devices/pci0000:00/0000:00:1d.0/mmc0/block/mmcblk0', { size: '31116288' });
    expect((await probe.port.list()).find((d) => d.id === 'block:mmcblk0')).toEqual({
      id: 'block:mmcblk0',
      vendorId: null,
      productId: null,
      name: 'mmcblk0 (16 GB)',
      manufacturer: null,
      serial: null,
      deviceClass: 'disk',
      massStorage: true,
    });
  });

  it('sees a stick attached and detached within 2 s, without waiting for the scan interval', async () => {
    const sys = machine();
    const probe = await createSysfsDevices({ root: sys.root, pollMs: 500 });
    // The policy's interval is a minute and the test clock never moves: only a seen change scans.
    const t = testContext({ deviceScanMs: 60_000 });
    const collector = createDevicesCollector(t.ctx, probe, memory());
    collector.start();
    await t.clock.advance(0);
    expect(t.events).toEqual([]);
    expect(collector.status()).toEqual({
      state: 'running',
      detail:
        'USB and removable-storage attach/detach, checked every 60 s and on every change seen, via sysfs',
    });

    sys.plugUsb(stick);
    const attached = await within(2000, () => (t.events.length >= 2 ? t.events : undefined));
    expect(attached.value).toEqual([
      { type: 'device_attached', time: t.clock.now(), device: usbStick },
      { type: 'device_attached', time: t.clock.now(), device: stickDisk },
    ]);

    sys.unplugUsb(stick);
    const detached = await within(2000, () => (t.events.length >= 4 ? t.events.slice(2) : undefined));
    expect(detached.value.map((e) => [e.type, 'device' in e ? e.device.id : null])).toEqual([
      ['device_detached', usbStick.id],
      ['device_detached', stickDisk.id],
    ]);
    expect(t.errors).toEqual([]);
    collector.stop();

    // Stopped: a change is no longer scanned. (Waiting out two poll periods: what is checked is that
    // nothing happens, which a slow machine cannot turn into a false failure.)
    sys.plugUsb(keyboard);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(t.events).toHaveLength(4);
  });

  it('without USB in sysfs: "unavailable" with the reason, reported to the server, removable disks still seen', async () => {
    const sys = machine();
    sys.plugUsb(stick);
    sys.remove('bus/usb');
    const probe = await createSysfsDevices({ root: sys.root });
    const t = testContext();
    const collector = createDevicesCollector(t.ctx, probe, memory());
    collector.start();
    await t.clock.advance(0);
    const reason = `USB devices cannot be read (${sys.root}/bus/usb/devices does not exist); only removable disks are reported`;
    expect(collector.status()).toEqual({ state: 'unavailable', detail: reason });
    expect(t.errors).toEqual([{ collector: 'devices', message: reason }]);
    if (!probe.ok) throw new Error(probe.reason);
    expect(await probe.port.list()).toEqual([stickDisk]);
    collector.stop();
  });

  it('with neither folder: the probe is unavailable, and the collector says so at start', async () => {
    const sys = machine();
    sys.remove('bus');
    sys.remove('block');
    const probe = await createSysfsDevices({ root: sys.root });
    expect(probe).toEqual({
      ok: false,
      reason: `sysfs shows neither USB devices (${sys.root}/bus/usb/devices does not exist) nor block devices (${sys.root}/block does not exist)`,
    });
    const t = testContext();
    const collector = createDevicesCollector(t.ctx, probe, memory());
    collector.start();
    expect(collector.status()).toMatchObject({
      state: 'unavailable',
      detail: expect.stringContaining('neither'),
    });
    expect(t.errors).toEqual([{ collector: 'devices', message: expect.stringContaining('neither') }]);
    collector.stop();
  });
});
