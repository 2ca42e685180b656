import { describe, expect, it } from 'vitest';
import {
  countStates,
  displayState,
  groupSeats,
  isBoardSort,
  isCountKey,
  matches,
  NO_FILTER,
  nextTile,
  SEAT_ORDER,
  type TilePlace,
} from '../src/board/board-view.js';
import { boardSeat } from './fixtures.js';

describe('displayState', () => {
  it('shows alert over the activity state while alerts are open', () => {
    expect(displayState(boardSeat({ state: 'idle' }))).toBe('idle');
    expect(displayState(boardSeat({ state: 'idle', openAlerts: 2 }))).toBe('alert');
    expect(displayState(boardSeat({ state: 'offline' }))).toBe('offline');
  });

  it('keeps a silent seat silent, never active, though its silence is an open alert', () => {
    const silent = boardSeat({ state: 'silent', openAlerts: 1, alertSeverity: 'high' });
    expect(displayState(silent)).toBe('silent');
    expect(matches(silent, { ...NO_FILTER, state: 'silent' })).toBe(true);
    expect(matches(silent, { ...NO_FILTER, state: 'active' })).toBe(false);
  });
});

describe('matches', () => {
  const s = boardSeat({
    siteId: 'A',
    teamId: 'T',
    name: 'Desk 12',
    operator: 'li.wei',
    app: 'Excel',
    hostname: 'PC-12',
  });

  it('filters by site, team and display state', () => {
    expect(matches(s, NO_FILTER)).toBe(true);
    expect(matches(s, { ...NO_FILTER, siteId: 'B' })).toBe(false);
    expect(matches(s, { ...NO_FILTER, teamId: 'T' })).toBe(true);
    expect(matches(s, { ...NO_FILTER, state: 'idle' })).toBe(false);
    expect(matches(boardSeat({ openAlerts: 1 }), { ...NO_FILTER, state: 'alert' })).toBe(true);
  });

  it('counts an idle seat with an open alert under idle and under with alerts', () => {
    const idleWithAlert = boardSeat({ state: 'idle', openAlerts: 1 });
    expect(matches(idleWithAlert, { ...NO_FILTER, state: 'idle' })).toBe(true);
    expect(matches(idleWithAlert, { ...NO_FILTER, state: 'alert' })).toBe(true);
    expect(matches(idleWithAlert, { ...NO_FILTER, state: 'active' })).toBe(false);
  });

  it('searches name, host name, operator, application and window title, case-insensitively', () => {
    expect(matches(boardSeat({ title: 'Ticket 4711' }), { ...NO_FILTER, search: 'ticket 47' })).toBe(true);
    for (const needle of ['desk', 'LI.WEI', 'excel', 'pc-1', '  Desk 12 ']) {
      expect(matches(s, { ...NO_FILTER, search: needle })).toBe(true);
    }
    expect(matches(s, { ...NO_FILTER, search: 'word' })).toBe(false);
  });
});

describe('groupSeats', () => {
  it('groups by site then team, named groups first, natural name order', () => {
    const sites = [
      { id: 'B', projectId: 'p', name: 'Beta' },
      { id: 'A', projectId: 'p', name: 'Alpha' },
    ];
    const teams = [
      { id: 't2', projectId: 'p', siteId: 'A', name: 'Team 2' },
      { id: 't10', projectId: 'p', siteId: 'A', name: 'Team 10' },
    ];
    const seats = [
      boardSeat({ id: '1', siteId: 'A', teamId: 't10', name: 'Seat 10' }),
      boardSeat({ id: '2', siteId: 'A', teamId: 't10', name: 'Seat 9' }),
      boardSeat({ id: '3', siteId: 'A', teamId: 't2', name: 'Seat 1' }),
      boardSeat({ id: '4', siteId: 'A', teamId: null, name: 'Seat 2' }),
      boardSeat({ id: '5', siteId: null, name: 'Loose' }),
      boardSeat({ id: '6', siteId: 'B', name: 'B1' }),
      boardSeat({ id: '7', siteId: 'gone', name: 'Orphan' }),
    ];
    const groups = groupSeats(seats, sites, teams);
    expect(groups.map((g) => g.site?.name ?? null)).toEqual(['Alpha', 'Beta', null]);
    expect(groups[0]!.teams.map((g) => g.team?.name ?? null)).toEqual(['Team 2', 'Team 10', null]);
    expect(groups[0]!.teams[1]!.seats.map((s) => s.name)).toEqual(['Seat 9', 'Seat 10']);
    expect(groups[0]!.count).toBe(4);
    expect(groups[2]!.teams[0]!.seats.map((s) => s.name).sort()).toEqual(['Loose', 'Orphan']);
  });
});

describe('countStates', () => {
  it('counts every seat under its own state, and those with open alerts once more', () => {
    const seats = [
      boardSeat({ id: '1', state: 'active' }),
      boardSeat({ id: '2', state: 'active', openAlerts: 2 }),
      boardSeat({ id: '3', state: 'idle' }),
      boardSeat({ id: '4', state: 'locked' }),
      boardSeat({ id: '5', state: 'offline', connected: false }),
      boardSeat({ id: '6', state: 'silent', openAlerts: 1 }),
    ];
    expect(countStates(seats)).toEqual({ active: 2, idle: 1, locked: 1, offline: 1, silent: 1, alert: 2 });
    expect(countStates([])).toEqual({ active: 0, idle: 0, locked: 0, offline: 0, silent: 0, alert: 0 });
  });

  it('reads filters and sorts from the URL only when they are known', () => {
    expect(isCountKey('alert')).toBe(true);
    expect(isCountKey('silent')).toBe(true);
    expect(isCountKey('__proto__')).toBe(false);
    expect(isBoardSort('time')).toBe(true);
    expect(isBoardSort('random')).toBe(false);
  });
});

describe('seat order', () => {
  const seats = [
    boardSeat({ id: 'a', name: 'Seat 10', stateSince: 3000 }),
    boardSeat({ id: 'b', name: 'Seat 2', stateSince: null }),
    boardSeat({ id: 'c', name: 'Seat 3', stateSince: 1000, openAlerts: 1, alertSeverity: 'low' }),
    boardSeat({ id: 'd', name: 'Seat 4', stateSince: 2000, openAlerts: 1, alertSeverity: 'critical' }),
    boardSeat({ id: 'e', name: 'Seat 5', stateSince: 2000, openAlerts: 3, alertSeverity: 'low' }),
  ];
  const order = (sort: keyof typeof SEAT_ORDER) => [...seats].sort(SEAT_ORDER[sort]).map((s) => s.id);

  it('alerts first: the most severe, then the most alerts, then by name', () => {
    expect(order('alerts')).toEqual(['d', 'e', 'c', 'b', 'a']);
  });

  it('by time in state: longest first, an unknown start last', () => {
    expect(order('time')).toEqual(['c', 'd', 'e', 'a', 'b']);
  });

  it('by name, naturally', () => {
    expect(order('name')).toEqual(['b', 'c', 'd', 'e', 'a']);
  });

  it('sorts inside each team group', () => {
    const groups = groupSeats(seats, [], [], 'alerts');
    expect(groups[0]!.teams[0]!.seats.map((s) => s.id)).toEqual(['d', 'e', 'c', 'b', 'a']);
  });
});

describe('nextTile', () => {
  // Two grids: a team of 5 seats in rows of 3, then a team of 2 below it.
  const places: TilePlace[] = [
    { left: 0, top: 0 },
    { left: 180, top: 0 },
    { left: 360, top: 0 },
    { left: 0, top: 200 },
    { left: 180, top: 200.4 },
    { left: 0, top: 450 },
    { left: 180, top: 450 },
  ];

  it('left and right step through reading order and stop at the ends', () => {
    expect(nextTile(places, 2, 'ArrowRight')).toBe(3);
    expect(nextTile(places, 3, 'ArrowLeft')).toBe(2);
    expect(nextTile(places, 0, 'ArrowLeft')).toBe(0);
    expect(nextTile(places, 6, 'ArrowRight')).toBe(6);
  });

  it('up and down go to the nearest row, to the tile closest in column', () => {
    expect(nextTile(places, 1, 'ArrowDown')).toBe(4);
    expect(nextTile(places, 4, 'ArrowUp')).toBe(1);
    // A shorter row below: the closest column there.
    expect(nextTile(places, 2, 'ArrowDown')).toBe(4);
    // Into the next team's grid.
    expect(nextTile(places, 4, 'ArrowDown')).toBe(6);
    expect(nextTile(places, 0, 'ArrowUp')).toBe(0);
    expect(nextTile(places, 6, 'ArrowDown')).toBe(6);
  });

  it('Home and End go to the first and the last tile', () => {
    expect(nextTile(places, 4, 'Home')).toBe(0);
    expect(nextTile(places, 1, 'End')).toBe(6);
  });
});
