/**
 * Linux USB devices and removable disks read from sysfs directly: no program
 * launched (systeminformation ran lsusb, and returned [] without a word where
 * lsusb was missing; issue #12).
 *
 *   <root>/bus/usb/devices/<bus>-<port>[.<port>…]   idVendor, idProduct, manufacturer,
 *                                                 product, serial, bDeviceClass, busnum, devnum
 *   <root>/bus/usb/devices/<device>:<cfg>.<if>      bInterfaceClass (08 = mass storage)
 *   <root>/block/<name>                             removable, size (512-byte sectors), device/{vendor,model,serial}
 *
 * Root hubs (usbN) are the controllers, not devices anyone plugs in; they are
 * left out. Changes are noticed through fs.watch where the folder reports
 * them (a fixture, some kernels) and a readdir of both folders every
 * `pollMs`, which costs microseconds, so an attach is seen within about a
 * second without waiting for the policy's scan interval. `root` is a
 * parameter so tests drive this code through a folder shaped like sysfs.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DeviceInfo } from '../../core/device-diff.js';
import { available, errorMessage, type Probe, unavailable } from '../probe.js';
import type { DevicesPort } from './devices.port.js';

const USB_CLASSES: Record<string, string> = {
  '01': 'Audio',
  '02': 'Communications',
  '03': 'HID',
  '05': 'Physical',
  '06': 'Image',
  '07': 'Printer',
  '08': 'Mass Storage',
  '09': 'Hub',
  '0a': 'CDC Data',
  '0b': 'Smart Card',
  '0d': 'Content Security',
  '0e': 'Video',
  '0f': 'Personal Healthcare',
  '10': 'Audio/Video',
  dc: 'Diagnostic',
  e0: 'Wireless',
  ef: 'Miscellaneous',
  fe: 'Application Specific',
  ff: 'Vendor Specific',
};
const MASS_STORAGE = '08';
/** Block devices that are never a disk someone plugs in. */
const VIRTUAL_BLOCK = /^(loop|ram|zram|dm-|md|nbd|sr)/;

export interface SysfsDevicesOptions {
  /** The sysfs mount (a fixture folder in tests). */
  readonly root?: string;
  /** How often the folders are listed to notice a change where fs.watch says nothing. */
  readonly pollMs?: number;
}

export async function createSysfsDevices(options: SysfsDevicesOptions = {}): Promise<Probe<DevicesPort>> {
  const root = options.root ?? '/sys';
  const pollMs = options.pollMs ?? 1000;
  const usbDir = path.join(root, 'bus', 'usb', 'devices');
  const blockDir = path.join(root, 'block');
  const usbMissing = folderProblem(usbDir);
  const blockMissing = folderProblem(blockDir);
  if (usbMissing && blockMissing) {
    return unavailable(`sysfs shows neither USB devices (${usbMissing}) nor block devices (${blockMissing})`);
  }
  const gaps = [
    ...(usbMissing ? [`USB devices cannot be read (${usbMissing}); only removable disks are reported`] : []),
    ...(blockMissing
      ? [`removable disks cannot be read (${blockMissing}); only USB devices are reported`]
      : []),
  ];
  const fingerprint = () => `${listing(usbDir)}|${listing(blockDir)}`;

  const port: DevicesPort = {
    name: 'sysfs',
    gaps: () => gaps,
    async list() {
      return [
        ...(usbMissing ? [] : readUsbDevices(usbDir)),
        ...(blockMissing ? [] : readRemovableDisks(blockDir)),
      ];
    },
    watch(onChange) {
      let last = fingerprint();
      const check = () => {
        const now = fingerprint();
        if (now === last) return;
        last = now;
        onChange();
      };
      const watchers: fs.FSWatcher[] = [];
      for (const dir of [usbDir, blockDir]) {
        try {
          // sysfs itself mostly stays silent here; the poll below covers it.
          watchers.push(fs.watch(dir, { persistent: false }, check).on('error', () => {}));
        } catch {
          // Not watchable: the poll alone notices changes.
        }
      }
      const timer = setInterval(check, pollMs);
      timer.unref();
      return () => {
        clearInterval(timer);
        for (const watcher of watchers) watcher.close();
      };
    },
  };
  try {
    await port.list();
  } catch (error) {
    return unavailable(`sysfs device listing failed: ${errorMessage(error)}`);
  }
  return available(port);
}

function folderProblem(dir: string): string | null {
  try {
    return fs.statSync(dir).isDirectory() ? null : `${dir} is not a folder`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${dir} does not exist` : `${dir}: ${errorMessage(error)}`;
  }
}

function listing(dir: string): string {
  try {
    return fs.readdirSync(dir).sort().join(',');
  } catch {
    return '-';
  }
}

/** A sysfs attribute, trimmed; null when absent, unreadable or empty. */
function attr(dir: string, name: string): string | null {
  try {
    const value = fs.readFileSync(path.join(dir, name), 'latin1').trim();
    return value.length > 0 ? value : null;
  } catch {
    return null;
  }
}

const isUsbDevice = (name: string) => /^\d+-\d+(\.\d+)*$/.test(name);

export function readUsbDevices(usbDir: string): DeviceInfo[] {
  let names: string[];
  try {
    names = fs.readdirSync(usbDir).sort();
  } catch {
    return [];
  }
  const devices: DeviceInfo[] = [];
  for (const name of names.filter(isUsbDevice)) {
    const dir = path.join(usbDir, name);
    const vendorId = attr(dir, 'idVendor');
    const productId = attr(dir, 'idProduct');
    // Gone between the listing and the read, or not a device folder.
    if (vendorId === null && productId === null) continue;
    const interfaceClasses = names
      .filter((n) => n.startsWith(`${name}:`))
      .map((n) => attr(path.join(usbDir, n), 'bInterfaceClass')?.toLowerCase() ?? null)
      .filter((c): c is string => c !== null);
    const deviceClass = attr(dir, 'bDeviceClass')?.toLowerCase() ?? '00';
    // Class 00: each interface says what it is.
    const classCode = deviceClass === '00' ? (interfaceClasses[0] ?? null) : deviceClass;
    const serial = attr(dir, 'serial');
    const product = attr(dir, 'product');
    devices.push({
      // The same id scheme as before sysfs (lsusb's bus and device number when there is no serial).
      id: `usb:${vendorId ?? '?'}:${productId ?? '?'}:${serial ?? `${num(attr(dir, 'busnum'))}-${num(attr(dir, 'devnum'))}`}`,
      vendorId,
      productId,
      name: product ?? 'USB device',
      manufacturer: attr(dir, 'manufacturer'),
      serial,
      deviceClass: classCode === null ? null : (USB_CLASSES[classCode] ?? `class ${classCode}`),
      massStorage: deviceClass === MASS_STORAGE || interfaceClasses.includes(MASS_STORAGE),
    });
  }
  return devices;
}

function num(value: string | null): string {
  return value === null ? '?' : String(Number.parseInt(value, 10));
}

export function readRemovableDisks(blockDir: string): DeviceInfo[] {
  let names: string[];
  try {
    names = fs.readdirSync(blockDir).sort();
  } catch {
    return [];
  }
  const disks: DeviceInfo[] = [];
  for (const name of names.filter((n) => !VIRTUAL_BLOCK.test(n))) {
    const dir = path.join(blockDir, name);
    const sectors = Number(attr(dir, 'size') ?? '0');
    let real = dir;
    try {
      real = fs.realpathSync(dir);
    } catch {
      continue;
    }
    const usb = real.split(path.sep).some((part) => /^usb\d+$/.test(part));
    // A reader with no card in it has size 0: nothing to copy to until a card is inserted.
    if ((attr(dir, 'removable') !== '1' && !usb) || !(sectors > 0)) continue;
    const device = path.join(dir, 'device');
    const serial = attr(device, 'serial') ?? usbSerialAbove(device);
    const model = [attr(device, 'vendor'), attr(device, 'model')].filter(Boolean).join(' ');
    disks.push({
      id: `block:${serial ?? name}`,
      vendorId: null,
      productId: null,
      name: `${model || name} (${formatSize(sectors * 512)})`,
      manufacturer: attr(device, 'vendor'),
      serial,
      deviceClass: usb ? 'usb' : 'disk',
      massStorage: true,
    });
  }
  return disks;
}

/** The serial of the USB device a disk hangs off: the nearest folder above it with idVendor and serial. */
function usbSerialAbove(device: string): string | null {
  let dir: string;
  try {
    dir = fs.realpathSync(device);
  } catch {
    return null;
  }
  for (let i = 0; i < 8 && dir !== path.dirname(dir); i++) {
    if (attr(dir, 'idVendor') !== null) return attr(dir, 'serial');
    dir = path.dirname(dir);
  }
  return null;
}

function formatSize(bytes: number): string {
  const gb = bytes / 1e9;
  return gb >= 1 ? `${gb.toFixed(gb >= 10 ? 0 : 1)} GB` : `${Math.round(bytes / 1e6)} MB`;
}
