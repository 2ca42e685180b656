/**
 * The live stream (server-sent events on /api/v1/live): seat changes and
 * anomalies as the server commits them. One EventSource for the whole app;
 * the browser reconnects by itself, and every (re)open is announced so that
 * pages reload their snapshot and miss nothing that happened while away
 * (`use-live-cache.ts` turns all of it into query-cache updates).
 */
import type { AnomalyLiveMessage, BoardSeat } from '@seatwatch/shared/dashboard-api';

/** `idle`: no page listens, so no stream is open. */
export type LiveStatus = 'idle' | 'connecting' | 'open' | 'reconnecting';

export interface LiveHandlers {
  seat?: (seat: BoardSeat) => void;
  anomaly?: (message: AnomalyLiveMessage) => void;
  /**
   * Load (or reload) snapshots now: the stream is open, so nothing that
   * happens from here on is missed. Also called once if the stream cannot
   * open at all, so pages still show their data.
   */
  open?: () => void;
  /**
   * The server refused the stream and the browser will not try again (its
   * answer was not 200: the session ended, issue #13). Whoever knows how
   * should look at the session now.
   */
  ended?: () => void;
}

/** What the stream needs of an EventSource (the browser's, or a test's). */
export interface LiveSource {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: Event) => void): void;
  close(): void;
}

/** EventSource.CLOSED: the browser has given up on this source. */
const CLOSED = 2;

type Listener = (status: LiveStatus) => void;

export class LiveStream {
  private source: LiveSource | null = null;
  private readonly handlers = new Set<LiveHandlers>();
  private readonly statusListeners = new Set<Listener>();
  private everOpened = false;
  private fellBack = false;
  status: LiveStatus = 'idle';

  constructor(
    private readonly openSource: (url: string) => LiveSource = (url) =>
      new EventSource(url, { withCredentials: true }),
  ) {}

  subscribe(handlers: LiveHandlers): () => void {
    this.handlers.add(handlers);
    // Already open: this page's snapshot cannot miss anything; load it at once.
    if (this.status === 'open' || this.fellBack) handlers.open?.();
    this.ensureOpen();
    return () => {
      this.handlers.delete(handlers);
      if (this.handlers.size === 0) this.close();
    };
  }

  onStatus(listener: Listener): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  close(): void {
    this.source?.close();
    this.source = null;
    this.everOpened = false;
    this.fellBack = false;
    this.setStatus('idle');
  }

  private setStatus(status: LiveStatus): void {
    this.status = status;
    for (const listener of this.statusListeners) listener(status);
  }

  private ensureOpen(): void {
    if (this.source) return;
    this.setStatus('connecting');
    const source = this.openSource('/api/v1/live');
    this.source = source;
    source.addEventListener('open', () => {
      this.everOpened = true;
      this.setStatus('open');
      for (const handlers of this.handlers) handlers.open?.();
    });
    source.addEventListener('error', () => {
      this.setStatus('reconnecting');
      if (!this.everOpened && !this.fellBack) {
        this.fellBack = true;
        for (const handlers of this.handlers) handlers.open?.();
      }
      // A dropped connection is retried by the browser; a refusal (401 once the session ended) is not.
      if (source.readyState === CLOSED && this.source === source) {
        this.source = null;
        for (const handlers of this.handlers) handlers.ended?.();
      }
    });
    source.addEventListener('seat', (event) => {
      const seat = JSON.parse(String((event as MessageEvent).data)) as BoardSeat;
      for (const handlers of this.handlers) handlers.seat?.(seat);
    });
    source.addEventListener('anomaly', (event) => {
      const message = JSON.parse(String((event as MessageEvent).data)) as AnomalyLiveMessage;
      for (const handlers of this.handlers) handlers.anomaly?.(message);
    });
  }
}

export const liveStream = new LiveStream();
