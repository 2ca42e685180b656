/** The devices collector's last list, kept in the state folder across restarts. */
import fs from 'node:fs';
import path from 'node:path';
import type { DeviceInfo } from '../../core/device-diff.js';
import { STATE_FILES } from '../../identity/state-dir.js';
import { writeFileAtomic } from '../../runtime/atomic-file.js';
import type { DeviceMemory } from './devices.collector.js';

export function stateFileDeviceMemory(stateDir: string): DeviceMemory {
  const file = path.join(stateDir, STATE_FILES.devices);
  return {
    load() {
      try {
        return JSON.parse(fs.readFileSync(file, 'utf8')) as DeviceInfo[];
      } catch {
        // Missing or unreadable: the first scan becomes the baseline, as on a first start.
        return null;
      }
    },
    save(devices) {
      writeFileAtomic(file, JSON.stringify(devices));
    },
  };
}
