/**
 * USB and removable-storage attach/detach: the device list every
 * policy.deviceScanMs, diffed against the previous one (core/device-diff.ts).
 * The last list is kept on disk by the agent, so a stick plugged in while
 * the agent was stopped shows up as attached at the next start.
 */
import { MAX_STRING_LENGTHS, sanitizeText } from '@seatwatch/shared';
import { type DeviceInfo, diffDevices } from '../../core/device-diff.js';
import { type Loop, startLoop } from '../../runtime/loop.js';
import type { Collector, CollectorContext, CollectorStatus } from '../collector.js';
import { type Probe, withTimeout } from '../probe.js';
import type { DevicesPort } from './devices.port.js';

export interface DeviceMemory {
  load(): DeviceInfo[] | null;
  save(devices: readonly DeviceInfo[]): void;
}

export function createDevicesCollector(
  ctx: CollectorContext,
  probe: Probe<DevicesPort>,
  memory: DeviceMemory,
): Collector {
  let loop: Loop | null = null;
  let known: DeviceInfo[] | null = null;
  let failing: string | null = null;

  const tick = async () => {
    if (!probe.ok) return;
    let now: DeviceInfo[];
    try {
      now = (await withTimeout(probe.port.list(), 30_000, 'device list')).map(clean);
      failing = null;
    } catch (error) {
      failing = error instanceof Error ? error.message : String(error);
      ctx.reportError('devices', error);
      return;
    }
    const firstScan = known === null;
    const previous = known ?? memory.load() ?? now;
    const { attached, detached } = diffDevices(previous, now);
    const time = ctx.clock.now();
    for (const device of detached) ctx.emit({ type: 'device_detached', time, device });
    for (const device of attached) ctx.emit({ type: 'device_attached', time, device });
    if (firstScan || attached.length > 0 || detached.length > 0) memory.save(now);
    known = now;
  };

  return {
    name: 'devices',
    start() {
      if (loop || !probe.ok) return;
      loop = startLoop(ctx.clock, () => ctx.policy().deviceScanMs, tick);
    },
    stop() {
      loop?.stop();
      loop = null;
    },
    status(): CollectorStatus {
      if (!probe.ok) return { state: 'unavailable', detail: probe.reason };
      if (!loop) return { state: 'stopped', detail: 'not collecting' };
      if (failing) return { state: 'unavailable', detail: `failing: ${failing}` };
      return {
        state: 'running',
        detail: `USB and removable-storage attach/detach, checked every ${ctx.policy().deviceScanMs / 1000} s, via ${probe.port.name}`,
      };
    },
  };
}

function clean(device: DeviceInfo): DeviceInfo {
  const field = (value: string | null) =>
    value === null ? null : sanitizeText(value, MAX_STRING_LENGTHS.deviceField);
  return {
    id: sanitizeText(device.id, MAX_STRING_LENGTHS.deviceField),
    vendorId: field(device.vendorId),
    productId: field(device.productId),
    name: sanitizeText(device.name, MAX_STRING_LENGTHS.deviceField),
    manufacturer: field(device.manufacturer),
    serial: field(device.serial),
    deviceClass: field(device.deviceClass),
    massStorage: device.massStorage,
  };
}
