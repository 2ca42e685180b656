/** The live seat board: one snapshot, then seat patches over the live stream. */
import Type, { type Static } from 'typebox';

/** How the web app shows the strings marked "from the seat" below: with hidden characters made visible. */
export { controlMarker, type RevealedPart, revealControls, revealParts } from '../text/reveal.js';

const closed = { additionalProperties: false } as const;
const Millis = Type.Integer({ minimum: 0 });
const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/**
 * What a tile shows. `silent`: connected, but no frame arrived past the
 * heartbeat allowance while the seat was active (the agent_silent rule's
 * "no_frames", until frames arrive again); it never reads as `active`.
 */
export const SeatActivityState = Type.Union([
  Type.Literal('active'),
  Type.Literal('idle'),
  Type.Literal('locked'),
  Type.Literal('offline'),
  Type.Literal('silent'),
]);

export const Severity = Type.Union([
  Type.Literal('low'),
  Type.Literal('warning'),
  Type.Literal('medium'),
  Type.Literal('high'),
  Type.Literal('critical'),
]);

/** Strings marked "from the seat" are untrusted text: render as text, never as HTML. */
export const BoardSeat = Type.Object(
  {
    id: Type.String(),
    projectId: Type.String(),
    siteId: Nullable(Type.String()),
    teamId: Nullable(Type.String()),
    name: Type.String(),
    agentId: Nullable(Type.String()),
    hostname: Nullable(Type.String({ description: 'from the seat' })),
    operator: Nullable(Type.String({ description: 'OS user, from the seat' })),
    operators: Type.Array(Type.String({ description: 'from the seat' }), {
      description:
        'On a shared seat (one machine service for every shift, issue #14): the OS accounts with a desktop session open now, oldest first, while the seat is connected. Empty on a single-user seat, whose operator is `operator`.',
    }),
    connected: Type.Boolean(),
    state: SeatActivityState,
    stateSince: Nullable(Millis),
    app: Nullable(Type.String({ description: 'foreground application, from the seat' })),
    title: Nullable(
      Type.String({
        description:
          "foreground window title, from the seat; null when the seat's policy (showWindowTitles) keeps it off the board",
      }),
    ),
    lastSeenAt: Nullable(Millis),
    openAlerts: Type.Integer({ minimum: 0 }),
    alertSeverity: Nullable(Severity),
    screenshot: Nullable(Type.Object({ id: Type.String(), time: Millis }, closed)),
  },
  closed,
);

export const BoardProject = Type.Object(
  { id: Type.String(), name: Type.String(), clearThumbnails: Type.Boolean() },
  closed,
);
export const BoardSite = Type.Object(
  { id: Type.String(), projectId: Type.String(), name: Type.String() },
  closed,
);
export const BoardTeam = Type.Object(
  { id: Type.String(), projectId: Type.String(), siteId: Nullable(Type.String()), name: Type.String() },
  closed,
);

export const Board = Type.Object(
  {
    now: Millis,
    projects: Type.Array(BoardProject),
    sites: Type.Array(BoardSite),
    teams: Type.Array(BoardTeam),
    seats: Type.Array(BoardSeat),
  },
  closed,
);

export type SeatActivityState = Static<typeof SeatActivityState>;
export type Severity = Static<typeof Severity>;
export type BoardSeat = Static<typeof BoardSeat>;
export type BoardProject = Static<typeof BoardProject>;
export type BoardSite = Static<typeof BoardSite>;
export type BoardTeam = Static<typeof BoardTeam>;
export type Board = Static<typeof Board>;
