import type { I18n } from '../i18n/i18n-context.js';
import { CATALOGUES, type MessageKey } from '../i18n/translate.js';

/** A rule's name in the viewer's language; a rule newer than this catalogue shows its id. */
export function ruleLabel(i18n: I18n, rule: string): string {
  return knownLabel(i18n, 'rule', rule);
}

/**
 * A value the server names by id (a rule, a severity, a status) in the
 * viewer's language, where the API types it as any string; a value newer
 * than this catalogue shows its id.
 */
export function knownLabel(i18n: I18n, group: 'rule' | 'severity' | 'status', value: string): string {
  const key = `${group}.${value}`;
  return Object.hasOwn(CATALOGUES.en, key) ? i18n.t(key as MessageKey) : value;
}
