import type { TotpEnrollment } from '@seatwatch/shared/dashboard-api';
import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import { useI18n } from '../i18n/i18n-context.js';

/** The authenticator key as a QR code (an image, never markup) and as text to type in. */
export function TotpKey({ enrollment }: { enrollment: TotpEnrollment }) {
  const { t } = useI18n();
  const [qr, setQr] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    QRCode.toDataURL(enrollment.uri, { margin: 1, width: 176 }).then(
      (url) => live && setQr(url),
      () => live && setQr(null),
    );
    return () => {
      live = false;
    };
  }, [enrollment.uri]);
  return (
    <div className="totp-key">
      {qr && <img src={qr} width={176} height={176} alt={t('totp.qrAlt')} />}
      <div>
        <div className="muted">{t('totp.secret')}</div>
        <code data-testid="totp-secret">{enrollment.secret.replace(/(.{4})/g, '$1 ').trim()}</code>
      </div>
    </div>
  );
}
