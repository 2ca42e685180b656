/**
 * The fallback on Windows and macOS, used only when our own adapters
 * (devices.pnp-powershell.ts, devices.system-profiler.ts) cannot run: USB
 * devices and removable block devices through systeminformation (`usb()` and
 * `blockDevices()`), which launch PowerShell or ioreg/diskutil on every call
 * (NOT TESTED there; see docs/agent.md).
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

/** Linux (lsusb): systeminformation's id is "vendor:product". */
const LSUSB_IDS = /^([0-9a-f]{4}):([0-9a-f]{4})$/i;
/** Windows: the PnP device id, USB\\VID_0781&PID_5583\\<serial or an instance id Windows made up>. */
const PNP_USB_ID = /^USB\\VID_([0-9a-f]{4})&PID_([0-9a-f]{4})(?:&[^\\]*)?\\(.+)$/i;

/**
 * One USB device as systeminformation gives it, which differs per OS: on
 * Linux `id` is "vendor:product"; on Windows `id` is the device's position in
 * the list (it changes when another device comes or goes) and the ids and
 * serial are inside the PnP `deviceId`; on macOS `id` is the USB address and
 * there are no vendor or product ids at all. The device id must stay the
 * same across scans, or one stick would be reported attached and detached.
 */
export function fromUsb(usb: import('systeminformation').Systeminformation.UsbData): DeviceInfo {
  const lsusb = LSUSB_IDS.exec(String(usb.id ?? ''));
  // A string with backslashes only on Windows (a PnP id); a number or null elsewhere.
  const rawDeviceId: unknown = usb.deviceId;
  const pnpId = typeof rawDeviceId === 'string' && rawDeviceId.includes('\\') ? rawDeviceId.trim() : null;
  const pnp = PNP_USB_ID.exec(pnpId ?? '');
  const vendorId = lsusb?.[1] ?? pnp?.[1]?.toLowerCase() ?? null;
  const productId = lsusb?.[2] ?? pnp?.[2]?.toLowerCase() ?? null;
  // An instance id with "&" in it is Windows' own (the device has no serial), not a serial number.
  const serial = text(usb.serialNumber) ?? (pnp && !pnp[3]!.includes('&') ? pnp[3]! : null);
  // Without a serial, where the device is plugged: Linux bus and device number, Windows' PnP
  // instance, macOS name and address. Re-plugged elsewhere, it is then another device.
  const place =
    pnpId ??
    (usb.bus != null ? `${usb.bus}-${usb.deviceId ?? '?'}` : `${text(usb.name) ?? '?'}@${usb.id ?? '?'}`);
  const type = text(usb.type);
  return {
    id: `usb:${vendorId ?? '?'}:${productId ?? '?'}:${serial ?? place}`,
    vendorId,
    productId,
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
