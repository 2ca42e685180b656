import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { anomalyListStatus, changed, forgetAccountData, LIVE_KEYS, queryKeys } from '../src/api/queries.js';

/** A cache holding one entry under each key, so a test can ask which of them a change reached. */
function cacheWith(keys: readonly (readonly unknown[])[]): QueryClient {
  const client = new QueryClient();
  for (const key of keys) client.setQueryData(key, 'data');
  return client;
}

const invalidated = (client: QueryClient) =>
  client
    .getQueryCache()
    .findAll()
    .filter((query) => query.state.isInvalidated)
    .map((query) => query.queryKey);

describe('query keys', () => {
  it('reads back the status an alerts list was read with', () => {
    expect(anomalyListStatus(queryKeys.anomalyList('acknowledged'))).toBe('acknowledged');
    expect(anomalyListStatus(queryKeys.anomalyList(undefined))).toBeUndefined();
  });
});

describe('what a change makes out of date', () => {
  const p1 = (part: Parameters<typeof queryKeys.projectPart>[1]) => queryKeys.projectPart('p1', part);

  it('a new site, team or seat: that project’s structure, the board, grant options and seat picker', async () => {
    const client = cacheWith([
      p1('sites'),
      p1('teams'),
      p1('seats'),
      p1('tokens'),
      queryKeys.projectPart('p2', 'sites'),
      queryKeys.board,
      queryKeys.grantOptions,
      queryKeys.investigationSeats,
      queryKeys.users,
    ]);
    await changed.structure(client, 'p1');
    expect(invalidated(client)).toEqual([
      p1('sites'),
      p1('teams'),
      p1('seats'),
      queryKeys.board,
      queryKeys.grantOptions,
      queryKeys.investigationSeats,
    ]);
  });

  it('a new project: the project list and what lists projects, not every project’s tables', async () => {
    const client = cacheWith([queryKeys.projects, queryKeys.grantOptions, queryKeys.board, p1('sites')]);
    await changed.projects(client);
    expect(invalidated(client)).toEqual([queryKeys.projects, queryKeys.grantOptions, queryKeys.board]);
  });

  it('a case change: every case list, whatever its filter (the case itself is set from the answer)', async () => {
    const client = cacheWith([
      queryKeys.caseList(undefined),
      queryKeys.caseList('open'),
      queryKeys.caseDetail('c1'),
      queryKeys.investigationSeats,
    ]);
    await changed.cases(client);
    expect(invalidated(client)).toEqual([queryKeys.caseList(undefined), queryKeys.caseList('open')]);
  });
});

describe('the live keys', () => {
  it('reach the board, every alerts list and every seat detail, and nothing else', async () => {
    const client = cacheWith([
      queryKeys.board,
      queryKeys.anomalyList('open'),
      queryKeys.seatDetail('s1', 0, 1),
      queryKeys.users,
      queryKeys.projectPart('p1', 'seats'),
    ]);
    await Promise.all(LIVE_KEYS.map((queryKey) => client.invalidateQueries({ queryKey })));
    expect(invalidated(client)).toEqual([
      queryKeys.board,
      queryKeys.anomalyList('open'),
      queryKeys.seatDetail('s1', 0, 1),
    ]);
  });
});

describe('signing out', () => {
  it('drops everything read for the account but the session', () => {
    const client = cacheWith([queryKeys.session, queryKeys.board, queryKeys.users, queryKeys.totpEnrollment]);
    forgetAccountData(client);
    expect(
      client
        .getQueryCache()
        .findAll()
        .map((query) => query.queryKey),
    ).toEqual([queryKeys.session]);
  });
});
