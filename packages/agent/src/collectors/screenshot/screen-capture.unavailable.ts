import { type Probe, unavailable } from '../probe.js';
import type { ScreenCapturePort } from './screen-capture.port.js';

/** Where no adapter fits this OS: capture events say "unavailable" with this reason, never black frames. */
export function unavailableScreenCapture(platform: string): Probe<ScreenCapturePort> {
  return unavailable(`screen capture is not supported on ${platform}`);
}
