/** A shared seat's operators on the board (issue #14): the search finds the seat by any of them. */
import { describe, expect, it } from 'vitest';
import { matches, NO_FILTER } from '../src/board/board-view.js';
import { boardSeat } from './fixtures.js';

describe('a shared seat on the board', () => {
  it('is found by the account of any desktop session open there, and not by one that has ended', () => {
    const shared = boardSeat({ name: 'Shared 3', operator: '', operators: ['ada.lovelace', 'Bob'] });
    expect(matches(shared, { ...NO_FILTER, search: 'LOVELACE' })).toBe(true);
    expect(matches(shared, { ...NO_FILTER, search: 'bob' })).toBe(true);
    expect(matches({ ...shared, operators: ['ada.lovelace'] }, { ...NO_FILTER, search: 'bob' })).toBe(false);
  });
});
