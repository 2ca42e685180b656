/**
 * The consent gate: nothing is collected until the operator has seen the
 * notice version in force, with the collection terms of the policy in force
 * (core/notice-terms.ts: a policy change that changes what is collected
 * needs the notice again), and confirmed it: the button of a dialog on their
 * desktop, Enter on their terminal, or the button on the local page.
 *
 * `request()` puts the notice on every channel at once and returns; the first
 * confirmation wins, closes the others, records when, how and to whom
 * (notice.json) and queues the notice_ack the server keeps as proof. Its
 * `shownVia` lists only where the notice was on screen: a dialog still open
 * (or the one confirmed), the terminal when it is one, a desktop
 * notification that was delivered, and the page only when it was confirmed
 * there (a page nobody opened showed nothing).
 *
 * When no channel can show it (no desktop session, no dialog program, no
 * terminal), nothing is collected, `status` and the page say why, the server
 * gets an `agent_error` (collector "notice") saying so, and it is tried again
 * every minute. A dialog closed without confirming is shown again a minute later.
 */
import { type Event, MAX_STRING_LENGTHS, type Notice, type Policy, sanitizeText } from '@seatwatch/shared';
import { collectionTerms, noticeNeeded } from '../core/notice-terms.js';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';
import type { DesktopNotifier } from './desktop-notification.port.js';
import type { ConfirmedVia, NoticeChannel, NoticeShowing } from './notice-channel.port.js';
import { DIALOG_TITLE } from './notice-dialog.commands.js';
import { loadNoticeState, type NoticeState, type ShownVia, saveNoticeState } from './notice-state.js';
import { fullNoticeText } from './notice-text.js';

const NOTICE_RETRY_MS = 60_000;

export interface NoticeGateOptions {
  readonly stateDir: string;
  readonly osUser: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** Where the notice text is printed (stdout for `run`); `isTTY` decides whether it was on a screen. */
  readonly terminal: { write(text: string): void; readonly isTTY: boolean } | null;
  /** Dialogs and the terminal prompt: where the operator can see and confirm it. */
  readonly channels: readonly NoticeChannel[];
  /** Why there is no dialog (no desktop, no program), for the operator and the server; null when there is one. */
  readonly noDialogReason: string | null;
  /** An extra: a desktop notification pointing at the notice; it confirms nothing. */
  readonly desktopNotifier: DesktopNotifier | null;
  notice(): Notice;
  policy(): Readonly<Policy>;
  /** The local page's URL, null without one. */
  pageUrl(): string | null;
  queue(event: Event, urgent: boolean): void;
  /** The operator confirmed the notice in force: collection may begin. */
  onConfirmed(shown: { version: number; shownVia: readonly ShownVia[]; confirmedVia: ConfirmedVia }): void;
  /** True once the agent is stopping: no more showing. */
  stopping(): boolean;
}

export interface NoticeGate {
  /** The operator has confirmed the notice version and terms in force. */
  isCurrent(): boolean;
  /** Shows the notice on every channel unless it is current or already on screen; returns at once. */
  request(): void;
  /** The button on the local page; false when nothing waits for confirmation. */
  confirmFromPage(): boolean;
  /** The version last confirmed on this seat, 0 for none (the hello carries it). */
  shownVersion(): number;
  /** When and how the version in force was confirmed, or why it waits, for the status file and the page. */
  shown(): {
    shownAt: number | null;
    shownVia: readonly ShownVia[];
    confirmedVia: ConfirmedVia | null;
    waiting: boolean;
    problem: string | null;
  };
  /** Takes every dialog away and stops retrying (the agent stops). */
  close(): void;
}

/** protocol v1's `shownVia` knows terminal, notification and page: a dialog is the desktop channel. */
export function wireShownVia(shownVia: readonly ShownVia[]): ('terminal' | 'notification' | 'page')[] {
  return [...new Set(shownVia.map((via) => (via === 'dialog' ? 'notification' : via)))];
}

interface Pending {
  readonly version: number;
  readonly termsKey: string;
  readonly showings: { channel: NoticeChannel; showing: NoticeShowing }[];
  notified: boolean;
}

export function createNoticeGate(options: NoticeGateOptions): NoticeGate {
  const { clock, log, stateDir, osUser } = options;
  const loaded = loadNoticeState(stateDir);
  // A notice.json from before confirmation existed records a notice shown, never confirmed: ask again.
  let state: NoticeState | null = loaded?.confirmedVia ? loaded : null;
  let pending: Pending | null = null;
  let retry: TimerHandle | null = null;
  let problem: string | null = null;
  let reported: string | null = null;
  let closed = false;

  const isCurrent = () => !noticeNeeded(state, options.notice(), options.policy());
  const termsKey = () => JSON.stringify(collectionTerms(options.policy()));

  function takeAway(): void {
    const showings = pending?.showings ?? [];
    pending = null;
    for (const { showing } of showings) showing.close();
  }

  function retryLater(): void {
    clock.clearTimeout(retry);
    retry = clock.setTimeout(() => {
      retry = null;
      pending = null;
      request();
    }, NOTICE_RETRY_MS);
  }

  /** Nothing can put the notice in front of the operator: say so everywhere, collect nothing. */
  function cannotShow(reason: string): void {
    problem = `the monitoring notice cannot be shown to the operator: ${reason}; nothing is collected until it is confirmed (a dialog, the terminal, or the button on the local page)`;
    log.log('error', problem, { noticeVersion: options.notice().version });
    const key = `${options.notice().version}:${reason}`;
    if (reported !== key) {
      reported = key;
      options.queue(
        {
          type: 'agent_error',
          time: clock.now(),
          collector: 'notice',
          message: sanitizeText(problem, MAX_STRING_LENGTHS.reason),
        },
        true,
      );
    }
    retryLater();
  }

  function confirm(via: ConfirmedVia, confirmedWith: string): void {
    const current = pending;
    if (!current || closed) return;
    const shownVia: ShownVia[] = [];
    if (options.terminal?.isTTY) shownVia.push('terminal');
    if (current.showings.some(({ channel, showing }) => channel.kind === 'dialog' && showing.displayed()))
      shownVia.push('dialog');
    if (current.notified) shownVia.push('notification');
    if (via === 'page') shownVia.push('page');
    takeAway();
    clock.clearTimeout(retry);
    problem = null;
    const notice = options.notice();
    state = {
      version: notice.version,
      shownAt: clock.now(),
      shownVia,
      osUser,
      confirmedVia: via,
      confirmedWith,
      terms: collectionTerms(options.policy()),
    };
    saveNoticeState(stateDir, state);
    log.log('info', 'monitoring notice confirmed', {
      noticeVersion: notice.version,
      shownVia,
      confirmedVia: via,
      confirmedWith,
    });
    options.queue(
      {
        type: 'notice_ack',
        time: state.shownAt,
        noticeVersion: notice.version,
        osUser: sanitizeText(osUser, MAX_STRING_LENGTHS.osUser),
        shownVia: wireShownVia(shownVia),
      },
      true,
    );
    options.onConfirmed({ version: notice.version, shownVia, confirmedVia: via });
  }

  function request(): void {
    if (closed || options.stopping() || isCurrent()) return;
    const notice = options.notice();
    if (pending && pending.version === notice.version && pending.termsKey === termsKey()) return;
    // Older terms on screen: replace them, never let the operator confirm what no longer holds.
    takeAway();
    clock.clearTimeout(retry);
    const pageUrl = options.pageUrl();
    const text = fullNoticeText(notice, options.policy(), pageUrl);
    const current: Pending = { version: notice.version, termsKey: termsKey(), showings: [], notified: false };
    pending = current;
    options.terminal?.write(`\n${text}\n\n`);
    for (const channel of options.channels) {
      const showing = channel.show(DIALOG_TITLE, text);
      current.showings.push({ channel, showing });
      showing.outcome.then((outcome) => {
        if (pending !== current) return;
        if (outcome.kind === 'confirmed') {
          confirm(channel.kind === 'dialog' ? 'button' : 'terminal', channel.name);
          return;
        }
        if (outcome.kind === 'failed')
          log.log('warn', 'the notice dialog failed', { reason: outcome.reason });
        const all = Promise.all(current.showings.map(({ showing: s }) => s.outcome));
        all.then((outcomes) => {
          if (pending !== current) return;
          const failures = outcomes.flatMap((o) => (o.kind === 'failed' ? [o.reason] : []));
          if (failures.length === outcomes.length) {
            cannotShow([options.noDialogReason, ...failures].filter(Boolean).join('; '));
          } else {
            log.log(
              'warn',
              'the monitoring notice was closed without being confirmed; it is shown again in a minute',
            );
            retryLater();
          }
        });
      });
    }
    if (options.desktopNotifier) {
      const summary = `${notice.text.trim().slice(0, 300)}${pageUrl !== null ? `\nDetails: ${pageUrl}` : ''}`;
      options.desktopNotifier.notify('Seatwatch monitors this computer', summary).then((ok) => {
        if (ok && pending === current) current.notified = true;
      });
    }
    if (options.channels.length === 0) {
      cannotShow(
        [
          options.noDialogReason ?? 'no dialog program',
          options.terminal?.isTTY ? null : 'not started from a terminal',
        ]
          .filter(Boolean)
          .join('; '),
      );
    } else {
      problem = null;
      log.log('info', 'monitoring notice shown; waiting for the operator to confirm it', {
        noticeVersion: notice.version,
        channels: options.channels.map((c) => c.name),
      });
    }
  }

  return {
    isCurrent,
    request,
    confirmFromPage() {
      if (!pending) return false;
      confirm('page', 'local page');
      return true;
    },
    shownVersion: () => state?.version ?? 0,
    shown: () =>
      isCurrent()
        ? {
            shownAt: state?.shownAt ?? null,
            shownVia: state?.shownVia ?? [],
            confirmedVia: state?.confirmedVia ?? null,
            waiting: false,
            problem: null,
          }
        : { shownAt: null, shownVia: [], confirmedVia: null, waiting: pending !== null, problem },
    close() {
      closed = true;
      clock.clearTimeout(retry);
      takeAway();
    },
  };
}
