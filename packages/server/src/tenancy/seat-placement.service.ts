/**
 * Seats as people place them (issue #13): renamed, moved to another site or
 * team, one at a time or many at once (a list or a CSV file). A seat made by
 * enrollment has no team until someone moves it, and a team's shift schedule
 * applies to it only from then on. A bulk move is one transaction: every row
 * resolves or nothing moves, and the refusal lists each row that did not.
 * Every seat whose placement changed gets an audit entry with the old and the
 * new placement, in the same transaction.
 */
import { SeatwatchError } from '@seatwatch/shared';
import { SEAT_MOVE_MAX_ROWS } from '@seatwatch/shared/dashboard-api';
import { parse } from 'csv-parse/sync';
import { recordAudit } from '../audit/audit-log.js';
import type { Db, Executor } from '../db/connect.js';
import type { PolicyActor } from './policy.service.js';
import { nextPlacement, type PlacementChange } from './seat-placement.js';
import {
  listSites,
  listTeams,
  lockSeat,
  lockSeats,
  placeSeat,
  type SeatRow,
  type SiteRow,
  type TeamRow,
} from './tenancy.repository.js';

export interface SeatPlacementDeps {
  db: Db;
  now: () => number;
  /** Told after a move committed (the anomaly engine reads placements anew). */
  onMoved?: (projectId: string) => void;
}

export interface SeatMoveOutcome {
  /** How many seats' placement or name changed. */
  moved: number;
  /** Every seat the request named, as it is now. */
  seats: SeatRow[];
}

export interface SeatPlacementService {
  /** Renames or moves one seat. */
  updateSeat(
    projectId: string,
    seatId: string,
    change: PlacementChange & { name?: string | undefined },
    who: PolicyActor,
  ): Promise<SeatRow>;
  /** Moves seats named by id or name to one site and team. */
  moveSeats(
    projectId: string,
    input: { seats: readonly string[] } & PlacementChange,
    who: PolicyActor,
  ): Promise<SeatMoveOutcome>;
  /** Moves seats as a CSV file says (header `seat,site,team`; cells are ids or names). */
  moveSeatsCsv(projectId: string, csv: string, who: PolicyActor): Promise<SeatMoveOutcome>;
}

const ACTION = 'seat.placement';

/** One seat's wanted placement, and the row (1-based line of the file or position in the list) that asked. */
interface Wanted {
  row: number;
  seat: string;
  change: PlacementChange;
}

/** A project's sites and teams, found by id or by name. */
class Structure {
  constructor(
    private readonly sites: SiteRow[],
    private readonly teams: TeamRow[],
  ) {}
  site(ref: string): SiteRow | undefined {
    return this.sites.find((s) => s.id === ref) ?? this.sites.find((s) => s.name === ref);
  }
  team(ref: string): TeamRow | undefined {
    return this.teams.find((t) => t.id === ref) ?? this.teams.find((t) => t.name === ref);
  }
  siteOfTeam = (teamId: string): string | null => this.teams.find((t) => t.id === teamId)?.siteId ?? null;
}

/** csv-parse's records with the line each started on. */
interface CsvRecord {
  record: string[];
  info: { lines: number };
}

function parseCsv(csv: string): Wanted[] {
  let records: CsvRecord[];
  try {
    records = parse(csv, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
      // One more than allowed, to tell a file that is too long.
      to: SEAT_MOVE_MAX_ROWS + 2,
    }) as unknown as CsvRecord[];
  } catch (error) {
    const where = (error as { lines?: number }).lines;
    throw new SeatwatchError(
      'seat_move_invalid',
      `${where ? `row ${where}: ` : ''}not well-formed CSV (${(error as Error).message.slice(0, 200)})`,
    );
  }
  const [header, ...rows] = records;
  if (!header) throw new SeatwatchError('seat_move_invalid', 'the file is empty');
  const columns = header.record.map((name) => name.toLowerCase());
  const seatAt = columns.indexOf('seat');
  const siteAt = columns.indexOf('site');
  const teamAt = columns.indexOf('team');
  if (seatAt < 0 || (siteAt < 0 && teamAt < 0))
    throw new SeatwatchError(
      'seat_move_invalid',
      'row 1: the header names a seat column and a site or team column',
    );
  if (rows.length === 0) throw new SeatwatchError('seat_move_invalid', 'no seat rows after the header');
  if (rows.length > SEAT_MOVE_MAX_ROWS)
    throw new SeatwatchError('seat_move_invalid', `more than ${SEAT_MOVE_MAX_ROWS} seat rows`);
  return rows.map(({ record, info }) => {
    const cell = (at: number): string | null | undefined => (at < 0 ? undefined : record[at] || null);
    const change: PlacementChange = {};
    const site = cell(siteAt);
    const team = cell(teamAt);
    // Resolved to ids once the project's sites and teams are read (see resolve()).
    if (site !== undefined) change.siteId = site;
    if (team !== undefined) change.teamId = team;
    return { row: info.lines, seat: record[seatAt] ?? '', change };
  });
}

export function createSeatPlacementService(deps: SeatPlacementDeps): SeatPlacementService {
  const audit = (
    ex: Executor,
    projectId: string,
    before: SeatRow,
    after: SeatRow,
    who: PolicyActor,
  ): Promise<unknown> =>
    recordAudit(
      ex,
      {
        ...who,
        action: ACTION,
        projectId,
        seatId: after.id,
        target: { kind: 'seat', id: after.id },
        details: {
          from: { name: before.name, siteId: before.siteId, teamId: before.teamId },
          to: { name: after.name, siteId: after.siteId, teamId: after.teamId },
        },
      },
      deps.now(),
    );

  const changed = (a: SeatRow, b: { name: string; siteId: string | null; teamId: string | null }) =>
    a.name !== b.name || a.siteId !== b.siteId || a.teamId !== b.teamId;

  /**
   * Resolves every row against the project's seats, sites and teams; one error
   * per row that does not resolve, none applied unless all do. `byReference`:
   * site and team cells are ids or names (a CSV file); otherwise ids.
   */
  async function applyAll(
    projectId: string,
    wanted: readonly Wanted[],
    byReference: boolean,
    who: PolicyActor,
  ): Promise<SeatMoveOutcome> {
    const outcome = await deps.db.transaction(async (tx) => {
      const seatRows = await lockSeats(tx, projectId);
      const structure = new Structure(await listSites(tx, projectId), await listTeams(tx, projectId));
      const problems: string[] = [];
      const plan: { before: SeatRow; siteId: string | null; teamId: string | null }[] = [];
      const seen = new Map<string, number>();
      for (const { row, seat: ref, change } of wanted) {
        const fail = (problem: string) => problems.push(`row ${row}: ${problem}`);
        const seat = seatRows.find((s) => s.id === ref) ?? seatRows.find((s) => s.name === ref);
        if (!seat) {
          fail(`no seat ${JSON.stringify(ref.slice(0, 200))} in this project`);
          continue;
        }
        const earlier = seen.get(seat.id);
        if (earlier !== undefined) {
          fail(`seat ${JSON.stringify(seat.name)} is already on row ${earlier}`);
          continue;
        }
        seen.set(seat.id, row);
        const resolved: PlacementChange = {};
        if (change.siteId !== undefined) {
          const site = change.siteId === null ? null : structure.site(change.siteId);
          if (site === undefined || (site && !byReference && site.id !== change.siteId)) {
            fail(`no site ${JSON.stringify(change.siteId)} in this project`);
            continue;
          }
          resolved.siteId = site?.id ?? null;
        }
        if (change.teamId !== undefined) {
          const team = change.teamId === null ? null : structure.team(change.teamId);
          if (team === undefined || (team && !byReference && team.id !== change.teamId)) {
            fail(`no team ${JSON.stringify(change.teamId)} in this project`);
            continue;
          }
          resolved.teamId = team?.id ?? null;
          // In a file, an empty site cell beside a team of a site means that site.
          if (byReference && resolved.siteId === null && change.siteId === null && team?.siteId)
            resolved.siteId = team.siteId;
        }
        const next = nextPlacement(seat, resolved, structure.siteOfTeam);
        if (next === 'team_elsewhere') {
          fail(`the team of seat ${JSON.stringify(seat.name)} belongs to another site`);
          continue;
        }
        plan.push({ before: seat, ...next });
      }
      if (problems.length > 0)
        throw new SeatwatchError('seat_move_invalid', problems.slice(0, 50).join('; '));
      let moved = 0;
      const seats: SeatRow[] = [];
      for (const { before, siteId, teamId } of plan) {
        if (!changed(before, { name: before.name, siteId, teamId })) {
          seats.push(before);
          continue;
        }
        const after = await placeSeat(tx, projectId, before.id, { name: before.name, siteId, teamId });
        await audit(tx, projectId, before, after, who);
        moved += 1;
        seats.push(after);
      }
      return { moved, seats };
    });
    if (outcome.moved > 0) deps.onMoved?.(projectId);
    return outcome;
  }

  return {
    async updateSeat(projectId, seatId, change, who) {
      const { seat, moved } = await deps.db.transaction(async (tx) => {
        const before = await lockSeat(tx, projectId, seatId);
        if (!before) throw new SeatwatchError('not_found', 'no such seat in this project');
        const structure = new Structure(await listSites(tx, projectId), await listTeams(tx, projectId));
        if (typeof change.siteId === 'string' && structure.site(change.siteId)?.id !== change.siteId)
          throw new SeatwatchError('not_found', 'no such site in this project');
        if (typeof change.teamId === 'string' && structure.team(change.teamId)?.id !== change.teamId)
          throw new SeatwatchError('not_found', 'no such team in this project');
        const next = nextPlacement(before, change, structure.siteOfTeam);
        if (next === 'team_elsewhere') throw new SeatwatchError('seat_team_elsewhere');
        const wanted = { name: change.name ?? before.name, ...next };
        if (!changed(before, wanted)) return { seat: before, moved: false };
        const row = await placeSeat(tx, projectId, seatId, wanted);
        await audit(tx, projectId, before, row, who);
        return { seat: row, moved: true };
      });
      if (moved) deps.onMoved?.(projectId);
      return seat;
    },

    moveSeats(projectId, input, who) {
      const change: PlacementChange = {};
      if (input.siteId !== undefined) change.siteId = input.siteId;
      if (input.teamId !== undefined) change.teamId = input.teamId;
      const wanted = input.seats.map((seat, index) => ({ row: index + 1, seat, change }));
      return applyAll(projectId, wanted, false, who);
    },

    moveSeatsCsv(projectId, csv, who) {
      return applyAll(projectId, parseCsv(csv), true, who);
    },
  };
}
