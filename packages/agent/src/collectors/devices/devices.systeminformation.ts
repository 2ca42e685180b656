/**
 * Windows and macOS USB devices and removable block devices through
 * systeminformation (`usb()` and `blockDevices()`), which launch PowerShell
 * or ioreg/diskutil on every call (NOT TESTED there; see docs/agent.md).
 * Linux reads sysfs instead (devices.sysfs.ts): systeminformation runs lsusb
 * there and returns [] without a word where it is missing.
 */
import type { DeviceInfo } from '../../core/device-diff.js';
import { available, errorMessage, type Probe, unavailable } from '../probe.js';
import type { DevicesPort } from './devices.port.js';

type Si = typeof import('systeminformation');

export async function createSysteminformationDevices(): Promise<Probe<DevicesPort>> {
  let si: Si;
  try {
    si = (await import('systeminformation')).default as unknown as Si;
  } catch (error) {
    return unavailable(`systeminformation cannot load: ${errorMessage(error)}`);
  }
  const port: DevicesPort = {
    name: 'systeminformation',
    async list() {
      const [usb, blocks] = await Promise.all([si.usb(), si.blockDevices()]);
      return [...(usb ?? []).map(fromUsb), ...(blocks ?? []).filter(isRemovableDisk).map(fromBlock)];
    },
  };
  try {
    await port.list();
  } catch (error) {
    return unavailable(`systeminformation cannot list devices: ${errorMessage(error)}`);
  }
  return available(port);
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
