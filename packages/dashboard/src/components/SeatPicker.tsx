/**
 * Choosing seats out of thousands: a search box (seat, site or team name),
 * results grouped by site and team with a checkbox per seat, and the chosen
 * seats as removable chips above. Only the first matches are listed, so the
 * page stays quick with every seat of a large project in scope. Names are
 * administrators' and seats' text: shown through UntrustedText.
 */
import type { TimelineSeat } from '@seatwatch/shared/dashboard-api';
import { useId, useMemo, useState } from 'react';
import { useI18n } from '../i18n/i18n-context.js';
import { groupSeats, SHOWN } from './seat-groups.js';
import { UntrustedText } from './UntrustedText.js';

export function SeatPicker({
  seats,
  value,
  onChange,
}: {
  seats: readonly TimelineSeat[];
  value: readonly string[];
  onChange: (seatIds: string[]) => void;
}) {
  const { t } = useI18n();
  const [search, setSearch] = useState('');
  const id = useId();
  const { groups, total } = useMemo(() => groupSeats(seats, search), [seats, search]);
  const chosen = value
    .map((seatId) => seats.find((seat) => seat.id === seatId))
    .filter(Boolean) as TimelineSeat[];
  const toggle = (seatId: string, on: boolean) =>
    onChange(on ? [...new Set([...value, seatId])] : value.filter((other) => other !== seatId));
  return (
    <fieldset className="seat-picker" data-testid="seat-picker">
      <legend>{t('investigation.seats')}</legend>
      <ul className="chips" aria-label={t('seatPicker.chosen')}>
        {chosen.map((seat) => (
          <li key={seat.id}>
            <UntrustedText value={seat.name} fit="line" />
            <button
              type="button"
              className="link"
              aria-label={t('seatPicker.remove', { name: seat.name })}
              onClick={() => toggle(seat.id, false)}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <label htmlFor={`${id}-search`} className="sr-only">
        {t('seatPicker.search')}
      </label>
      <input
        id={`${id}-search`}
        type="search"
        value={search}
        placeholder={t('seatPicker.search')}
        onChange={(event) => setSearch(event.target.value)}
      />
      <div className="seat-groups">
        {groups.map((group) => (
          <fieldset key={group.key} className="seat-group">
            <legend className="muted small">
              <UntrustedText value={group.site} fallback={t('seatPicker.noSite')} /> ·{' '}
              <UntrustedText value={group.team} fallback={t('seatPicker.noTeam')} />
            </legend>
            {group.seats.map((seat) => (
              <label key={seat.id} className="seat-option">
                <input
                  type="checkbox"
                  value={seat.id}
                  checked={value.includes(seat.id)}
                  onChange={(event) => toggle(seat.id, event.target.checked)}
                />
                <UntrustedText value={seat.name} fit="line" />
              </label>
            ))}
          </fieldset>
        ))}
        {total > SHOWN ? (
          <p className="muted small">{t('seatPicker.more', { count: total - SHOWN })}</p>
        ) : null}
        {total === 0 ? <p className="muted small">{t('seatPicker.none')}</p> : null}
      </div>
    </fieldset>
  );
}
