/**
 * Mask patterns: regular expressions a project sets so that matching parts
 * of window titles and app names are replaced on the seat, before anything
 * leaves it (issue #12). A pattern comes from an administrator and reaches
 * every seat, so it runs in RE2 (re2js): matching time is linear in the text
 * whatever the pattern, no backreferences or lookarounds, no catastrophic
 * backtracking. The server refuses a pattern this module refuses; the agent
 * checks again (a seat trusts nothing it is sent).
 */
import { RE2JS } from 're2js';
import { MASK_PATTERN_MAX_LENGTH } from '../protocol/policy.js';

/** What a masked part is replaced with. */
export const MASK_MARK = '[masked]';

/** The pattern compiled, or why it cannot be used. */
export function compileMaskPattern(
  pattern: string,
): { ok: true; regex: RE2JS } | { ok: false; reason: string } {
  if (pattern.length === 0) return { ok: false, reason: 'empty' };
  if (pattern.length > MASK_PATTERN_MAX_LENGTH)
    return { ok: false, reason: `longer than ${MASK_PATTERN_MAX_LENGTH} characters` };
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(pattern);
  } catch (error) {
    return {
      ok: false,
      reason: `not an RE2 regular expression: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  // A pattern that matches nothing at all would put the mark between every character.
  if (regex.matcher('').find()) return { ok: false, reason: 'matches the empty text' };
  return { ok: true, regex };
}

/** Replaces every match of `regex` in `text` with the mark. */
export function replaceMatches(regex: RE2JS, text: string): string {
  return regex.matcher(text).replaceAll(() => MASK_MARK);
}
