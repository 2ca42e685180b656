/**
 * The visual timeline: for each seat, a lane of activity spans coloured by
 * application, a presence band (active, idle, locked, offline) and a lane
 * of markers (screenshots, anomalies, devices, sign-ins) on one time axis in
 * the viewer's local time. One canvas, redrawn in one animation frame per
 * change: the wheel zooms at the pointer, dragging pans, the buttons do both
 * from the keyboard, and a click opens what is under the pointer.
 * Application names are drawn as canvas text (never HTML); the detail panel
 * shows them through UntrustedText.
 *
 * Zoomed out it draws the server's summary of the whole range (one recorded
 * request); zoomed in far enough that a summary bucket would look blocky,
 * it reads the detailed timeline of the visible range only (and half a
 * view each side), once the view has settled, and draws that instead.
 */
import type { Timeline, TimelineSeat, TimelineSummary } from '@seatwatch/shared/dashboard-api';
import { revealControls } from '@seatwatch/shared/dashboard-api';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { investigation } from '../api/investigation.js';
import { UntrustedText } from '../components/UntrustedText.js';
import { useI18n } from '../i18n/i18n-context.js';
import {
  AXIS_HEIGHT,
  appColour,
  covers,
  type Detail,
  detailRange,
  detailSource,
  hitTest,
  layoutLanes,
  MARKER_ROWS,
  PRESENCE_COLOURS,
  pan,
  seatTracks,
  summarySource,
  ticks,
  type View,
  wantsDetail,
  zoom,
} from './timeline-model.js';

/** How long the view must stay still before its detail is read (a wheel spin is many views). */
const SETTLE_MS = 250;

const MARKER_COLOURS = {
  screenshot: '#2f6fd6',
  anomaly: '#d64545',
  device: '#8a5a00',
  login: '#444c56',
} as const;

function DetailPanel({
  detail,
  seatName,
  onViewScreenshot,
  onZoom,
  onClose,
}: {
  detail: Detail;
  seatName: (id: string | null) => string;
  onViewScreenshot: (id: string) => void;
  onZoom: (range: View) => void;
  onClose: () => void;
}) {
  const { t, dateTime, duration } = useI18n();
  const range = (from: number, to: number) => `${dateTime(from)} – ${dateTime(to)} (${duration(to - from)})`;
  let body: React.ReactNode;
  switch (detail.kind) {
    case 'span':
      body = (
        <dl>
          <dt>{t('seat.app')}</dt>
          <dd>
            <UntrustedText value={detail.span.app} testId="detail-app" />
          </dd>
          <dt>{t('seat.windowTitle')}</dt>
          <dd>
            <UntrustedText value={detail.span.title} testId="detail-title" />
          </dd>
          <dt>{t('timeline.when')}</dt>
          <dd>{range(detail.span.start, detail.span.end)}</dd>
        </dl>
      );
      break;
    case 'spans':
      body = (
        <dl>
          <dt>{t('timeline.mostlyApp')}</dt>
          <dd>
            <UntrustedText value={detail.app} testId="detail-app" />
          </dd>
          <dt>{t('timeline.when')}</dt>
          <dd>{range(detail.from, detail.to)}</dd>
          <dd className="muted">{t('timeline.mergedSpans', { count: detail.count })}</dd>
        </dl>
      );
      break;
    case 'screenshot':
      body = (
        <>
          <p>{dateTime(detail.shot.time)}</p>
          <img src={investigation.thumbnailUrl(detail.shot.id)} alt={dateTime(detail.shot.time)} />
          <button type="button" onClick={() => onViewScreenshot(detail.shot.id)}>
            {t('investigation.viewFull')}
          </button>
        </>
      );
      break;
    case 'anomaly':
      body = (
        <dl>
          <dt>{t('timeline.rule')}</dt>
          <dd data-testid="detail-rule">{detail.anomaly.rule}</dd>
          <dt>{t('timeline.severity')}</dt>
          <dd>{detail.anomaly.severity}</dd>
          <dt>{t('timeline.when')}</dt>
          <dd>
            {range(detail.anomaly.firstAt, detail.anomaly.lastAt)} · {detail.anomaly.count}× ·{' '}
            {detail.anomaly.status}
          </dd>
        </dl>
      );
      break;
    case 'login':
      body = (
        <p>
          {dateTime(detail.login.time)} · {detail.login.kind} · {detail.login.ip} ·{' '}
          {detail.login.allowed ? t('investigation.allowed') : t('investigation.refused')}{' '}
          <UntrustedText value={detail.login.osUser} />
        </p>
      );
      break;
    case 'device':
      body = (
        <p>
          {dateTime(detail.device.time)} · {detail.device.action} ·{' '}
          <UntrustedText value={detail.device.name} />
          {detail.device.massStorage ? ` (${t('investigation.massStorage')})` : ''}
        </p>
      );
      break;
    case 'bucket':
      body = (
        <>
          <dl>
            <dt>{t('timeline.when')}</dt>
            <dd>{range(detail.from, detail.to)}</dd>
            {MARKER_ROWS.filter((type) => detail.counts[type] > 0).map((type) => (
              <div key={type}>
                <dt>{t(`timeline.marker.${type}`)}</dt>
                <dd data-testid={`detail-count-${type}`}>{detail.counts[type]}</dd>
              </div>
            ))}
          </dl>
          <button type="button" onClick={() => onZoom({ from: detail.from, to: detail.to })}>
            {t('timeline.zoomIn')}
          </button>
        </>
      );
      break;
    case 'presence':
      body = (
        <p>
          {t(`timeline.state.${detail.band.state}`)} · {range(detail.band.start, detail.band.end)}
        </p>
      );
      break;
  }
  const seatId =
    detail.kind === 'span'
      ? detail.span.seatId
      : detail.kind === 'spans'
        ? detail.seatId
        : detail.kind === 'screenshot'
          ? detail.shot.seatId
          : detail.kind === 'anomaly'
            ? detail.anomaly.seatId
            : detail.kind === 'login'
              ? detail.login.seatId
              : detail.kind === 'device'
                ? detail.device.seatId
                : detail.kind === 'bucket'
                  ? detail.seatId
                  : detail.band.seatId;
  return (
    <aside className="timeline-detail" data-testid="timeline-detail" data-kind={detail.kind}>
      <header>
        <strong>
          <UntrustedText value={seatName(seatId)} />
        </strong>
        <button type="button" className="link" onClick={onClose}>
          {t('common.close')}
        </button>
      </header>
      {body}
    </aside>
  );
}

export function VisualTimeline({
  summary,
  seats,
  loadDetail,
  onViewScreenshot,
}: {
  summary: TimelineSummary;
  seats: readonly TimelineSeat[];
  /** The detailed timeline of a range, every page of it; each call is a read the server records. */
  loadDetail: (range: View) => Promise<Timeline>;
  onViewScreenshot: (screenshotId: string) => void;
}) {
  const { t, dateTime, locale } = useI18n();
  const bounds = useMemo<View>(() => ({ from: summary.from, to: summary.to }), [summary.from, summary.to]);
  const [view, setView] = useState<View>(bounds);
  const [detail, setDetail] = useState<Detail | null>(null);
  const [width, setWidth] = useState(900);
  /** The detailed timeline read for a range around a zoomed-in view. */
  const [loaded, setLoaded] = useState<{ range: View; timeline: Timeline } | null>(null);
  const [loading, setLoading] = useState(false);
  const canvasRef = useRef<HTMLCanvasElement | null>(null);
  const wrapRef = useRef<HTMLDivElement | null>(null);
  const drag = useRef<{ x: number; view: View; moved: boolean } | null>(null);
  useEffect(() => {
    setView(bounds);
    setLoaded(null);
  }, [bounds]);

  const zoomedIn = wantsDetail(view, summary.bucketMs, width);
  const haveDetail = zoomedIn && loaded !== null && covers(loaded.range, view);
  // Zoomed in past the summary and not covered yet: read the detail once the view settles. Only the
  // latest read's answer is kept (a pan while one is on its way starts another).
  const latestRead = useRef(0);
  useEffect(() => {
    if (!zoomedIn || (loaded && covers(loaded.range, view))) return;
    const timer = setTimeout(() => {
      const range = detailRange(view, bounds);
      const read = ++latestRead.current;
      setLoading(true);
      loadDetail(range)
        .then((timeline) => {
          if (read === latestRead.current) setLoaded({ range, timeline });
        })
        // The summary stays drawn; the next settled view tries again.
        .catch(() => undefined)
        .finally(() => {
          if (read === latestRead.current) setLoading(false);
        });
    }, SETTLE_MS);
    return () => clearTimeout(timer);
  }, [zoomedIn, loaded, view, bounds, loadDetail]);

  const summaryLanes = useMemo(() => summarySource(summary), [summary]);
  const detailLanes = useMemo(
    () => (loaded ? detailSource(seatTracks(loaded.timeline, Date.now())) : null),
    [loaded],
  );
  const source = haveDetail && detailLanes ? detailLanes : summaryLanes;
  const { lanes, height } = useMemo(() => layoutLanes(summary.seats.map((seat) => seat.id)), [summary.seats]);
  const seatName = useCallback(
    (id: string | null) => revealControls(seats.find((seat) => seat.id === id)?.name ?? id ?? ''),
    [seats],
  );

  // The canvas follows its box's width (the page, a resized window).
  useEffect(() => {
    const wrap = wrapRef.current;
    if (!wrap) return;
    const observer = new ResizeObserver(() => setWidth(Math.max(200, Math.floor(wrap.clientWidth))));
    observer.observe(wrap);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const canvas = canvasRef.current;
    const context = canvas?.getContext('2d');
    if (!canvas || !context) return;
    const frame = requestAnimationFrame(() => {
      const ratio = window.devicePixelRatio || 1;
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.clearRect(0, 0, width, height);
      context.font = '11px system-ui, sans-serif';
      context.textBaseline = 'middle';
      // Axis: local-time labels on "nice" steps.
      context.fillStyle = '#57606a';
      context.strokeStyle = '#e4e7eb';
      const msPerPx = (view.to - view.from) / width;
      const dayStep = view.to - view.from > 2 * 86_400_000;
      const format = new Intl.DateTimeFormat(
        locale,
        dayStep ? { month: 'short', day: 'numeric' } : { hour: '2-digit', minute: '2-digit' },
      );
      for (const tick of ticks(view, width)) {
        const x = Math.round((tick - view.from) / msPerPx) + 0.5;
        context.beginPath();
        context.moveTo(x, AXIS_HEIGHT - 4);
        context.lineTo(x, height);
        context.stroke();
        context.fillText(format.format(tick), x + 3, AXIS_HEIGHT / 2);
      }
      for (const lane of lanes) {
        if (lane.kind === 'activity') {
          context.fillStyle = '#24292f';
          context.fillText(seatName(lane.seatId), 2, lane.top - 7);
          for (const block of source.activity(lane.seatId, view, width)) {
            context.fillStyle = appColour(block.key);
            context.fillRect(block.x0, lane.top, Math.max(1, block.x1 - block.x0), lane.height);
            // Wide spans carry their application's name (canvas text: never markup).
            if (block.x1 - block.x0 > 60) {
              context.save();
              context.beginPath();
              context.rect(block.x0, lane.top, block.x1 - block.x0, lane.height);
              context.clip();
              context.fillStyle = '#fff';
              context.fillText(revealControls(block.key), block.x0 + 3, lane.top + lane.height / 2);
              context.restore();
            }
          }
        } else if (lane.kind === 'presence') {
          for (const block of source.presence(lane.seatId, view, width)) {
            context.fillStyle = PRESENCE_COLOURS[block.key as keyof typeof PRESENCE_COLOURS];
            context.fillRect(block.x0, lane.top, block.x1 - block.x0, lane.height);
          }
        } else {
          const row = lane.height / MARKER_ROWS.length;
          for (const marker of source.markers(lane.seatId, view, width)) {
            context.fillStyle = MARKER_COLOURS[marker.type];
            const y = lane.top + MARKER_ROWS.indexOf(marker.type) * row;
            context.fillRect(Math.round(marker.x) - 1, y, 3, row);
          }
        }
      }
    });
    return () => cancelAnimationFrame(frame);
  }, [view, width, height, lanes, source, locale, seatName]);

  // A wheel zooms the timeline, not the page: the listener must not be passive to prevent scrolling.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const rect = canvas.getBoundingClientRect();
      setView((current) => {
        const anchor =
          current.from + ((event.clientX - rect.left) / rect.width) * (current.to - current.from);
        return zoom(current, event.deltaY < 0 ? 0.8 : 1.25, anchor, bounds);
      });
    };
    canvas.addEventListener('wheel', onWheel, { passive: false });
    return () => canvas.removeEventListener('wheel', onWheel);
  }, [bounds]);

  const onPointerDown = (event: React.PointerEvent<HTMLCanvasElement>) => {
    drag.current = { x: event.clientX, view, moved: false };
    event.currentTarget.setPointerCapture(event.pointerId);
  };
  const onPointerMove = (event: React.PointerEvent<HTMLCanvasElement>) => {
    const start = drag.current;
    if (!start) return;
    const dx = event.clientX - start.x;
    if (Math.abs(dx) > 3) start.moved = true;
    if (start.moved) setView(pan(start.view, (-dx / width) * (start.view.to - start.view.from), bounds));
  };
  const onPointerUp = (event: React.PointerEvent<HTMLCanvasElement>) => {
    const start = drag.current;
    drag.current = null;
    if (!start || start.moved) return;
    const rect = event.currentTarget.getBoundingClientRect();
    setDetail(hitTest(lanes, source, view, width, event.clientX - rect.left, event.clientY - rect.top));
  };

  const centre = (view.from + view.to) / 2;
  const step = (view.to - view.from) / 4;
  return (
    <section className="visual-timeline" aria-label={t('timeline.visualTitle')}>
      <div className="toolbar wrap timeline-controls">
        <button type="button" onClick={() => setView(zoom(view, 0.5, centre, bounds))}>
          {t('timeline.zoomIn')}
        </button>
        <button type="button" onClick={() => setView(zoom(view, 2, centre, bounds))}>
          {t('timeline.zoomOut')}
        </button>
        <button type="button" onClick={() => setView(pan(view, -step, bounds))}>
          {t('timeline.earlier')}
        </button>
        <button type="button" onClick={() => setView(pan(view, step, bounds))}>
          {t('timeline.later')}
        </button>
        <button type="button" onClick={() => setView(bounds)}>
          {t('timeline.whole')}
        </button>
        <span className="muted small" data-testid="timeline-view" data-from={view.from} data-to={view.to}>
          {dateTime(view.from)} – {dateTime(view.to)}
        </span>
      </div>
      <div className="timeline-canvas" ref={wrapRef}>
        <canvas
          ref={canvasRef}
          data-testid="timeline-canvas"
          data-source={source.kind}
          data-detail={loading ? 'loading' : haveDetail ? 'ready' : 'none'}
          style={{ width: `${width}px`, height: `${height}px` }}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          role="img"
          aria-label={t('timeline.canvasLabel')}
        />
      </div>
      <ul className="timeline-legend small">
        {(['active', 'idle', 'locked', 'offline'] as const).map((state) => (
          <li key={state}>
            <span className="swatch" style={{ background: PRESENCE_COLOURS[state] }} />
            {t(`timeline.state.${state}`)}
          </li>
        ))}
        {(Object.keys(MARKER_COLOURS) as (keyof typeof MARKER_COLOURS)[]).map((type) => (
          <li key={type}>
            <span className="swatch" style={{ background: MARKER_COLOURS[type] }} />
            {t(`timeline.marker.${type}`)}
          </li>
        ))}
      </ul>
      {detail ? (
        <DetailPanel
          detail={detail}
          seatName={seatName}
          onViewScreenshot={onViewScreenshot}
          onZoom={(range) => setView(zoom(range, 1, (range.from + range.to) / 2, bounds))}
          onClose={() => setDetail(null)}
        />
      ) : null}
    </section>
  );
}
