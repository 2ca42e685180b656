import type { I18n } from '../i18n/i18n-context.js';
import { CATALOGUES, type MessageKey } from '../i18n/translate.js';

/** A rule's name in the viewer's language; a rule newer than this catalogue shows its id. */
export function ruleLabel(i18n: I18n, rule: string): string {
  const key = `rule.${rule}`;
  return Object.hasOwn(CATALOGUES.en, key) ? i18n.t(key as MessageKey) : rule;
}
