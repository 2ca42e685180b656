/**
 * The investigation timeline: pick seats or operators, a range and a
 * purpose; read activity, application totals, the screenshot strip, device
 * events, sign-ins and IPs, state changes and anomalies, page by page.
 * Above the lists, the visual timeline draws the whole range at once from
 * the server's summary (one recorded request), and reads the detail of a
 * range only when zoomed into it (timeline/). Every string from a seat is
 * rendered as text.
 */
import {
  revealControls,
  type Timeline,
  type TimelineRequest,
  type TimelineSection,
  type TimelineSummary,
} from '@seatwatch/shared/dashboard-api';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { knownLabel, ruleLabel } from '../alerts/rule-label.js';
import { cases, investigation } from '../api/investigation.js';
import { changed, queries, queryKeys } from '../api/queries.js';
import { errorText } from '../app/errors.js';
import { useSession } from '../auth/use-session.js';
import { SeatPicker } from '../components/SeatPicker.js';
import { UntrustedText } from '../components/UntrustedText.js';
import { useI18n } from '../i18n/i18n-context.js';
import { loadWholeTimeline } from '../timeline/load-all.js';
import { SUMMARY_BUCKETS } from '../timeline/timeline-model.js';
import { VisualTimeline } from '../timeline/VisualTimeline.js';
import { fromLocalInput, type PurposeInput, purposeOf, toLocalInput } from './purpose.js';

const DAY = 86_400_000;

function ScreenshotViewer({
  id,
  purpose,
  onClose,
}: {
  id: string;
  purpose: PurposeInput;
  onClose: () => void;
}) {
  const i18n = useI18n();
  const { session } = useSession();
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  // Not a cached query: every look at a full screenshot is recorded with its purpose, and the
  // picture lives only as long as the viewer (its object URL is revoked when it closes).
  useEffect(() => {
    const chosen = purposeOf(purpose);
    if (!chosen) {
      setError(new Error(i18n.t('investigation.purposeNeeded')));
      return;
    }
    let objectUrl: string | null = null;
    investigation.viewScreenshot(id, chosen, session?.csrfToken ?? null).then((blob) => {
      objectUrl = URL.createObjectURL(blob);
      setUrl(objectUrl);
    }, setError);
    return () => {
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [id, purpose, session?.csrfToken, i18n]);
  return (
    <div className="viewer" role="dialog" aria-label={i18n.t('investigation.fullScreenshot')}>
      <button type="button" onClick={onClose}>
        {i18n.t('common.close')}
      </button>
      <p className="muted small">{i18n.t('investigation.viewRecorded')}</p>
      {error ? <p className="error">{errorText(i18n, error)}</p> : null}
      {url ? <img src={url} alt={i18n.t('investigation.fullScreenshot')} /> : null}
    </div>
  );
}

export function TimelinePage() {
  const i18n = useI18n();
  const { t, dateTime, duration } = i18n;
  const client = useQueryClient();
  const seatQuery = useQuery(queries.investigationSeats());
  const seatOptions = seatQuery.data ?? [];
  // Without the case list the page still works: the case choice then offers none.
  const openCases = (useQuery(queries.caseList(undefined)).data ?? []).filter((c) => c.status !== 'closed');
  const [seatIds, setSeatIds] = useState<string[]>([]);
  const [operators, setOperators] = useState('');
  const [from, setFrom] = useState(toLocalInput(Date.now() - DAY));
  const [to, setTo] = useState(toLocalInput(Date.now()));
  const [q, setQ] = useState('');
  const [purpose, setPurpose] = useState<PurposeInput>({ reason: '', caseId: '' });
  const [request, setRequest] = useState<TimelineRequest | null>(null);
  const [timeline, setTimeline] = useState<Timeline | null>(null);
  const [viewing, setViewing] = useState<string | null>(null);
  /** The visual timeline's summary of the range, and the request its zoomed-in detail is read with. */
  const [visual, setVisual] = useState<{ summary: TimelineSummary; request: TimelineRequest } | null>(null);
  // Reading the timeline is an act the server records with its purpose, so it is sent when asked
  // for, not cached or read again by itself; its errors are kept here with the other actions'.
  const [failure, setFailure] = useState<unknown>(null);
  const error = failure ?? seatQuery.error;
  const [added, setAdded] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    const chosen = purposeOf(purpose);
    if (!chosen) {
      setFailure(new Error(t('investigation.purposeNeeded')));
      return;
    }
    const body: TimelineRequest = {
      seatIds,
      operators: operators
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
      from: fromLocalInput(from),
      to: fromLocalInput(to),
      ...(q.trim() ? { q: q.trim() } : {}),
      ...chosen,
    };
    setVisual(null);
    // The lists' first page and the visual timeline's summary are asked for at once.
    const summary = investigation.timelineSummary({
      seatIds: body.seatIds,
      operators: body.operators,
      from: body.from,
      to: body.to,
      buckets: SUMMARY_BUCKETS,
      ...chosen,
    });
    // When the lists' request fails first, that is the error shown; this one must not go unhandled.
    summary.catch(() => undefined);
    try {
      setTimeline(await investigation.timeline(body));
      setRequest(body);
      setVisual({ summary: await summary, request: body });
    } catch (caught) {
      setFailure(caught);
    }
  };

  /** The visual timeline zoomed in: every page of the range it shows (and a little around it). */
  const loadDetail = useCallback(
    async (range: { from: number; to: number }) =>
      (await loadWholeTimeline({ ...visual!.request, ...range }, investigation.timeline)).timeline,
    [visual],
  );

  /** The next page of one section, appended. */
  const more = async (section: TimelineSection) => {
    if (!request || !timeline) return;
    const next = timeline[section]?.next;
    if (!next) return;
    try {
      const page = await investigation.timeline({
        ...request,
        sections: [section],
        cursors: { [section]: next },
      });
      setTimeline({
        ...timeline,
        [section]: {
          items: [...(timeline[section]?.items ?? []), ...(page[section]?.items ?? [])],
          next: page[section]?.next ?? null,
        },
      });
    } catch (caught) {
      setFailure(caught);
    }
  };

  const addToCase = async (
    kind: 'activity_span' | 'screenshot' | 'device_event' | 'login' | 'anomaly',
    refId: string,
  ) => {
    if (!purpose.caseId) return;
    try {
      const detail = await cases.addItem(purpose.caseId, { kind, refId });
      client.setQueryData(queryKeys.caseDetail(detail.case.id), detail);
      void changed.cases(client);
      setAdded(refId);
    } catch (caught) {
      setFailure(caught);
    }
  };
  const seatName = (id: string | null) =>
    seatOptions.find((seat) => seat.id === id)?.name ?? id ?? t('common.none');
  const moreButton = (section: TimelineSection) =>
    timeline?.[section]?.next ? (
      <button type="button" onClick={() => void more(section)}>
        {t('investigation.more')}
      </button>
    ) : null;
  const addButton = (kind: Parameters<typeof addToCase>[0], refId: string) =>
    purpose.caseId ? (
      <button type="button" className="link" onClick={() => void addToCase(kind, refId)}>
        {added === refId ? t('investigation.added') : t('investigation.addToCase')}
      </button>
    ) : null;

  return (
    <section className="investigation">
      <h1>{t('investigation.timelineTitle')}</h1>
      <form className="toolbar wrap" onSubmit={(event) => void submit(event)}>
        <SeatPicker seats={seatOptions} value={seatIds} onChange={setSeatIds} />
        <label>
          {t('investigation.operators')}
          <input
            value={operators}
            onChange={(event) => setOperators(event.target.value)}
            placeholder={t('investigation.operatorsPlaceholder')}
          />
        </label>
        <label>
          {t('investigation.from')}
          <input
            type="datetime-local"
            value={from}
            onChange={(event) => setFrom(event.target.value)}
            required
          />
        </label>
        <label>
          {t('investigation.to')}
          <input type="datetime-local" value={to} onChange={(event) => setTo(event.target.value)} required />
        </label>
        <label>
          {t('investigation.search')}
          <input value={q} onChange={(event) => setQ(event.target.value)} />
        </label>
        <label>
          {t('investigation.case')}
          <select
            value={purpose.caseId}
            onChange={(event) => setPurpose({ ...purpose, caseId: event.target.value })}
          >
            <option value="">{t('investigation.noCase')}</option>
            {openCases.map((c) => (
              <option key={c.id} value={c.id}>
                {revealControls(c.title)}
              </option>
            ))}
          </select>
        </label>
        {!purpose.caseId && (
          <label>
            {t('investigation.reason')}
            <input
              value={purpose.reason}
              minLength={5}
              onChange={(event) => setPurpose({ ...purpose, reason: event.target.value })}
              placeholder={t('investigation.reasonPlaceholder')}
            />
          </label>
        )}
        <button type="submit" className="primary">
          {t('investigation.show')}
        </button>
      </form>
      <p className="muted small">{t('investigation.recordedNotice')}</p>
      {error ? <p className="error">{errorText(i18n, error)}</p> : null}
      {viewing && <ScreenshotViewer id={viewing} purpose={purpose} onClose={() => setViewing(null)} />}
      {timeline && (
        <>
          <p data-testid="timeline-range">
            {t('timeline.rangeOf', {
              seats: timeline.seats.map((seat) => revealControls(seat.name)).join(', ') || t('common.none'),
              from: dateTime(timeline.from),
              to: dateTime(timeline.to),
              zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
            })}
          </p>
          {visual ? (
            <VisualTimeline
              summary={visual.summary}
              seats={seatOptions}
              loadDetail={loadDetail}
              onViewScreenshot={setViewing}
            />
          ) : (
            <p className="muted small">{t('timeline.loadingPages')}</p>
          )}
          {timeline.totals && (
            <>
              <h2>{t('investigation.appTotals')}</h2>
              <p className="muted">
                {t('investigation.totalsLine', {
                  active: duration(timeline.totals.activeMs),
                  spans: timeline.totals.spans,
                  screenshots: timeline.totals.screenshots,
                })}
              </p>
              <table className="data">
                <tbody>
                  {timeline.totals.apps.map((app) => (
                    <tr key={app.app}>
                      <td className="text-cell">
                        <UntrustedText value={app.app} fit="clamp" />
                      </td>
                      <td>{duration(app.ms)}</td>
                      <td>{app.spans}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          <h2>{t('investigation.screenshots')}</h2>
          <div className="shots">
            {timeline.screenshots?.items.map((shot) => (
              <figure key={shot.id}>
                <img src={investigation.thumbnailUrl(shot.id)} alt={dateTime(shot.time)} loading="lazy" />
                <figcaption>
                  {dateTime(shot.time)} · <UntrustedText value={seatName(shot.seatId)} />
                  {shot.osUser ? ' · ' : ''}
                  <UntrustedText value={shot.osUser ?? null} />{' '}
                  <button type="button" className="link" onClick={() => setViewing(shot.id)}>
                    {t('investigation.viewFull')}
                  </button>{' '}
                  {addButton('screenshot', shot.id)}
                </figcaption>
              </figure>
            ))}
          </div>
          {moreButton('screenshots')}
          <h2>{t('investigation.activity')}</h2>
          <table className="data">
            <thead>
              <tr>
                <th>{t('investigation.when')}</th>
                <th>{t('investigation.seat')}</th>
                <th>{t('seat.operator')}</th>
                <th>{t('seat.app')}</th>
                <th>{t('seat.windowTitle')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {timeline.spans?.items.map((span) => (
                <tr key={span.id}>
                  <td>
                    {dateTime(span.start)} ({duration(span.end - span.start)})
                  </td>
                  <td className="text-cell">
                    <UntrustedText value={seatName(span.seatId)} />
                  </td>
                  <td className="text-cell">
                    <UntrustedText value={span.osUser ?? null} />
                  </td>
                  <td className="text-cell">
                    <UntrustedText value={span.app} fit="clamp" />
                  </td>
                  <td className="title-cell">
                    <UntrustedText value={span.title} fit="clamp" />
                  </td>
                  <td>{addButton('activity_span', span.id)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {moreButton('spans')}
          <h2>{t('investigation.devices')}</h2>
          <ul>
            {timeline.devices?.items.map((device) => (
              <li key={device.id}>
                {dateTime(device.time)} · <UntrustedText value={seatName(device.seatId)} /> · {device.action}{' '}
                · <UntrustedText value={device.name} />
                {device.massStorage ? ` (${t('investigation.massStorage')})` : ''}
                {device.osUser ? ' · ' : ''}
                <UntrustedText value={device.osUser ?? null} /> {addButton('device_event', device.id)}
              </li>
            ))}
          </ul>
          {moreButton('devices')}
          <h2>{t('investigation.logins')}</h2>
          <ul>
            {timeline.logins?.items.map((login) => (
              <li key={login.id}>
                {dateTime(login.time)} · {seatName(login.seatId)} · {login.kind} · {login.ip} ·{' '}
                {login.allowed
                  ? t('investigation.allowed')
                  : `${t('investigation.refused')} (${login.reason ?? ''})`}
                {login.osUser ? ' · ' : ''}
                <UntrustedText value={login.osUser} /> {addButton('login', login.id)}
              </li>
            ))}
          </ul>
          {moreButton('logins')}
          <h2>{t('investigation.states')}</h2>
          <ul>
            {timeline.states?.items.map((state) => (
              <li key={state.id}>
                {dateTime(state.time)} · <UntrustedText value={seatName(state.seatId)} /> ·{' '}
                {t(`state.${state.state}`)}
              </li>
            ))}
          </ul>
          {moreButton('states')}
          <h2>{t('investigation.anomalies')}</h2>
          <ul>
            {timeline.anomalies?.items.map((anomaly) => (
              <li key={anomaly.id}>
                {dateTime(anomaly.firstAt)} · <UntrustedText value={seatName(anomaly.seatId)} /> ·{' '}
                {ruleLabel(i18n, anomaly.rule)} · {knownLabel(i18n, 'severity', anomaly.severity)} ·{' '}
                {anomaly.count}× · {knownLabel(i18n, 'status', anomaly.status)}{' '}
                {addButton('anomaly', anomaly.id)}
              </li>
            ))}
          </ul>
          {moreButton('anomalies')}
        </>
      )}
    </section>
  );
}
