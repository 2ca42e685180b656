import type { Anomaly, Board, BoardSeat } from '@seatwatch/shared/dashboard-api';
import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { queryKeys } from '../src/api/queries.js';
import { LiveCache, patchBoard, withAnomaly } from '../src/live/live-cache.js';
import { boardSeat } from './fixtures.js';

const board = (seats: BoardSeat[]): Board =>
  ({
    projects: [{ id: 'p', name: 'P' }],
    sites: [{ id: 'A', projectId: 'p', name: 'Alpha' }],
    teams: [{ id: 'T', projectId: 'p', siteId: 'A', name: 'Team' }],
    seats,
  }) as unknown as Board;

const anomaly = (id: string, status: Anomaly['status'], lastAt: number): Anomaly =>
  ({ id, status, lastAt }) as Anomaly;

/** Frames run only when the test says so, like a browser's next paint. */
function manualFrames() {
  const queued = new Map<number, () => void>();
  let next = 1;
  return {
    request: (callback: () => void) => {
      queued.set(next, callback);
      return next++;
    },
    cancel: (handle: number) => queued.delete(handle),
    get pending() {
      return queued.size;
    },
    run() {
      const callbacks = [...queued.values()];
      queued.clear();
      for (const callback of callbacks) callback();
    },
  };
}

describe('patchBoard', () => {
  it('replaces patched seats in place, adds new ones at the end, keeps the others’ objects', () => {
    const one = boardSeat({ id: '1' });
    const two = boardSeat({ id: '2' });
    const patched = boardSeat({ id: '2', app: 'Excel' });
    const added = boardSeat({ id: '3' });
    const next = patchBoard(
      board([one, two]),
      new Map([
        ['2', patched],
        ['3', added],
      ]),
    );
    expect(next.seats).toEqual([one, patched, added]);
    expect(next.seats[0]).toBe(one);
  });
});

describe('withAnomaly', () => {
  const list = [anomaly('a', 'open', 30), anomaly('b', 'open', 20), anomaly('c', 'open', 10)];

  it('puts a changed or new anomaly in order of last occurrence, once', () => {
    expect(withAnomaly(list, 'open', anomaly('c', 'open', 40)).map((a) => a.id)).toEqual(['c', 'a', 'b']);
    expect(withAnomaly(list, undefined, anomaly('d', 'open', 25)).map((a) => a.id)).toEqual([
      'a',
      'd',
      'b',
      'c',
    ]);
  });

  it('takes an anomaly out of a list whose status filter it no longer matches', () => {
    expect(withAnomaly(list, 'open', anomaly('a', 'resolved', 50)).map((a) => a.id)).toEqual(['b', 'c']);
    expect(withAnomaly(list, undefined, anomaly('a', 'resolved', 50)).map((a) => a.id)).toEqual([
      'a',
      'b',
      'c',
    ]);
  });
});

describe('LiveCache', () => {
  it('writes seat patches into the cached board once per frame', () => {
    const client = new QueryClient();
    const frames = manualFrames();
    client.setQueryData(queryKeys.board, board([boardSeat({ id: '1' })]));
    const live = new LiveCache(client, frames);
    live.seat(boardSeat({ id: '1', app: 'Word' }));
    live.seat(boardSeat({ id: '1', app: 'Excel' }));
    expect(frames.pending).toBe(1);
    expect(client.getQueryData<Board>(queryKeys.board)?.seats[0]?.app).toBeNull();
    frames.run();
    expect(client.getQueryData<Board>(queryKeys.board)?.seats[0]?.app).toBe('Excel');
  });

  it('reads the board again for a seat in a site or team it does not know, instead of patching', () => {
    const client = new QueryClient();
    const frames = manualFrames();
    client.setQueryData(queryKeys.board, board([]));
    new LiveCache(client, frames).seat(boardSeat({ id: '1', siteId: 'A', teamId: 'new-team' }));
    expect(frames.pending).toBe(0);
    expect(client.getQueryState(queryKeys.board)?.isInvalidated).toBe(true);
  });

  it('reads again the detail of the seat that changed, for any day, and no other seat’s', () => {
    const client = new QueryClient();
    client.setQueryData(queryKeys.seatDetail('1', 0, 10), 'detail');
    client.setQueryData(queryKeys.seatDetail('1', 10, 20), 'detail');
    client.setQueryData(queryKeys.seatDetail('2', 0, 10), 'detail');
    new LiveCache(client, manualFrames()).seat(boardSeat({ id: '1' }));
    expect(client.getQueryState(queryKeys.seatDetail('1', 0, 10))?.isInvalidated).toBe(true);
    expect(client.getQueryState(queryKeys.seatDetail('1', 10, 20))?.isInvalidated).toBe(true);
    expect(client.getQueryState(queryKeys.seatDetail('2', 0, 10))?.isInvalidated).toBe(false);
  });

  it('writes nothing once disposed (the page left before the frame)', () => {
    const client = new QueryClient();
    const frames = manualFrames();
    client.setQueryData(queryKeys.board, board([boardSeat({ id: '1' })]));
    const live = new LiveCache(client, frames);
    live.seat(boardSeat({ id: '1', app: 'Excel' }));
    live.dispose();
    frames.run();
    expect(client.getQueryData<Board>(queryKeys.board)?.seats[0]?.app).toBeNull();
  });

  it('puts an anomaly into each cached alerts list as its filter says, and not into one still loading', () => {
    const client = new QueryClient();
    client.setQueryData(queryKeys.anomalyList('open'), [anomaly('a', 'open', 10)]);
    client.setQueryData(queryKeys.anomalyList('acknowledged'), []);
    client.setQueryData(queryKeys.anomalyList(undefined), [anomaly('a', 'open', 10)]);
    // A list whose read has started but not answered.
    client.getQueryCache().build(client, { queryKey: queryKeys.anomalyList('resolved') });
    new LiveCache(client, manualFrames()).anomaly(anomaly('a', 'acknowledged', 20));
    const ids = (status: Anomaly['status'] | undefined) =>
      client.getQueryData<Anomaly[]>(queryKeys.anomalyList(status))?.map((a) => `${a.id}:${a.status}`);
    expect(ids('open')).toEqual([]);
    expect(ids('acknowledged')).toEqual(['a:acknowledged']);
    expect(ids(undefined)).toEqual(['a:acknowledged']);
    expect(ids('resolved')).toBeUndefined();
  });

  it('starts a list that could not be read from empty, so live alerts still show beside the error', async () => {
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    await client
      .fetchQuery({
        queryKey: queryKeys.anomalyList('open'),
        queryFn: () => Promise.reject(new Error('unavailable')),
      })
      .catch(() => undefined);
    new LiveCache(client, manualFrames()).anomaly(anomaly('a', 'open', 10));
    expect(client.getQueryData<Anomaly[]>(queryKeys.anomalyList('open'))?.map((a) => a.id)).toEqual(['a']);
    // The failed read stays known, so the page keeps showing its error.
    expect(client.getQueryState(queryKeys.anomalyList('open'))?.fetchFailureReason).toBeInstanceOf(Error);
  });

  it('reads every live snapshot again when the stream (re)opens', () => {
    const client = new QueryClient();
    client.setQueryData(queryKeys.board, board([]));
    client.setQueryData(queryKeys.anomalyList('open'), []);
    client.setQueryData(queryKeys.users, []);
    new LiveCache(client, manualFrames()).opened();
    expect(client.getQueryState(queryKeys.board)?.isInvalidated).toBe(true);
    expect(client.getQueryState(queryKeys.anomalyList('open'))?.isInvalidated).toBe(true);
    expect(client.getQueryState(queryKeys.users)?.isInvalidated).toBe(false);
  });
});
