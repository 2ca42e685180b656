import type { BoardSeat } from '@seatwatch/shared/dashboard-api';
import { type KeyboardEvent, type MouseEvent, memo } from 'react';
import { UntrustedText } from '../components/UntrustedText.js';
import { useI18n } from '../i18n/i18n-context.js';
import { displayState } from './board-view.js';
import { useCoarseNow } from './clock.js';
import { Thumbnail } from './Thumbnail.js';

function TimeInState({ since }: { since: number | null }) {
  const { duration } = useI18n();
  const now = useCoarseNow();
  return <span className="since">{since === null ? '' : duration(Math.max(0, now - since))}</span>;
}

/** Everything from the seat (name, operator, application, window title) goes through UntrustedText: text, isolated, controls shown. */
export const SeatTile = memo(function SeatTile({
  seat,
  onOpen,
  onKeyDown,
}: {
  seat: BoardSeat;
  /** One navigation handler for the whole board (a router link per tile costs a thousand sets of hooks). */
  onOpen: (seatId: string, event: MouseEvent) => void;
  /** Arrow keys between tiles: one handler for the whole board, like onOpen. */
  onKeyDown: (event: KeyboardEvent<HTMLElement>) => void;
}) {
  const { t } = useI18n();
  const state = displayState(seat);
  return (
    <a
      href={`/seats/${encodeURIComponent(seat.id)}`}
      onClick={(event) => onOpen(seat.id, event)}
      onKeyDown={onKeyDown}
      className={`tile state-${state}`}
      data-testid="seat-tile"
      data-seat-id={seat.id}
      data-state={state}
    >
      <Thumbnail screenshotId={seat.screenshot?.id ?? null} />
      <div className="tile-body">
        <div className="tile-row">
          <UntrustedText value={seat.name} fit="line" className="seat-name" testId="seat-name" />
          {seat.openAlerts > 0 && (
            <span
              className={`badge sev-${seat.alertSeverity ?? 'medium'}`}
              title={t('tile.alerts', { count: seat.openAlerts })}
              data-testid="alert-badge"
            >
              {seat.openAlerts}
            </span>
          )}
        </div>
        <div className="tile-row">
          <span className={`state-pill state-${seat.state}`}>{t(`state.${seat.state}`)}</span>
          <TimeInState since={seat.stateSince} />
        </div>
        {seat.operators.length > 0 ? (
          // A shared seat: every account with a desktop session open now, each its own untrusted text.
          <span className="operators" data-testid="seat-operators" title={t('tile.operators')}>
            {seat.operators.map((account) => (
              <UntrustedText
                key={account}
                value={account}
                fit="line"
                className="operator"
                testId="seat-operator"
              />
            ))}
          </span>
        ) : (
          <UntrustedText
            value={seat.operator}
            fallback={t('tile.noOperator')}
            fit="line"
            className="operator"
            testId="seat-operator"
          />
        )}
        <UntrustedText value={seat.app} fit="line" className="app" testId="seat-app" />
        {/* Null when the seat's policy keeps titles off the board (showWindowTitles). */}
        {seat.title !== null && (
          <UntrustedText value={seat.title} fit="line" className="window-title" testId="seat-title" />
        )}
      </div>
    </a>
  );
});
