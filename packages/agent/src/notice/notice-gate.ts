/**
 * The consent gate: nothing is collected until the operator has been shown
 * the notice version in force, with the collection terms of the policy in
 * force (core/notice-terms.ts: a policy change that changes what is
 * collected needs the notice shown again), on at least one channel they can see
 * (terminal, desktop notification, local page). Showing it records when, how
 * and to whom (notice.json) and queues the notice_ack the server keeps as
 * proof. A notice that reached nobody is tried again every minute.
 */
import { type Event, MAX_STRING_LENGTHS, type Notice, type Policy, sanitizeText } from '@seatwatch/shared';
import { collectionTerms, noticeNeeded } from '../core/notice-terms.js';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';
import type { DesktopNotifier } from './desktop-notification.port.js';
import { loadNoticeState, type NoticeState, type ShownVia, saveNoticeState } from './notice-state.js';
import { fullNoticeText } from './notice-text.js';

const NOTICE_RETRY_MS = 60_000;

export interface NoticeGateOptions {
  readonly stateDir: string;
  readonly osUser: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** Where the notice is printed; `isTTY` decides whether "terminal" counts as shown. */
  readonly terminal: { write(text: string): void; readonly isTTY: boolean } | null;
  readonly desktopNotifier: DesktopNotifier | null;
  notice(): Notice;
  policy(): Readonly<Policy>;
  /** The local page's URL, null without one. */
  pageUrl(): string | null;
  queue(event: Event, urgent: boolean): void;
  onShown(shown: { version: number; shownVia: readonly ShownVia[] }): void;
  /** A retry reached the operator: collection may begin. */
  onShownLater(): void;
  /** True once the agent is stopping: no more retries. */
  stopping(): boolean;
}

export interface NoticeGate {
  /** The operator has been shown the notice version in force. */
  isCurrent(): boolean;
  /** Shows the notice; true once it reached the operator through at least one channel. */
  show(): Promise<boolean>;
  /** The version last shown to this seat's operator, 0 for none (the hello carries it). */
  shownVersion(): number;
  /** When and how the version in force was shown, for the status file. */
  shown(): { shownAt: number | null; shownVia: readonly ShownVia[] };
  cancelRetry(): void;
}

export function createNoticeGate(options: NoticeGateOptions): NoticeGate {
  const { clock, log, stateDir, osUser } = options;
  let state: NoticeState | null = loadNoticeState(stateDir);
  let retry: TimerHandle | null = null;

  const isCurrent = () => !noticeNeeded(state, options.notice(), options.policy());

  async function show(): Promise<boolean> {
    const notice = options.notice();
    const policy = options.policy();
    const pageUrl = options.pageUrl();
    const text = fullNoticeText(notice, policy, pageUrl);
    const shownVia: ShownVia[] = [];
    if (options.terminal) {
      options.terminal.write(`\n${text}\n\n`);
      if (options.terminal.isTTY) shownVia.push('terminal');
    }
    if (options.desktopNotifier) {
      const summary = `${notice.text.trim().slice(0, 300)}${pageUrl !== null ? `\nDetails: ${pageUrl}` : ''}`;
      if (await options.desktopNotifier.notify('Seatwatch monitors this computer', summary))
        shownVia.push('notification');
    }
    if (pageUrl !== null) shownVia.push('page');
    if (shownVia.length === 0) {
      // Not shown anywhere the operator can see: collection waits, and we try again.
      log.log(
        'error',
        'the monitoring notice could not be shown (no terminal, notification or local page); nothing is collected',
        { noticeVersion: notice.version },
      );
      clock.clearTimeout(retry);
      retry = clock.setTimeout(() => {
        retry = null;
        if (!options.stopping() && !isCurrent()) show().then((shown) => shown && options.onShownLater());
      }, NOTICE_RETRY_MS);
      return false;
    }
    log.log('info', 'monitoring notice shown', { noticeVersion: notice.version, shownVia });
    state = {
      version: notice.version,
      shownAt: clock.now(),
      shownVia,
      osUser,
      terms: collectionTerms(policy),
    };
    saveNoticeState(stateDir, state);
    options.queue(
      {
        type: 'notice_ack',
        time: state.shownAt,
        noticeVersion: notice.version,
        osUser: sanitizeText(osUser, MAX_STRING_LENGTHS.osUser),
        shownVia,
      },
      true,
    );
    options.onShown({ version: notice.version, shownVia });
    return true;
  }

  return {
    isCurrent,
    show,
    shownVersion: () => state?.version ?? 0,
    shown: () =>
      isCurrent()
        ? { shownAt: state?.shownAt ?? null, shownVia: state?.shownVia ?? [] }
        : { shownAt: null, shownVia: [] },
    cancelRetry: () => clock.clearTimeout(retry),
  };
}
