/**
 * What the board and the seat page do: the board snapshot of a viewer's
 * scope, one seat's page, capture-now, and thumbnails (blurred for those who
 * may not see them clear). The routes have checked the action; the service
 * answers within the scope it is given. Every look is recorded before the
 * data leaves (access-records/: the board once per dashboard session, seat
 * pages and thumbnails folded per viewer, seat and minute), with whose data
 * it showed, so each operator's self-view lists it.
 */
import { SeatwatchError } from '@seatwatch/shared';
import type { Board, SeatDetail } from '@seatwatch/shared/dashboard-api';
import type { AccessRecorder } from '../access-records/access-recorder.js';
import type { RequestActor } from '../audit/request-actor.js';
import type { ThumbnailSource } from '../blobs/screenshot-thumbnails.js';
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
  commands: CommandService;
  /** Whether a project shows its thumbnails clear to supervisors (a dashboard setting of accounts/). */
  projectSettings: (projectId: string) => Promise<{ clearThumbnails: boolean }>;
  blur: ThumbnailBlur;
  thumbnails: ThumbnailSource;
  access: AccessRecorder;
  now: () => number;
}

/** Who looks: as the audit log names them, and the dashboard session a board view folds into. */
export interface Viewer {
  who: RequestActor;
  /** The dashboard session's id (null for the admin token: its board views fold per minute). */
  session: string | null;
}

/** Board, seat pages and thumbnails are read for live supervision; no reason is asked for them. */
const SUPERVISION = 'live supervision';

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

    async board(scope: Scope, viewer: Viewer): Promise<Board> {
      const [projects, seats] = await Promise.all([boardProjects(db, scope), boardSeats(db, scope)]);
      const projectIds = projects.map((project) => project.id);
      const [teams, sites] = await Promise.all([
        boardTeams(db, scope, projectIds),
        boardSites(db, projectIds),
      ]);
      // A supervisor of some teams sees only the sites those teams (or their seats) are on.
      const siteVisible = (projectId: string, siteId: string) =>
        scope.all || scope.projects.get(projectId)?.allTeams || teams.some((team) => team.siteId === siteId);
      // One entry per dashboard session and project: which teams' seats the board showed (null: all).
      for (const project of projects) {
        const entry = scope.all ? undefined : scope.projects.get(project.id);
        await deps.access.read({
          who: viewer.who,
          action: 'board.view',
          route: 'GET /api/v1/board',
          projectId: project.id,
          seatId: null,
          accounts: null,
          session: viewer.session ? `${viewer.session}:${project.id}` : null,
          details: {
            purpose: SUPERVISION,
            teamIds: !entry || entry.allTeams ? null : [...entry.teamIds].sort(),
          },
        });
      }
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
      viewer: Viewer,
      scope: Scope,
      seatId: string,
      window: { from: number; to: number },
    ): Promise<SeatDetail> {
      if (window.to <= window.from || window.to - window.from > MAX_WINDOW_MS) {
        throw new SeatwatchError('bad_request', 'from/to must be a window of at most three days');
      }
      const [seat] = await boardSeats(db, scope, [seatId]);
      if (!seat) throw new SeatwatchError('not_found', 'no such seat');
      const detail = await seatDetail(db, seat, window);
      await deps.access.read({
        who: viewer.who,
        action: 'seat.read',
        route: 'GET /api/v1/seats/:seatId',
        projectId: seat.projectId,
        seatId: seat.id,
        accounts: await deps.access.seatAccounts(db, seat.id, window.from, window.to),
        target: { kind: 'seat', id: seat.id },
        details: { purpose: SUPERVISION, from: window.from, to: window.to },
      });
      return { seat, ...detail, canCapture: can(principal, 'seat.capture', teamResource(seat)) };
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
    async thumbnail(principal: Principal, viewer: Viewer, screenshotId: string) {
      const shot = await screenshot(screenshotId);
      const thumbnail = await deps.thumbnails(shot);
      if (!thumbnail)
        throw new SeatwatchError('not_found', 'no thumbnail: the image is gone (retention) or unreadable');
      const { clearThumbnails } = await deps.projectSettings(shot.projectId);
      const blurred = thumbnailBlurred(principal, teamResource(shot), clearThumbnails);
      // A board refreshes thumbnails every few seconds: folded per viewer, seat, operator and minute.
      await deps.access.read({
        who: viewer.who,
        action: 'screenshot.thumbnail',
        route: 'GET /api/v1/screenshots/:screenshotId/thumbnail',
        projectId: shot.projectId,
        seatId: shot.seatId,
        accounts: await deps.access.screenshotAccounts(db, Number(screenshotId)),
        target: { kind: 'screenshot', id: screenshotId },
        details: { purpose: SUPERVISION, blurred },
      });
      const { sha256, bytes } = thumbnail;
      return { blurred, bytes: blurred ? await deps.blur(sha256, bytes) : bytes };
    },
  };
}
