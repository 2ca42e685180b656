/**
 * USB and removable-storage attach/detach: the device list every
 * policy.deviceScanMs, and at once when the adapter sees a change, diffed
 * against the previous one (core/device-diff.ts). The last list is kept on
 * disk by the agent, so a stick plugged in while the agent was stopped shows
 * up as attached at the next start.
 *
 * What the adapter cannot see here (no adapter at all, or a part such as USB
 * missing from sysfs) is the status "unavailable" with the reason, and is
 * reported to the server as an agent_error when collection starts: a blind
 * collector must not look like a quiet one (issue #12).
 */
import { MAX_STRING_LENGTHS, sanitizeText } from '@seatwatch/shared';
import { type DeviceInfo, diffDevices } from '../../core/device-diff.js';
import type { Collector, CollectorContext } from '../collector.js';
import { pollPort, READ_FAILED } from '../port-poller.js';
import type { Probe } from '../probe.js';
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
  const poller = pollPort(ctx, 'devices', probe);
  let known: DeviceInfo[] | null = null;
  let unwatch: (() => void) | null = null;
  // Scans from the loop and from the adapter's change signal run one after the other.
  let scanning: Promise<void> = Promise.resolve();
  const gaps = () => (probe.ok ? (probe.port.gaps?.() ?? []) : []);

  const tick = async () => {
    const listed = await poller.read((port) => port.list(), 30_000, 'device list');
    if (listed === READ_FAILED) return;
    const now = listed.map(clean);
    const firstScan = known === null;
    const previous = known ?? memory.load() ?? now;
    const { attached, detached } = diffDevices(previous, now);
    const time = ctx.clock.now();
    for (const device of detached) ctx.emit({ type: 'device_detached', time, device });
    for (const device of attached) ctx.emit({ type: 'device_attached', time, device });
    if (firstScan || attached.length > 0 || detached.length > 0) memory.save(now);
    known = now;
  };

  const scan = () => {
    scanning = scanning.then(tick).catch(() => {});
    return scanning;
  };

  return {
    name: 'devices',
    start() {
      if (poller.running) return;
      if (!probe.ok) ctx.reportError('devices', new Error(probe.reason));
      for (const gap of gaps()) ctx.reportError('devices', new Error(gap));
      poller.start(() => ctx.policy().deviceScanMs, scan);
      if (probe.ok && probe.port.watch) {
        unwatch = probe.port.watch(() => {
          if (poller.running) void scan();
        });
      }
    },
    stop() {
      unwatch?.();
      unwatch = null;
      poller.stop();
    },
    status() {
      const status = poller.status(
        (port) =>
          `USB and removable-storage attach/detach, checked every ${ctx.policy().deviceScanMs / 1000} s${port.watch ? ' and on every change seen' : ''}, via ${port.name}`,
      );
      const missing = gaps();
      return status.state === 'running' && missing.length > 0
        ? { state: 'unavailable', detail: missing.join('; ') }
        : status;
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
