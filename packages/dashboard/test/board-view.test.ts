import { describe, expect, it } from 'vitest';
import { displayState, groupSeats, matches, NO_FILTER } from '../src/board/board-view.js';
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

  it('searches name, host name, operator and application, case-insensitively', () => {
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
