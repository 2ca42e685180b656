/** Which notice version and collection terms this seat's operator was shown, when, how and as which OS user. */
import fs from 'node:fs';
import path from 'node:path';
import type { CollectionTerms } from '../core/notice-terms.js';
import { STATE_FILES } from '../identity/state-dir.js';
import { writeFileAtomic } from '../runtime/atomic-file.js';

import type { ConfirmedVia } from './notice-channel.port.js';

/**
 * Where the notice was on the operator's screen when they confirmed it. The
 * wire's `shownVia` has no "dialog" (protocol v1's schema is closed): a
 * dialog travels as "notification", the desktop channel (see wireShownVia).
 */
export type ShownVia = 'terminal' | 'dialog' | 'notification' | 'page';

export interface NoticeState {
  readonly version: number;
  readonly shownAt: number;
  readonly shownVia: readonly ShownVia[];
  readonly osUser: string;
  /** How the operator confirmed it, and through which program (absent in files from before confirmation existed). */
  readonly confirmedVia?: ConfirmedVia;
  readonly confirmedWith?: string;
  /** What the notice said is collected (absent in files from before issue #12: shown again). */
  readonly terms?: CollectionTerms;
}

export function loadNoticeState(stateDir: string): NoticeState | null {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(stateDir, STATE_FILES.notice), 'utf8')) as NoticeState;
    return Number.isInteger(raw.version) && raw.version >= 1 ? raw : null;
  } catch {
    // Missing or unreadable: the notice is simply shown again, which is the safe side.
    return null;
  }
}

export function saveNoticeState(stateDir: string, state: NoticeState): void {
  writeFileAtomic(path.join(stateDir, STATE_FILES.notice), `${JSON.stringify(state, null, 2)}\n`);
}
