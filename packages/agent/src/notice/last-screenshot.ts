/**
 * The last screenshot taken, so the operator can see exactly what was sent:
 * on the local page, summed up in the status file, and as a file in the
 * state folder (last-screenshot.jpg or .webp).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CaptureEvent } from '@seatwatch/shared';
import { errorMessage } from '../collectors/probe.js';
import type { EncodedImage } from '../collectors/screenshot/screen-capture.port.js';
import { STATE_FILES } from '../identity/state-dir.js';
import { writeFileAtomic } from '../runtime/atomic-file.js';
import type { Logger } from '../runtime/logger.js';
import type { AgentStatus } from '../status/agent-status.js';

export interface LastScreenshot {
  keep(image: EncodedImage, event: CaptureEvent): void;
  image(): { bytes: Uint8Array; mime: string } | null;
  summary(): AgentStatus['lastScreenshot'];
}

export function keepLastScreenshot(stateDir: string, log: Logger): LastScreenshot {
  let last: { bytes: Uint8Array; mime: string; event: CaptureEvent } | null = null;
  return {
    keep(image, event) {
      last = { bytes: image.bytes, mime: image.mime, event };
      const ext = image.mime === 'image/webp' ? 'webp' : 'jpg';
      try {
        for (const old of ['jpg', 'webp'])
          fs.rmSync(path.join(stateDir, `${STATE_FILES.lastScreenshot}.${old}`), { force: true });
        writeFileAtomic(path.join(stateDir, `${STATE_FILES.lastScreenshot}.${ext}`), image.bytes);
      } catch (error) {
        log.log('warn', 'could not keep the last screenshot for the local page', {
          error: errorMessage(error),
        });
      }
    },
    image: () => (last ? { bytes: last.bytes, mime: last.mime } : null),
    summary: () =>
      last
        ? {
            time: last.event.time,
            monitor: last.event.monitor,
            width: last.event.width,
            height: last.event.height,
          }
        : null,
  };
}
