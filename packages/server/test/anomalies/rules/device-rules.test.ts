import { describe, expect, it } from 'vitest';
import { deviceKey, deviceMatches } from '../../../src/domain/rules/device-match.js';
import { detectUnknownDevice } from '../../../src/domain/rules/unknown-device.rule.js';
import { detectUsbStorage } from '../../../src/domain/rules/usb-storage.rule.js';
import { device, observed } from './observed.js';

const attached = (d = device()) => observed({ type: 'device_attached', time: 1000, device: d });

describe('device matching', () => {
  it('compares USB ids as hex numbers and names case-insensitively', () => {
    expect(deviceMatches({ vendorId: '0x781', productId: '5581' }, device())).toBe(true);
    expect(deviceMatches({ name: 'sandisk' }, device())).toBe(true);
    expect(deviceMatches({ vendorId: '0781', serial: 'OTHER' }, device())).toBe(false);
    expect(deviceMatches({ label: 'anything' }, device())).toBe(false);
  });

  it('keys a device by vendor, product and serial, else by its seat-local id', () => {
    expect(deviceKey(device())).toBe('usb:0781:5581:AB123');
    expect(deviceKey(device({ vendorId: null }))).toBe('id:1-2');
  });
});

describe('usb_storage', () => {
  it('raises for an attached mass-storage device', () => {
    const candidate = detectUsbStorage(attached(), { exempt: [] });
    expect(candidate).toMatchObject({ rule: 'usb_storage', key: 'usb:0781:5581:AB123', at: 1000 });
    expect(candidate?.evidence[0]).toMatchObject({
      kind: 'event',
      type: 'device_attached',
      name: 'SanDisk Ultra',
    });
  });

  it('does not raise for a keyboard, a detach, or an exempt stick', () => {
    expect(detectUsbStorage(attached(device({ massStorage: false })), { exempt: [] })).toBeNull();
    expect(
      detectUsbStorage(observed({ type: 'device_detached', time: 1, device: device() }), { exempt: [] }),
    ).toBeNull();
    expect(detectUsbStorage(attached(), { exempt: [{ serial: 'ab123' }] })).toBeNull();
  });
});

describe('unknown_device', () => {
  const headset = device({
    vendorId: '047f',
    productId: 'c056',
    name: 'Plantronics',
    massStorage: false,
    deviceClass: 'audio',
  });

  it('raises for a device that is not approved', () => {
    expect(detectUnknownDevice(attached(headset), { approved: [], ignoreClasses: ['hub'] })).toMatchObject({
      rule: 'unknown_device',
      key: 'usb:047f:c056:AB123',
    });
  });

  it('does not raise for an approved device or an ignored class', () => {
    const approved = [{ vendorId: '047F', productId: 'C056', label: 'Team headset' }];
    expect(detectUnknownDevice(attached(headset), { approved, ignoreClasses: [] })).toBeNull();
    expect(
      detectUnknownDevice(attached(device({ deviceClass: 'Hub' })), { approved: [], ignoreClasses: ['hub'] }),
    ).toBeNull();
  });
});
