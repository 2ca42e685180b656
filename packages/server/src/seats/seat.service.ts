/**
 * What the board and the seat page do: the board snapshot of a viewer's
 * scope, one seat's page, capture-now, and thumbnails (blurred for those who
 * may not see them clear). The routes have checked the action; the service
 * answers within the scope it is given.
 */
import { SeatwatchError } from '@seatwatch/shared';
import type { Board, SeatDetail } from '@seatwatch/shared/dashboard-api';
import type { BlobStore } from '../blobs/blob-store.js';
import type { CommandService } from '../commands/command.service.js';
import type { Db } from '../db/connect.js';
import { can, type Principal, type Resource, type Scope, thumbnailBlurred } from '../domain/authz-policy.js';
import {
  boardProjects,
  boardSeats,
  boardSites,
  boardTeams,
  type SeatPlace,
  screenshotPlace,
  seatDetail,
  seatPlace,
} from './seats.repository.js';
import type { ThumbnailBlur } from './thumbnail-blur.sharp.js';

/** The window of one seat page: at most a few days (a day in any time zone, with margin). */
const MAX_WINDOW_MS = 3 * 86_400_000;

export interface SeatServiceDeps {
  db: Db;
  blobs: BlobStore;
  commands: CommandService;
  /** Whether a project shows its thumbnails clear to supervisors (a dashboard setting of accounts/). */
  projectSettings: (projectId: string) => Promise<{ clearThumbnails: boolean }>;
  blur: ThumbnailBlur;
  now: () => number;
}

export type SeatService = ReturnType<typeof createSeatService>;

const teamResource = (place: SeatPlace): Resource => ({
  kind: 'team',
  projectId: place.projectId,
  teamId: place.teamId,
});

export function createSeatService(deps: SeatServiceDeps) {
  const { db } = deps;

  const screenshot = async (screenshotId: string) => {
    const shot = /^\d{1,18}$/.test(screenshotId) ? await screenshotPlace(db, Number(screenshotId)) : null;
    if (!shot) throw new SeatwatchError('not_found', 'no such screenshot');
    return shot;
  };

  return {
    /** The seat as a resource of the policy (its project and team). */
    async seatResource(seatId: string): Promise<Resource> {
      const place = await seatPlace(db, seatId);
      if (!place) throw new SeatwatchError('not_found', 'no such seat');
      return teamResource(place);
    },

    async screenshotResource(screenshotId: string): Promise<Resource> {
      return teamResource(await screenshot(screenshotId));
    },

    async board(scope: Scope): Promise<Board> {
      const [projects, seats] = await Promise.all([boardProjects(db, scope), boardSeats(db, scope)]);
      const projectIds = projects.map((project) => project.id);
      const [teams, sites] = await Promise.all([
        boardTeams(db, scope, projectIds),
        boardSites(db, projectIds),
      ]);
      // A supervisor of some teams sees only the sites those teams (or their seats) are on.
      const siteVisible = (projectId: string, siteId: string) =>
        scope.all || scope.projects.get(projectId)?.allTeams || teams.some((team) => team.siteId === siteId);
      return {
        now: deps.now(),
        projects: projects.map((row) => ({
          id: row.id,
          name: row.name,
          clearThumbnails: row.clear_thumbnails ?? false,
        })),
        sites: sites.filter((site) => siteVisible(site.projectId, site.id)),
        teams,
        seats,
      };
    },

    /** One seat's page over [from, to); `scope` is the viewer's seat.read scope. */
    async seatPage(
      principal: Principal | null,
      scope: Scope,
      seatId: string,
      window: { from: number; to: number },
    ): Promise<SeatDetail> {
      if (window.to <= window.from || window.to - window.from > MAX_WINDOW_MS) {
        throw new SeatwatchError('bad_request', 'from/to must be a window of at most three days');
      }
      const [seat] = await boardSeats(db, scope, [seatId]);
      if (!seat) throw new SeatwatchError('not_found', 'no such seat');
      return {
        seat,
        ...(await seatDetail(db, seat, window)),
        canCapture: can(principal, 'seat.capture', teamResource(seat)),
      };
    },

    /** Asks the seat's agent for a screenshot now; `scope` is the viewer's seat.capture scope. */
    async capture(scope: Scope, seatId: string, requestedBy: string): Promise<{ commandId: string }> {
      const [seat] = await boardSeats(db, scope, [seatId]);
      if (!seat?.agentId) throw new SeatwatchError('conflict', 'no agent is enrolled on this seat');
      const command = await deps.commands.request({
        projectId: seat.projectId,
        agentId: seat.agentId,
        cmd: 'capture_now',
        requestedBy,
      });
      return { commandId: command.id };
    },

    /** A screenshot's thumbnail, blurred unless the viewer may see it clear. */
    async thumbnail(principal: Principal, screenshotId: string) {
      const shot = await screenshot(screenshotId);
      if (!shot.thumbSha256) throw new SeatwatchError('not_found', 'this screenshot has no thumbnail');
      const bytes = await deps.blobs.get(shot.thumbSha256);
      if (!bytes) throw new SeatwatchError('not_found', 'the thumbnail is gone (retention)');
      const { clearThumbnails } = await deps.projectSettings(shot.projectId);
      const blurred = thumbnailBlurred(principal, teamResource(shot), clearThumbnails);
      return { blurred, bytes: blurred ? await deps.blur(shot.thumbSha256, bytes) : bytes };
    },
  };
}
