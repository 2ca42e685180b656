/**
 * The macOS (system_profiler) and Windows (PowerShell Get-PnpDevice and
 * Win32_DiskDrive) devices adapters, run here on Linux through their own
 * code: the parsers on fixture files written in the shape those commands
 * print (fixtures/macos, fixtures/windows: system_profiler's `"key" : value`
 * JSON; PowerShell 5.1's one compressed line ending in CRLF, with its
 * \u0026 escapes), and the adapters with a stand-in command on the PATH that
 * prints a fixture, polled by the real devices collector and diffed by
 * core/device-diff.ts. What stays untested: that every macOS and Windows
 * version prints the same (docs/agent.md, "Tested here, and not").
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { until } from '@seatwatch/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createDevicesCollector } from '../../src/collectors/devices/devices.collector.js';
import {
  createPnpPowershellDevices,
  PNP_ARGS,
  parsePnpDevices,
} from '../../src/collectors/devices/devices.pnp-powershell.js';
import {
  createSystemProfilerDevices,
  parseSystemProfilerUsb,
} from '../../src/collectors/devices/devices.system-profiler.js';
import type { DeviceInfo } from '../../src/core/device-diff.js';
import { testContext } from '../support/collector-context.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-devices-recorded-'));

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const macStick: DeviceInfo = {
  id: 'usb:0781:5583:4C530001230517115203',
  vendorId: '0781',
  productId: '5583',
  name: 'Ultra Fit',
  manufacturer: 'SanDisk',
  serial: '4C530001230517115203',
  deviceClass: 'Mass Storage',
  massStorage: true,
};
const macStickDisk: DeviceInfo = {
  id: 'block:4C530001230517115203',
  vendorId: null,
  productId: null,
  name: 'Ultra Fit (30.75 GB)',
  manufacturer: 'SanDisk',
  serial: '4C530001230517115203',
  deviceClass: 'usb',
  massStorage: true,
};

const MAC_ALL: DeviceInfo[] = [
  {
    id: 'usb:046d:c52b:0x01140000',
    vendorId: '046d',
    productId: 'c52b',
    name: 'USB Receiver',
    manufacturer: 'Logitech',
    serial: null,
    deviceClass: null,
    massStorage: false,
  },
  {
    id: 'usb:0951:1666:E0D55EA574B6F450A8C9034C',
    vendorId: '0951',
    productId: '1666',
    name: 'Clé USB Größe',
    manufacturer: 'Kingston',
    serial: 'E0D55EA574B6F450A8C9034C',
    deviceClass: 'Mass Storage',
    massStorage: true,
  },
  {
    id: 'block:E0D55EA574B6F450A8C9034C',
    vendorId: null,
    productId: null,
    name: 'DataTraveler 3.0 (15.5 GB)',
    manufacturer: 'Kingston',
    serial: 'E0D55EA574B6F450A8C9034C',
    deviceClass: 'usb',
    massStorage: true,
  },
  macStick,
  macStickDisk,
  {
    id: 'usb:05ac:0321:F0T1234567AB',
    vendorId: '05ac',
    productId: '0321',
    name: 'Magic Keyboard with Touch ID',
    manufacturer: 'Apple Inc.',
    serial: 'F0T1234567AB',
    deviceClass: null,
    massStorage: false,
  },
];

const winStick: DeviceInfo = {
  id: 'usb:0781:5583:4C530001230517115203',
  vendorId: '0781',
  productId: '5583',
  name: 'USB Mass Storage Device',
  manufacturer: 'Compatible USB storage device',
  serial: '4C530001230517115203',
  deviceClass: 'USB',
  massStorage: true,
};
const winStickDisk: DeviceInfo = {
  id: 'block:4C530001230517115203',
  vendorId: null,
  productId: null,
  name: 'SanDisk Ultra Fit USB Device (31 GB)',
  manufacturer: null,
  serial: '4C530001230517115203',
  deviceClass: 'usb',
  massStorage: true,
};

const WIN_ALL: DeviceInfo[] = [
  {
    // No serial: Windows made the instance id up, and it is the place the receiver is plugged.
    id: 'usb:046d:c52b:USB\\VID_046D&PID_C52B\\5&2A7E3F2B&0&3',
    vendorId: '046d',
    productId: 'c52b',
    name: 'USB Composite Device',
    manufacturer: '(Standard USB Host Controller)',
    serial: null,
    deviceClass: 'USB',
    massStorage: false,
  },
  winStick,
  {
    id: 'usb:04e8:6860:R58N12ABCDE',
    vendorId: '04e8',
    productId: '6860',
    name: 'Téléphone de Zoë',
    manufacturer: 'Samsung Electronics Co., Ltd.',
    serial: 'R58N12ABCDE',
    deviceClass: 'WPD',
    massStorage: false,
  },
  {
    id: 'usb:413c:2113:USB\\VID_413C&PID_2113\\5&3A4B5C6D&0&4',
    vendorId: '413c',
    productId: '2113',
    name: 'USB 输入设备',
    manufacturer: '(Standard system devices)',
    serial: null,
    deviceClass: 'HIDClass',
    massStorage: false,
  },
  winStickDisk,
];

describe('macOS: system_profiler SPUSBDataType -json', () => {
  it('lists the devices under every bus, hubs left out and what hangs off them kept, sticks with their disks', () => {
    expect(parseSystemProfilerUsb(fixture('macos/system_profiler-SPUSBDataType-json.json'))).toEqual(MAC_ALL);
  });

  it('lists nothing when the buses have nothing plugged in', () => {
    expect(parseSystemProfilerUsb(fixture('macos/system_profiler-SPUSBDataType-json.empty.json'))).toEqual(
      [],
    );
  });

  it('refuses output that is not the USB report, rather than reporting no devices', () => {
    expect(() => parseSystemProfilerUsb('{"SPDisplaysDataType":[]}')).toThrow(/no SPUSBDataType/);
    expect(() => parseSystemProfilerUsb('')).toThrow();
  });
});

describe('Windows: PowerShell Get-PnpDevice and Win32_DiskDrive', () => {
  it('lists USB devices of every class and removable disks; interfaces of a composite device and hubs left out', () => {
    expect(parsePnpDevices(fixture('windows/powershell-pnp-devices.json'))).toEqual(WIN_ALL);
  });

  it('lists nothing for empty lists', () => {
    expect(parsePnpDevices(fixture('windows/powershell-pnp-devices.empty.json'))).toEqual([]);
  });

  it('reads a list however ConvertTo-Json wrote it: one object, null, or wrapped as {value, Count}', () => {
    const stick = JSON.parse(fixture('windows/powershell-pnp-devices.json')).devices[3];
    expect(parsePnpDevices(JSON.stringify({ devices: stick, disks: null }))).toEqual([winStick]);
    expect(parsePnpDevices(`\uFEFF${JSON.stringify({ devices: { value: [stick], Count: 1 } })}\r\n`)).toEqual(
      [winStick],
    );
  });

  it('refuses output that is not the device object, rather than reporting no devices', () => {
    expect(() => parsePnpDevices('\r\n')).toThrow(/printed nothing/);
    expect(() => parsePnpDevices('[]')).toThrow(/no device object/);
  });
});

/**
 * A stand-in for `program` that records its arguments and how often it ran, and prints the
 * fixture named in `state` (the test writes another name there to plug a device in).
 */
function standIn(name: string, program: string, first: string) {
  const bin = path.join(work, name);
  fs.mkdirSync(bin);
  const state = path.join(bin, 'prints');
  const args = path.join(bin, 'args');
  const runs = path.join(bin, 'runs');
  fs.writeFileSync(state, path.join(FIXTURES, first));
  fs.writeFileSync(
    path.join(bin, program),
    `#!/bin/sh\nprintf '%s\\0' "$@" > "${args}"\necho run >> "${runs}"\ncat "$(cat "${state}")"\n`,
    { mode: 0o755 },
  );
  return {
    env: { PATH: `${bin}:/usr/bin:/bin` },
    prints: (fixtureName: string) => fs.writeFileSync(state, path.join(FIXTURES, fixtureName)),
    args: () => fs.readFileSync(args, 'utf8').replace(/\0$/, '').split('\0'),
    runs: () => fs.readFileSync(runs, 'utf8').split('\n').filter(Boolean).length,
  };
}

describe.each([
  {
    os: 'macOS',
    program: 'system_profiler',
    create: createSystemProfilerDevices,
    empty: 'macos/system_profiler-SPUSBDataType-json.empty.json',
    full: 'macos/system_profiler-SPUSBDataType-json.json',
    args: ['SPUSBDataType', '-json'],
    all: MAC_ALL,
    name: 'system_profiler',
  },
  {
    os: 'Windows',
    program: 'powershell.exe',
    create: createPnpPowershellDevices,
    empty: 'windows/powershell-pnp-devices.empty.json',
    full: 'windows/powershell-pnp-devices.json',
    args: [...PNP_ARGS],
    all: WIN_ALL,
    name: 'powershell Get-PnpDevice',
  },
])('the $os adapter through a stand-in $program, polled by the devices collector', (c) => {
  it('reports what is plugged in and pulled out, running the command no more often than its interval', async () => {
    const cmd = standIn(c.os, c.program, c.empty);
    const t = testContext({ deviceScanMs: 2000 });
    const probe = await c.create({ env: cmd.env, minIntervalMs: 10_000, now: () => t.clock.now() });
    if (!probe.ok) throw new Error(probe.reason);
    expect(cmd.args()).toEqual(c.args);
    let saved: readonly DeviceInfo[] | null = null;
    const collector = createDevicesCollector(t.ctx, probe, {
      load: () => null,
      save: (devices) => {
        saved = devices;
      },
    });
    collector.start();
    await t.clock.advance(0);
    await until('the first scan', () => saved !== null);
    expect(t.events).toEqual([]);
    expect(collector.status()).toEqual({
      state: 'running',
      detail: `USB and removable-storage attach/detach, checked every 2 s, via ${c.name}`,
    });

    cmd.prints(c.full);
    // Two scans within the interval reuse the last list: the command ran once (the probe).
    await t.clock.advance(2000);
    await t.clock.advance(2000);
    expect(cmd.runs()).toBe(1);
    expect(t.events).toEqual([]);
    await t.clock.advance(6000);
    const attached = await until('the devices attached', () => t.events.length >= c.all.length && t.events);
    expect(attached).toEqual(
      c.all.map((device) => ({ type: 'device_attached', time: t.clock.now(), device })),
    );
    expect(cmd.runs()).toBe(2);

    cmd.prints(c.empty);
    await t.clock.advance(10_000);
    await until('the devices detached', () => t.events.length >= 2 * c.all.length);
    expect(t.events.slice(c.all.length).map((e) => [e.type, 'device' in e ? e.device.id : null])).toEqual(
      c.all.map((device) => ['device_detached', device.id]),
    );
    expect(t.errors).toEqual([]);
    collector.stop();
  });

  it('is unavailable, with the reason, when the command fails', async () => {
    const bin = path.join(work, `${c.os}-failing`);
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, c.program), '#!/bin/sh\necho "access denied" >&2\nexit 1\n', {
      mode: 0o755,
    });
    const probe = await c.create({ env: { PATH: `${bin}:/usr/bin:/bin` } });
    expect(probe.ok).toBe(false);
    if (!probe.ok)
      expect(probe.reason).toBe(`${c.name} cannot list devices: ${c.program} exited with 1 (access denied)`);
  });
});
