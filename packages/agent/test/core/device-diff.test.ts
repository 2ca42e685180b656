import { describe, expect, it } from 'vitest';
import { type DeviceInfo, diffDevices } from '../../src/core/device-diff.js';

const device = (id: string, massStorage = false): DeviceInfo => ({
  id,
  vendorId: '0781',
  productId: '5583',
  name: `dev ${id}`,
  manufacturer: 'SanDisk',
  serial: null,
  deviceClass: massStorage ? 'Mass Storage' : 'HID',
  massStorage,
});

describe('diffDevices', () => {
  it('finds attached and detached devices by id', () => {
    const a = device('a');
    const b = device('b', true);
    const c = device('c');
    expect(diffDevices([a, b], [b, c])).toEqual({ attached: [c], detached: [a] });
  });

  it('sees nothing when the set is unchanged, whatever the order', () => {
    const a = device('a');
    const b = device('b');
    expect(diffDevices([a, b], [b, a])).toEqual({ attached: [], detached: [] });
  });
});
