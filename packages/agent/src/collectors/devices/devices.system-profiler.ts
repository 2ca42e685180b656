/**
 * macOS USB devices and the removable disks on them, from
 * `system_profiler SPUSBDataType -json`, parsed by our code (systeminformation
 * parsed it before, out of reach of a recorded output). NOT RUN on macOS in
 * this repository's CI (Linux only): test/collectors/devices.recorded.test.ts
 * drives this parser, and the adapter through a stand-in system_profiler,
 * with outputs shaped as macOS prints them.
 *
 * The output is a tree: SPUSBDataType is a list of buses (the host
 * controllers), each with `_items`, the devices plugged into it, hubs
 * holding `_items` of their own. Buses and hubs are not devices anyone
 * plugs in to copy data and are left out, as root hubs are on Linux; what
 * hangs off them is kept. A mass-storage device carries `Media`, its disks
 * (bsd_name, size), each also reported as a `block:` device as on Linux.
 */
import type { DeviceInfo } from '../../core/device-diff.js';
import type { Probe } from '../probe.js';
import { createCommandDevices, type DeviceCommandOptions } from './device-command.js';
import type { DevicesPort } from './devices.port.js';

export const SYSTEM_PROFILER_ARGS = ['SPUSBDataType', '-json'] as const;

export function createSystemProfilerDevices(options: DeviceCommandOptions = {}): Promise<Probe<DevicesPort>> {
  return createCommandDevices(
    {
      name: 'system_profiler',
      program: 'system_profiler',
      args: SYSTEM_PROFILER_ARGS,
      parse: parseSystemProfilerUsb,
    },
    options,
    5000,
  );
}

type Node = Record<string, unknown>;

const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() ? value.trim() : null;

const children = (node: Node): Node[] => (Array.isArray(node._items) ? node._items.filter(isNode) : []);

/** "0x0781  (SanDisk Corporation)" → "0781"; Apple's own devices say "apple_vendor_id". */
function usbId(value: unknown): string | null {
  const raw = text(value);
  if (raw === 'apple_vendor_id') return '05ac';
  const hex = /^0x([0-9a-f]{1,4})\b/i.exec(raw ?? '');
  return hex ? hex[1]!.toLowerCase().padStart(4, '0') : null;
}

/** Hubs report a serial of zeros, and some devices a blank one: neither tells two devices apart. */
function serialOf(value: unknown): string | null {
  const raw = text(value);
  return raw === null || /^0+$/.test(raw) ? null : raw;
}

/** A hub passes devices through: it has devices of its own under it, or says what it is in its name. */
const isHub = (node: Node) => children(node).length > 0 || /\bhub\b/i.test(text(node._name) ?? '');

export function parseSystemProfilerUsb(stdout: string): DeviceInfo[] {
  const parsed: unknown = JSON.parse(stdout);
  if (!isNode(parsed) || !Array.isArray(parsed.SPUSBDataType))
    throw new Error('system_profiler printed no SPUSBDataType list');
  const devices: DeviceInfo[] = [];
  const visit = (node: Node) => {
    for (const child of children(node)) visit(child);
    if (isHub(node)) return;
    devices.push(...fromDevice(node));
  };
  // The top level are the buses themselves: only what is under them.
  for (const bus of parsed.SPUSBDataType.filter(isNode)) for (const child of children(bus)) visit(child);
  return devices;
}

function fromDevice(node: Node): DeviceInfo[] {
  const vendorId = usbId(node.vendor_id);
  const productId = usbId(node.product_id);
  const serial = serialOf(node.serial_num);
  const name = text(node._name) ?? 'USB device';
  const manufacturer =
    text(node.manufacturer) ?? /\((.+)\)\s*$/.exec(text(node.vendor_id) ?? '')?.[1] ?? null;
  const media = Array.isArray(node.Media) ? node.Media.filter(isNode) : [];
  // Without a serial, where it is plugged (the location id is the port path, as busnum-devnum is on Linux).
  const place = text(node.location_id)?.split('/')[0]?.trim() ?? name;
  const usb: DeviceInfo = {
    id: `usb:${vendorId ?? '?'}:${productId ?? '?'}:${serial ?? place}`,
    vendorId,
    productId,
    name,
    manufacturer,
    serial,
    deviceClass: media.length > 0 ? 'Mass Storage' : null,
    massStorage: media.length > 0,
  };
  const disks = media.map((disk, i): DeviceInfo => {
    const bsdName = text(disk.bsd_name) ?? 'disk';
    const size = text(disk.size);
    const model = text(disk._name) ?? name;
    return {
      // A card reader with two slots is one serial and two disks.
      id: `block:${serial === null ? bsdName : media.length > 1 ? `${serial}:${i}` : serial}`,
      vendorId: null,
      productId: null,
      name: size ? `${model} (${size})` : model,
      manufacturer,
      serial,
      deviceClass: 'usb',
      massStorage: true,
    };
  });
  return [usb, ...disks];
}
