/**
 * Windows USB devices and removable disks from PowerShell, parsed by our
 * code (systeminformation parsed its own PowerShell output before, out of
 * reach of a recorded output). NOT RUN on Windows in this repository's CI
 * (Linux only): test/collectors/devices.recorded.test.ts drives this parser,
 * and the adapter through a stand-in powershell.exe, with outputs shaped as
 * Windows PowerShell 5.1 prints them.
 *
 * One run prints one JSON object:
 *   devices  the present PnP devices whose instance id is a USB device
 *            (USB\VID_xxxx&PID_xxxx\<serial or an instance id Windows made up>),
 *            whatever their class: a keyboard is HIDClass, a phone WPD, a
 *            stick USB. Not `-Class USB` alone, which would miss those and
 *            list the host controllers instead. Interfaces of a composite
 *            device (…&MI_nn\…) are parts of one device and hubs pass devices
 *            through: both are left out.
 *   disks    Win32_DiskDrive entries on USB or with removable media, reported
 *            as `block:` devices as on Linux.
 * The console writes UTF-8, so a device name in any language arrives whole.
 */
import type { DeviceInfo } from '../../core/device-diff.js';
import type { Probe } from '../probe.js';
import { createCommandDevices, type DeviceCommandOptions } from './device-command.js';
import type { DevicesPort } from './devices.port.js';

export const PNP_SCRIPT = [
  '[Console]::OutputEncoding = [Text.Encoding]::UTF8',
  "$devices = @(Get-PnpDevice -PresentOnly | Where-Object { $_.InstanceId -like 'USB\\VID_*' } | Select-Object Class,FriendlyName,InstanceId,Manufacturer,Service)",
  "$disks = @(Get-CimInstance Win32_DiskDrive | Where-Object { $_.InterfaceType -eq 'USB' -or $_.MediaType -like 'Removable*' } | Select-Object Model,SerialNumber,PNPDeviceID,InterfaceType,MediaType,Size)",
  '[ordered]@{ devices = $devices; disks = $disks } | ConvertTo-Json -Depth 3 -Compress',
].join('\n');

export const PNP_ARGS = ['-NoProfile', '-NonInteractive', '-Command', PNP_SCRIPT] as const;

export function createPnpPowershellDevices(options: DeviceCommandOptions = {}): Promise<Probe<DevicesPort>> {
  return createCommandDevices(
    { name: 'powershell Get-PnpDevice', program: 'powershell.exe', args: PNP_ARGS, parse: parsePnpDevices },
    options,
    10_000,
  );
}

type Row = Record<string, unknown>;

const isRow = (value: unknown): value is Row =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() ? value.trim() : null;

/**
 * A list as ConvertTo-Json writes it: an array; one object where PowerShell
 * unrolled a one-item array; null for none; or {value, Count} where Windows
 * PowerShell 5.1 serialised the array object itself.
 */
function rows(value: unknown): Row[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.filter(isRow);
  if (isRow(value) && Array.isArray(value.value) && 'Count' in value) return value.value.filter(isRow);
  return isRow(value) ? [value] : [];
}

/** USB\VID_0781&PID_5583\4C530001230517115203; an interface has &MI_nn after the product id. */
const USB_INSTANCE = /^USB\\VID_([0-9a-f]{4})&PID_([0-9a-f]{4})((?:&[^\\]*)?)\\(.+)$/i;
const HUB_SERVICE = /^(usbhub|usbhub3)$/i;
const STORAGE_SERVICE = /^(usbstor|uaspstor)$/i;

export function parsePnpDevices(stdout: string): DeviceInfo[] {
  // Windows PowerShell may start its output with a byte-order mark.
  const body = stdout.replace(/^\uFEFF/, '').trim();
  if (!body) throw new Error('powershell printed nothing');
  const parsed: unknown = JSON.parse(body);
  if (!isRow(parsed)) throw new Error('powershell printed no device object');
  return [...rows(parsed.devices).flatMap(fromPnp), ...rows(parsed.disks).map(fromDisk)];
}

function fromPnp(row: Row): DeviceInfo[] {
  const instanceId = text(row.InstanceId);
  const usb = USB_INSTANCE.exec(instanceId ?? '');
  if (!instanceId || !usb) return [];
  const [, vid, pid, extra, instance] = usb;
  const name = text(row.FriendlyName);
  const service = text(row.Service) ?? '';
  if (/&MI_/i.test(extra!)) return [];
  if (HUB_SERVICE.test(service) || /\bhub\b/i.test(name ?? '')) return [];
  // An instance id with "&" in it is Windows' own (the device has no serial), not a serial number.
  const serial = instance!.includes('&') ? null : instance!;
  const vendorId = vid!.toLowerCase();
  const productId = pid!.toLowerCase();
  return [
    {
      // The id systeminformation's records gave (devices.systeminformation.ts), so a device seen
      // before this adapter keeps its id.
      id: `usb:${vendorId}:${productId}:${serial ?? instanceId}`,
      vendorId,
      productId,
      name: name ?? 'USB device',
      manufacturer: text(row.Manufacturer),
      serial,
      deviceClass: text(row.Class),
      massStorage: STORAGE_SERVICE.test(service),
    },
  ];
}

/** USBSTOR\DISK&VEN_SANDISK&PROD_ULTRA_FIT&REV_1.00\4C530001230517115203&0: the serial before the "&0". */
const USBSTOR_INSTANCE = /^USBSTOR\\[^\\]+\\([^\\&]+)&\d+$/i;

function fromDisk(row: Row): DeviceInfo {
  const pnpId = text(row.PNPDeviceID);
  const serial = text(row.SerialNumber) ?? USBSTOR_INSTANCE.exec(pnpId ?? '')?.[1] ?? null;
  const model = text(row.Model) ?? 'Disk';
  const size = typeof row.Size === 'number' && row.Size > 0 ? ` (${formatSize(row.Size)})` : '';
  return {
    id: `block:${serial ?? pnpId ?? model}`,
    vendorId: null,
    productId: null,
    name: `${model}${size}`,
    manufacturer: null,
    serial,
    deviceClass: text(row.InterfaceType)?.toLowerCase() === 'usb' ? 'usb' : 'disk',
    massStorage: true,
  };
}

function formatSize(bytes: number): string {
  const gb = bytes / 1e9;
  return gb >= 1 ? `${gb.toFixed(gb >= 10 ? 0 : 1)} GB` : `${Math.round(bytes / 1e6)} MB`;
}
