import { type Probe, unavailable } from '../probe.js';
import type { DevicesPort } from './devices.port.js';

/** Where no adapter fits this OS: the status says device events are not collected, and why. */
export function unavailableDevices(platform: string): Probe<DevicesPort> {
  return unavailable(`listing USB and removable devices is not supported on ${platform}`);
}
