/**
 * USB devices and removable block devices through systeminformation
 * (`usb()` and `blockDevices()`). Those launch lsusb/lsblk (Linux),
 * PowerShell (Windows) or ioreg/diskutil (macOS), far too costly every 2 s;
 * on Linux the adapter first compares a cheap fingerprint of /sys (the
 * entries of /sys/bus/usb/devices and /sys/block) and asks
 * systeminformation again only when it changed. On Windows and macOS it
 * asks every time (NOT TESTED there; see docs/agent.md).
 */
import fs from 'node:fs';
import type { DeviceInfo } from '../../core/device-diff.js';
import { available, errorMessage, type Probe, unavailable } from '../probe.js';
import type { DevicesPort } from './devices.port.js';

type Si = typeof import('systeminformation');

export async function createSysteminformationDevices(
  platform: NodeJS.Platform = process.platform,
  sysRoot = '/sys',
): Promise<Probe<DevicesPort>> {
  let si: Si;
  try {
    si = (await import('systeminformation')).default as unknown as Si;
  } catch (error) {
    return unavailable(`systeminformation cannot load: ${errorMessage(error)}`);
  }
  const fingerprint = platform === 'linux' ? () => sysFingerprint(sysRoot) : () => null;
  let lastPrint: string | null = null;
  let lastList: DeviceInfo[] | null = null;
  const port: DevicesPort = {
    name: 'systeminformation',
    async list() {
      const print = fingerprint();
      if (print !== null && print === lastPrint && lastList) return lastList;
      const [usb, blocks] = await Promise.all([si.usb(), si.blockDevices()]);
      lastList = [...(usb ?? []).map(fromUsb), ...(blocks ?? []).filter(isRemovableDisk).map(fromBlock)];
      lastPrint = print;
      return lastList;
    },
  };
  try {
    await port.list();
  } catch (error) {
    return unavailable(`systeminformation cannot list devices: ${errorMessage(error)}`);
  }
  return available(port);
}

function sysFingerprint(sysRoot: string): string {
  const entries = (dir: string) => {
    try {
      return fs.readdirSync(dir).sort().join(',');
    } catch {
      return '-';
    }
  };
  return `${entries(`${sysRoot}/bus/usb/devices`)}|${entries(`${sysRoot}/block`)}`;
}

const text = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() ? value.trim() : null;

export function fromUsb(usb: import('systeminformation').Systeminformation.UsbData): DeviceInfo {
  const [vendorId, productId] = (usb.id ?? '').toString().split(':');
  const serial = text(usb.serialNumber);
  const type = text(usb.type);
  return {
    // Same device re-plugged into the same port keeps its id; the serial makes it stable across ports.
    id: `usb:${text(vendorId) ?? '?'}:${text(productId) ?? '?'}:${serial ?? `${usb.bus ?? '?'}-${usb.deviceId ?? '?'}`}`,
    vendorId: text(vendorId),
    productId: text(productId),
    name: text(usb.name) ?? 'USB device',
    manufacturer: text(usb.manufacturer) ?? text(usb.vendor),
    serial,
    deviceClass: type,
    massStorage: /storage/i.test(type ?? ''),
  };
}

export function isRemovableDisk(
  block: import('systeminformation').Systeminformation.BlockDevicesData,
): boolean {
  return block.type === 'disk' && (block.removable === true || /usb/i.test(block.protocol ?? ''));
}

export function fromBlock(block: import('systeminformation').Systeminformation.BlockDevicesData): DeviceInfo {
  const serial = text(block.serial);
  return {
    id: `block:${serial ?? block.name}`,
    vendorId: null,
    productId: null,
    name: text(block.label) ?? text(block.model) ?? block.name,
    manufacturer: null,
    serial,
    deviceClass: text(block.protocol) ?? 'disk',
    massStorage: true,
  };
}
