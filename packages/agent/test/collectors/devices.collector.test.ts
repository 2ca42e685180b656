import type { Systeminformation } from 'systeminformation';
import { describe, expect, it } from 'vitest';
import { createDevicesCollector } from '../../src/collectors/devices/devices.collector.js';
import {
  fromBlock,
  fromUsb,
  isRemovableDisk,
} from '../../src/collectors/devices/devices.systeminformation.js';
import { available } from '../../src/collectors/probe.js';
import type { DeviceInfo } from '../../src/core/device-diff.js';
import { testContext } from '../support/collector-context.js';
import { FakeDevices, usbStick } from '../support/fake-collectors.js';

function memory(initial: DeviceInfo[] | null) {
  let saved = initial;
  return {
    load: () => saved,
    save: (devices: readonly DeviceInfo[]) => {
      saved = [...devices];
    },
    get saved() {
      return saved;
    },
  };
}

describe('devices collector', () => {
  it('reports a USB stick attached and detached within one scan interval', async () => {
    const t = testContext({ deviceScanMs: 2000 });
    const devices = new FakeDevices();
    const mem = memory(null);
    const collector = createDevicesCollector(t.ctx, available(devices), mem);
    collector.start();
    await t.clock.advance(0);
    expect(t.events).toEqual([]);
    devices.devices = [usbStick];
    await t.clock.advance(2000);
    expect(t.events).toEqual([{ type: 'device_attached', time: t.clock.now(), device: usbStick }]);
    expect(mem.saved).toEqual([usbStick]);
    devices.devices = [];
    await t.clock.advance(2000);
    expect(t.events[1]).toMatchObject({
      type: 'device_detached',
      device: { id: usbStick.id, massStorage: true },
    });
    collector.stop();
  });

  it('reports what changed while the agent was not running', async () => {
    const t = testContext();
    const devices = new FakeDevices();
    const keyboard = {
      ...usbStick,
      id: 'usb:046d:c31c:kbd',
      name: 'Keyboard',
      massStorage: false,
      deviceClass: 'HID',
    };
    devices.devices = [usbStick];
    const collector = createDevicesCollector(t.ctx, available(devices), memory([keyboard]));
    collector.start();
    await t.clock.advance(0);
    expect(t.events.map((e) => e.type)).toEqual(['device_detached', 'device_attached']);
    collector.stop();
  });

  it('maps systeminformation records to devices', () => {
    expect(
      fromUsb({
        id: '0781:5583',
        bus: 1,
        deviceId: 4,
        name: 'Ultra Fit',
        type: 'Mass Storage',
        removable: false,
        vendor: 'SanDisk Corp.',
        manufacturer: 'SanDisk',
        maxPower: '224mA',
        serialNumber: '4C530001',
      }),
    ).toEqual(usbStick);
    const block: Systeminformation.BlockDevicesData = {
      name: 'sdb',
      type: 'disk',
      fsType: '',
      mount: '',
      size: 1,
      physical: 'SSD',
      uuid: '',
      label: '',
      model: 'Ultra Fit',
      serial: 'ABC',
      removable: true,
      protocol: 'usb',
      group: '',
      device: '/dev/sdb',
      identifier: 'sdb',
    };
    expect(isRemovableDisk(block)).toBe(true);
    expect(isRemovableDisk({ ...block, removable: false, protocol: 'nvme' })).toBe(false);
    expect(fromBlock(block)).toMatchObject({
      id: 'block:ABC',
      name: 'Ultra Fit',
      massStorage: true,
      deviceClass: 'usb',
    });
  });
});
