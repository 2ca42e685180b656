/** USB and removable-storage diffing: what appeared and what went away between two scans. */
export interface DeviceInfo {
  readonly id: string;
  readonly vendorId: string | null;
  readonly productId: string | null;
  readonly name: string;
  readonly manufacturer: string | null;
  readonly serial: string | null;
  readonly deviceClass: string | null;
  readonly massStorage: boolean;
}

export interface DeviceDiff {
  readonly attached: readonly DeviceInfo[];
  readonly detached: readonly DeviceInfo[];
}

export function diffDevices(previous: readonly DeviceInfo[], next: readonly DeviceInfo[]): DeviceDiff {
  const before = new Map(previous.map((d) => [d.id, d]));
  const after = new Map(next.map((d) => [d.id, d]));
  const attached = [...after.values()].filter((d) => !before.has(d.id));
  const detached = [...before.values()].filter((d) => !after.has(d.id));
  return { attached, detached };
}
