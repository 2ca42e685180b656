import { type Probe, unavailable } from '../probe.js';
import type { IdleTimePort } from './idle-time.port.js';

/** Where no adapter fits this OS: presence is reported as unknown, and the status says why. */
export function unavailableIdleTime(platform: string): Probe<IdleTimePort> {
  return unavailable(`reading the input-idle time is not supported on ${platform}`);
}
