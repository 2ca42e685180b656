/**
 * What the live stream means for the query cache: seat patches go into the
 * cached board (batched, one write per animation frame), a seat's detail is
 * read again when that seat changes, anomalies go into every cached alerts
 * list they belong to, and every (re)open reads the live snapshots again so
 * nothing that happened while away is missed. The frame scheduler is passed
 * in, so tests need no browser.
 */
import type { Anomaly, AnomalyStatus, Board, BoardSeat } from '@seatwatch/shared/dashboard-api';
import type { QueryClient } from '@tanstack/react-query';
import { anomalyListStatus, LIVE_KEYS, queryKeys } from '../api/queries.js';

/** The board with these seats replaced (or added), keeping every other seat's object so its tile skips re-rendering. */
export function patchBoard(board: Board, patches: ReadonlyMap<string, BoardSeat>): Board {
  const seen = new Set<string>();
  const seats = board.seats.map((seat) => {
    const patch = patches.get(seat.id);
    if (!patch) return seat;
    seen.add(seat.id);
    return patch;
  });
  for (const [id, seat] of patches) if (!seen.has(id)) seats.push(seat);
  return { ...board, seats };
}

/** A seat in a site or team the board does not know was made after the snapshot: only a reload puts it in a named group. */
export function boardKnowsPlaceOf(board: Board, seat: BoardSeat): boolean {
  return (
    (!seat.siteId || board.sites.some((site) => site.id === seat.siteId)) &&
    (!seat.teamId || board.teams.some((team) => team.id === seat.teamId))
  );
}

/**
 * An alerts list (read with this status filter) after `item` changed: in it,
 * newest last occurrence first, so an anomaly that happens again comes back
 * to the top; or out of it, once its status no longer matches the filter.
 */
export function withAnomaly(
  list: readonly Anomaly[],
  status: AnomalyStatus | undefined,
  item: Anomaly,
): Anomaly[] {
  const others = list.filter((other) => other.id !== item.id);
  if (status && item.status !== status) return others;
  return [item, ...others].sort((a, b) => b.lastAt - a.lastAt);
}

/**
 * Puts a changed anomaly into every cached alerts list. A list still loading
 * is left alone (its answer will hold the anomaly); one that could not be
 * read starts empty, so live alerts still show beside the error.
 */
export function putAnomaly(client: QueryClient, item: Anomaly): void {
  for (const query of client.getQueryCache().findAll({ queryKey: queryKeys.anomalies })) {
    const state = query.state as { data: Anomaly[] | undefined; status: string };
    const list = state.data ?? (state.status === 'error' ? [] : undefined);
    if (list) client.setQueryData(query.queryKey, withAnomaly(list, anomalyListStatus(query.queryKey), item));
  }
}

export interface FrameScheduler {
  request(callback: () => void): number;
  cancel(handle: number): void;
}

export class LiveCache {
  private pending = new Map<string, BoardSeat>();
  private frame: number | null = null;

  constructor(
    private readonly client: QueryClient,
    private readonly frames: FrameScheduler,
  ) {}

  /** The stream is open (again): the live snapshots are read now, so what follows lands on them. */
  opened(): void {
    for (const queryKey of LIVE_KEYS) void this.client.invalidateQueries({ queryKey });
  }

  seat(seat: BoardSeat): void {
    void this.client.invalidateQueries({ queryKey: queryKeys.seat(seat.id) });
    const board = this.client.getQueryData<Board>(queryKeys.board);
    if (!board) return;
    if (!boardKnowsPlaceOf(board, seat)) {
      void this.client.invalidateQueries({ queryKey: queryKeys.board });
      return;
    }
    this.pending.set(seat.id, seat);
    this.frame ??= this.frames.request(() => this.flush());
  }

  anomaly(item: Anomaly): void {
    putAnomaly(this.client, item);
  }

  dispose(): void {
    if (this.frame !== null) this.frames.cancel(this.frame);
    this.frame = null;
    this.pending.clear();
  }

  private flush(): void {
    this.frame = null;
    const patches = this.pending;
    this.pending = new Map();
    this.client.setQueryData<Board>(queryKeys.board, (board) => board && patchBoard(board, patches));
  }
}
