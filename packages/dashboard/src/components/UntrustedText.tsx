/**
 * The one way the web app shows a string that came from a seat (application,
 * window title, seat or host name, OS user, device name...): isolated from
 * the text around it (`<bdi>`), with control and bidi-control characters
 * shown as markers (`revealParts`, shared with the contract), wrapped or cut
 * by CSS with the whole text, revealed too, in its `title`. React escapes it:
 * it is never HTML.
 */
import { revealControls, revealParts } from '@seatwatch/shared/dashboard-api';
import { memo } from 'react';

export const UntrustedText = memo(function UntrustedText({
  value,
  fallback = '',
  fit = 'wrap',
  className,
  testId,
}: {
  value: string | null | undefined;
  /** Shown (as our own text) when there is no value. */
  fallback?: string;
  /**
   * `wrap`: breaks anywhere, so no string can widen the page; `line`: one
   * line cut with an ellipsis (tiles); `clamp`: at most three wrapped lines
   * (table cells). The full text is always in `title`.
   */
  fit?: 'wrap' | 'line' | 'clamp';
  className?: string;
  testId?: string;
}) {
  const classes = ['untrusted', `fit-${fit}`, className].filter(Boolean).join(' ');
  if (value === null || value === undefined || value === '') {
    return (
      <span className={classes} data-testid={testId}>
        {fallback}
      </span>
    );
  }
  return (
    <bdi className={classes} title={revealControls(value)} data-testid={testId}>
      {revealParts(value).map((part, index) =>
        'text' in part ? (
          part.text
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one string never move
          <span key={index} className="control-char">
            {part.marker}
          </span>
        ),
      )}
    </bdi>
  );
});

/** The stand-in for the untrusted value in a translated message: `t(key, { name: SLOT })`. No catalogue text holds NUL. */
export const SLOT = '\u0000';

/** A translated message ("Seat {name}") with the untrusted value rendered in its place through UntrustedText. */
export function UntrustedInMessage({
  message,
  value,
  testId,
}: {
  message: string;
  value: string | null | undefined;
  testId?: string;
}) {
  const [before = '', after = ''] = message.split(SLOT);
  return (
    <>
      {before}
      <UntrustedText value={value} testId={testId} />
      {after}
    </>
  );
}
