/**
 * Masking on the seat (issue #12): card numbers and the project's patterns in
 * window titles and app names are replaced by "[masked]" before anything
 * leaves the seat. Pure; the activity collector applies it to every sample
 * it sends. The privacy list is matched on the unmasked title, which never
 * leaves the seat.
 *
 * Card numbers: a run of 13 to 19 digits, single spaces or dashes allowed
 * between them, that passes the Luhn check. A run of digit groups that is
 * longer ("4111 1111 1111 1111 12") is searched for consecutive groups that
 * form such a number, so a number written next to another is still found.
 * Masked by default; a policy may turn it off (`masks.cardNumbers: false`).
 *
 * Project patterns run in RE2 (shared/text/mask-patterns.ts). A pattern the
 * agent cannot compile fails closed: titles and app names are sent as
 * "[masked]" whole, and the reason is shown, rather than sent unmasked.
 */
import { MASK_PATTERN_MAX_LENGTH, MASK_PATTERNS_MAX, type Policy } from '@seatwatch/shared';
import { compileMaskPattern, MASK_MARK, replaceMatches } from '@seatwatch/shared/mask-patterns';

export interface Masker {
  mask(text: string): string;
  /** Why the patterns could not all be used (everything is masked then); empty when they could. */
  readonly problems: readonly string[];
  /** One line for the notice and the status: what is masked. */
  readonly description: string;
}

type Masks = NonNullable<Policy['masks']>;

/** The Luhn check over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

const digitCount = (text: string) => text.replace(/[ -]/g, '').length;
const isCard = (text: string) => {
  const digits = text.replace(/[ -]/g, '');
  return digits.length >= 13 && digits.length <= 19 && luhnValid(digits);
};

/** Runs of digits with single spaces or dashes between them (a fixed, linear-time pattern). */
const DIGIT_RUN = /(?<![\d])\d+(?:[ -]\d+)*(?![\d])/g;

/** Masks every card number in `text`. */
export function maskCardNumbers(text: string): string {
  return text.replace(DIGIT_RUN, (run) => {
    if (digitCount(run) < 13) return run;
    if (isCard(run)) return MASK_MARK;
    // Consecutive groups of the run that form a card number, longest first from the left.
    const groups = run.split(/([ -])/);
    // groups: [digits, sep, digits, sep, ...]
    const parts: string[] = [];
    let i = 0;
    while (i < groups.length) {
      let found = -1;
      let total = 0;
      for (let j = i; j < groups.length; j += 2) {
        total += groups[j]!.length;
        if (total > 19) break;
        if (
          total >= 13 &&
          luhnValid(
            groups
              .slice(i, j + 1)
              .filter((_, k) => k % 2 === 0)
              .join(''),
          )
        )
          found = j;
      }
      if (found >= 0) {
        parts.push(MASK_MARK);
        if (found + 1 < groups.length) parts.push(groups[found + 1]!);
        i = found + 2;
      } else {
        parts.push(groups[i]!);
        if (i + 1 < groups.length) parts.push(groups[i + 1]!);
        i += 2;
      }
    }
    return parts.join('');
  });
}

export function createMasker(masks: Policy['masks']): Masker {
  const settings: Masks = masks ?? { cardNumbers: true, patterns: [] };
  const problems: string[] = [];
  const patterns = settings.patterns.slice(0, MASK_PATTERNS_MAX).flatMap((pattern, index) => {
    const compiled = compileMaskPattern(pattern);
    if (compiled.ok) return [compiled.regex];
    problems.push(
      `mask pattern ${index + 1} (${pattern.slice(0, MASK_PATTERN_MAX_LENGTH)}) is ${compiled.reason}`,
    );
    return [];
  });
  if (settings.patterns.length > MASK_PATTERNS_MAX)
    problems.push(`more than ${MASK_PATTERNS_MAX} mask patterns`);
  const what = [
    settings.cardNumbers ? 'card numbers (13–19 digits passing the Luhn check)' : null,
    patterns.length > 0 ? `${patterns.length} pattern(s) set by the project` : null,
  ].filter(Boolean);
  const description =
    problems.length > 0
      ? `Window titles and application names are not sent (shown as ${MASK_MARK}): ${problems.join('; ')}.`
      : what.length > 0
        ? `Before window titles and application names leave this computer, ${what.join(' and ')} in them are replaced by ${MASK_MARK}.`
        : 'Window titles and application names are sent as they are (the project turned masking off).';
  return {
    problems,
    description,
    mask(text) {
      if (problems.length > 0) return text === '' ? '' : MASK_MARK;
      let masked = settings.cardNumbers ? maskCardNumbers(text) : text;
      for (const regex of patterns) masked = replaceMatches(regex, masked);
      return masked;
    },
  };
}
