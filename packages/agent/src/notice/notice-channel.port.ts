/**
 * A channel that puts the monitoring notice in front of the operator and lets
 * them confirm it: a dialog on their desktop, or a prompt on their terminal.
 * The local page is not a channel (it only shows what the operator opens);
 * its confirm button reaches the gate directly.
 */

/** How the operator confirmed the notice, kept in notice.json and shown by `status`. */
export type ConfirmedVia = 'button' | 'terminal' | 'page';

export type ShowingOutcome =
  | { readonly kind: 'confirmed' }
  /** Closed without confirming (the window's close box, Escape). */
  | { readonly kind: 'closed' }
  /** It could not be shown at all (no display, the program failed). */
  | { readonly kind: 'failed'; readonly reason: string };

export interface NoticeShowing {
  readonly outcome: Promise<ShowingOutcome>;
  /** True while it is on the operator's screen or terminal, or once confirmed there. */
  displayed(): boolean;
  /** Takes it away (confirmed elsewhere, or a newer notice replaces it). */
  close(): void;
}

export interface NoticeChannel {
  /** The program or place, for logs and status: "xmessage", "zenity", "terminal". */
  readonly name: string;
  readonly kind: 'dialog' | 'terminal';
  show(title: string, text: string): NoticeShowing;
}
