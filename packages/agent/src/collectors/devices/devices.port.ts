import type { DeviceInfo } from '../../core/device-diff.js';

/** USB devices and removable storage present now. */
export interface DevicesPort {
  readonly name: string;
  list(): Promise<DeviceInfo[]>;
}
