import { type Probe, unavailable } from '../probe.js';
import type { ActiveWindowPort } from './active-window.port.js';

/** Where no adapter fits this OS: the agent says so in its status instead of reporting nothing silently. */
export function unavailableActiveWindow(platform: string): Probe<ActiveWindowPort> {
  return unavailable(`reading the foreground window is not supported on ${platform}`);
}
