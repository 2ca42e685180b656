/** Device lists (approved devices, exempt storage): how an entry matches a reported device, and a device's dedup key. */
import type { Device } from '@seatwatch/shared';
import Type, { type Static } from 'typebox';
import { boundedKey } from './anomaly.js';

export const DeviceMatcher = Type.Object(
  {
    label: Type.Optional(Type.String({ maxLength: 200, description: 'What the entry is, for people' })),
    vendorId: Type.Optional(Type.String({ minLength: 1, maxLength: 16, description: 'USB vendor id (hex)' })),
    productId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 16, description: 'USB product id (hex)' }),
    ),
    serial: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: 'Case-insensitive part of the device name' }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Every field given must match; an entry with no vendorId, productId, serial or name matches nothing',
  },
);
export type DeviceMatcher = Static<typeof DeviceMatcher>;

/** "0x046D", "046d" and "46d" are the same USB id. */
function sameHexId(a: string, b: string): boolean {
  const norm = (s: string) =>
    s
      .trim()
      .toLowerCase()
      .replace(/^0x/, '')
      .replace(/^0+(?=.)/, '');
  return norm(a) === norm(b);
}

export function deviceMatches(matcher: DeviceMatcher, device: Device): boolean {
  const { vendorId, productId, serial, name } = matcher;
  if (vendorId === undefined && productId === undefined && serial === undefined && name === undefined)
    return false;
  if (vendorId !== undefined && (device.vendorId === null || !sameHexId(vendorId, device.vendorId)))
    return false;
  if (productId !== undefined && (device.productId === null || !sameHexId(productId, device.productId)))
    return false;
  if (
    serial !== undefined &&
    (device.serial === null || serial.trim().toLowerCase() !== device.serial.trim().toLowerCase())
  )
    return false;
  if (name !== undefined && !device.name.toLowerCase().includes(name.toLowerCase())) return false;
  return true;
}

/**
 * The same physical device keeps its key across ports and seats: vendor,
 * product and serial when the OS reports them; otherwise the seat-local id.
 */
export function deviceKey(device: Device): string {
  if (device.vendorId !== null && device.productId !== null) {
    const base = `usb:${device.vendorId.toLowerCase()}:${device.productId.toLowerCase()}`;
    return boundedKey(device.serial ? `${base}:${device.serial}` : base);
  }
  return boundedKey(`id:${device.id}`);
}

export function deviceDetails(device: Device): Record<string, unknown> {
  return {
    deviceId: device.id,
    name: device.name,
    vendorId: device.vendorId,
    productId: device.productId,
    serial: device.serial,
    manufacturer: device.manufacturer,
    deviceClass: device.deviceClass,
    massStorage: device.massStorage,
  };
}
