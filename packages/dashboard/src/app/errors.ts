import { ApiError } from '../api/http.js';
import type { MessageKey, Params } from '../i18n/translate.js';

/** What errorText needs of the I18n context: its translator. */
interface Translator {
  t(key: MessageKey, params?: Params): string;
}

const KNOWN: Readonly<Record<string, MessageKey>> = {
  unauthorized: 'error.unauthorized',
  forbidden: 'error.forbidden',
  not_found: 'error.notFound',
  conflict: 'error.conflict',
  rate_limited: 'error.rateLimited',
  bad_request: 'error.badRequest',
  ip_not_allowed: 'error.ipNotAllowed',
  unavailable: 'error.unavailable',
  credentials_wrong: 'error.credentialsWrong',
  retention_below_minimum: 'error.retentionBelowMinimum',
  seat_team_elsewhere: 'error.seatTeamElsewhere',
  seat_move_invalid: 'error.seatMoveInvalid',
  mask_pattern_invalid: 'error.maskPatternInvalid',
};
/** Answers whose server message says what was wrong (which rows, how many days): shown after the sentence. */
const DETAILED: ReadonlySet<MessageKey> = new Set([
  'error.badRequest',
  'error.retentionBelowMinimum',
  'error.seatMoveInvalid',
  'error.maskPatternInvalid',
]);

/** A sentence for the viewer; the server's own message (English) is added where it says what was wrong. */
export function errorText(i18n: Translator, error: unknown): string {
  if (error instanceof ApiError) {
    const key = KNOWN[error.code];
    if (key && DETAILED.has(key)) return i18n.t(key, { detail: error.message });
    if (key) return i18n.t(key);
    return i18n.t('error.generic', { detail: error.message });
  }
  return i18n.t('error.generic', { detail: error instanceof Error ? error.message : String(error) });
}
