import type { Device, Event } from '@seatwatch/shared';
import type { ObservedEvent, SeatState } from '../../../src/domain/rules/anomaly.js';

let nextId = 1;

export function observed(event: Event, seatState: SeatState | null = 'active', seq = 1): ObservedEvent {
  return { id: nextId++, seq, event, seatState };
}

export function device(overrides: Partial<Device> = {}): Device {
  return {
    id: '1-2',
    vendorId: '0781',
    productId: '5581',
    name: 'SanDisk Ultra',
    manufacturer: 'SanDisk',
    serial: 'AB123',
    deviceClass: 'mass-storage',
    massStorage: true,
    ...overrides,
  };
}
