import type { DeviceInfo } from '../../core/device-diff.js';

/** USB devices and removable storage present now. */
export interface DevicesPort {
  readonly name: string;
  list(): Promise<DeviceInfo[]>;
  /** What this adapter cannot see on this machine (e.g. no USB bus in sysfs); empty or absent when nothing. */
  gaps?(): readonly string[];
  /** Calls `onChange` soon after the devices may have changed, so a scan need not wait for its interval; returns the unsubscribe. */
  watch?(onChange: () => void): () => void;
}
