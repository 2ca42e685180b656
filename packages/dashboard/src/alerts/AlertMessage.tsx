import type { Anomaly } from '@seatwatch/shared/dashboard-api';
import { UntrustedText } from '../components/UntrustedText.js';
import { useI18n } from '../i18n/i18n-context.js';
import { CATALOGUES, type MessageKey, messageParts } from '../i18n/translate.js';

/**
 * What an anomaly says, in the viewer's language: its code's message with
 * its parameters in place (issue #13). A string parameter may quote the seat
 * (a device, an application), so it goes through UntrustedText; a number is
 * written the viewer's way. An anomaly without a code, or with one newer than
 * this catalogue, shows the server's English summary.
 */
export function AlertMessage({ anomaly }: { anomaly: Pick<Anomaly, 'code' | 'params' | 'summary'> }) {
  const { locale } = useI18n();
  const key = `alert.${anomaly.code}`;
  if (anomaly.code === null || !Object.hasOwn(CATALOGUES.en, key)) {
    return <UntrustedText value={anomaly.summary} className="alert-summary" testId="alert-summary" />;
  }
  const number = new Intl.NumberFormat(locale);
  return (
    <span className="alert-summary" data-testid="alert-summary" data-code={anomaly.code}>
      {messageParts(locale, key as MessageKey, anomaly.params).map((part, index) =>
        'text' in part ? (
          part.text
        ) : typeof part.value === 'number' ? (
          number.format(part.value)
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one message never move
          <UntrustedText key={index} value={part.value} testId={`alert-param-${part.param}`} />
        ),
      )}
    </span>
  );
}
