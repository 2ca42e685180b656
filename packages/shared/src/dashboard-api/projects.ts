/**
 * The administration API of projects (/api/v1/admin/projects…): projects,
 * their sites, teams and seats, policy and monitoring notice, enrollment
 * tokens and IP allowlist.
 *
 * Times travel as ISO 8601 strings. The server hands fastify the Date objects
 * its database gives (fastify's serialiser writes them as those strings), the
 * web app reads the strings: `projectAdminSchemas<Time>()` builds the one
 * declaration typed for either side, the server with `Date`, and the types
 * exported below are its wire form (`string`).
 */
import Type, { type Static } from 'typebox';
import { Policy } from '../protocol/policy.js';

const closed = { additionalProperties: false } as const;
const Id = Type.String({ minLength: 1, maxLength: 128 });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const NullableString = Type.Union([Type.String(), Type.Null()]);

export function projectAdminSchemas<Time>() {
  const DateTime = Type.Unsafe<Time>({ type: 'string', format: 'date-time' });
  const NullableDateTime = Type.Unsafe<Time | null>({ type: ['string', 'null'], format: 'date-time' });

  const Project = Type.Object({ id: Type.String(), name: Type.String(), createdAt: DateTime });
  const Site = Type.Object({
    id: Type.String(),
    projectId: Type.String(),
    name: Type.String(),
    createdAt: DateTime,
  });
  const Team = Type.Object({
    id: Type.String(),
    projectId: Type.String(),
    siteId: NullableString,
    name: Type.String(),
    createdAt: DateTime,
  });
  const Seat = Type.Object({
    id: Type.String(),
    projectId: Type.String(),
    siteId: NullableString,
    teamId: NullableString,
    name: Type.String(),
    legalHold: Type.Boolean(),
    createdAt: DateTime,
  });
  /** What a move did: the seats it names, each as it is now; `moved` counts those whose placement changed. */
  const SeatMoveResult = Type.Object({ moved: Type.Integer(), seats: Type.Array(Seat) });
  const EnrollmentToken = Type.Object({
    id: Type.String(),
    projectId: Type.String(),
    siteId: NullableString,
    label: Type.String(),
    expiresAt: DateTime,
    maxUses: Type.Integer(),
    uses: Type.Integer(),
    revokedAt: NullableDateTime,
    lastUsedAt: NullableDateTime,
    createdAt: DateTime,
  });
  const IssuedToken = Type.Object({
    ...EnrollmentToken.properties,
    token: Type.String({ description: 'The secret; shown only in this answer' }),
  });
  const AllowlistEntry = Type.Object({
    id: Type.String(),
    projectId: Type.String(),
    siteId: NullableString,
    cidr: Type.String(),
    note: Type.String(),
    createdAt: DateTime,
  });
  return { Project, Site, Team, Seat, SeatMoveResult, EnrollmentToken, IssuedToken, AllowlistEntry };
}

type Wire = ReturnType<typeof projectAdminSchemas<string>>;
export type Project = Static<Wire['Project']>;
export type Site = Static<Wire['Site']>;
export type Team = Static<Wire['Team']>;
export type Seat = Static<Wire['Seat']>;
export type SeatMoveResult = Static<Wire['SeatMoveResult']>;
export type EnrollmentToken = Static<Wire['EnrollmentToken']>;
/** An enrollment token with its secret, which only the answer that issued it carries. */
export type IssuedToken = Static<Wire['IssuedToken']>;
export type AllowlistEntry = Static<Wire['AllowlistEntry']>;

export const CreateProject = Type.Object(
  {
    name: Name,
    retentionDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
    noticeText: Type.Optional(Type.String({ minLength: 1, maxLength: 20_000 })),
  },
  closed,
);
export const CreateSite = Type.Object({ name: Name }, closed);
export const CreateTeam = Type.Object({ name: Name, siteId: Type.Optional(Id) }, closed);
export const CreateSeat = Type.Object(
  { name: Name, siteId: Type.Optional(Id), teamId: Type.Optional(Id) },
  closed,
);

const NullableId = Type.Union([Id, Type.Null()]);
/** At most this many seats move in one request (a list or a CSV file). */
export const SEAT_MOVE_MAX_ROWS = 5000;
/** A CSV seat move is at most this long (UTF-8 characters). */
export const SEAT_MOVE_CSV_MAX_CHARS = 512 * 1024;

/**
 * Renames a seat or moves it: a field left out stays as it is, null clears it.
 * A team that belongs to a site takes the seat to that site when `siteId` is left out.
 */
export const UpdateSeat = Type.Object(
  { name: Type.Optional(Name), siteId: Type.Optional(NullableId), teamId: Type.Optional(NullableId) },
  { ...closed, minProperties: 1 },
);
/** Moves many seats (by id or by name) to one site and team; all or nothing. */
export const MoveSeats = Type.Object(
  {
    seats: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
      minItems: 1,
      maxItems: SEAT_MOVE_MAX_ROWS,
      description: 'Seat ids or seat names',
    }),
    siteId: Type.Optional(NullableId),
    teamId: Type.Optional(NullableId),
  },
  closed,
);
/**
 * Moves seats as a CSV file says: a header `seat,site,team`, then one seat a
 * row, each cell an id or a name (an empty site or team: none). All or nothing.
 */
export const MoveSeatsCsv = Type.Object(
  { csv: Type.String({ minLength: 1, maxLength: SEAT_MOVE_CSV_MAX_CHARS }) },
  closed,
);

/** The effective policy and notice of the project, or of one site when `siteId` is set. */
export const ProjectPolicy = Type.Object({
  siteId: NullableString,
  policy: Policy,
  notice: Type.Object({ version: Type.Integer(), text: Type.String() }),
});
export const PutPolicy = Type.Object(
  {
    siteId: Type.Optional(Id),
    policy: Policy,
    noticeText: Type.String({ minLength: 1, maxLength: 20_000 }),
    push: Type.Boolean({ default: true, description: 'Send the new policy to connected agents now' }),
  },
  closed,
);

export const IssueToken = Type.Object(
  {
    siteId: Type.Optional(Id),
    label: Type.String({ maxLength: 200, default: '' }),
    expiresInHours: Type.Integer({ minimum: 1, maximum: 24 * 365, default: 168 }),
    maxUses: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  },
  closed,
);

export const AddAllowlistEntry = Type.Object(
  {
    cidr: Type.String({ minLength: 1, maxLength: 64, description: 'IPv4 or IPv6 address or CIDR' }),
    siteId: Type.Optional(Id),
    note: Type.String({ maxLength: 500, default: '' }),
  },
  closed,
);

export type CreateProject = Static<typeof CreateProject>;
export type CreateSite = Static<typeof CreateSite>;
export type CreateTeam = Static<typeof CreateTeam>;
export type CreateSeat = Static<typeof CreateSeat>;
export type UpdateSeat = Static<typeof UpdateSeat>;
export type MoveSeats = Static<typeof MoveSeats>;
export type MoveSeatsCsv = Static<typeof MoveSeatsCsv>;
export type ProjectPolicy = Static<typeof ProjectPolicy>;
export type PutPolicy = Static<typeof PutPolicy>;
export type IssueToken = Static<typeof IssueToken>;
export type AddAllowlistEntry = Static<typeof AddAllowlistEntry>;
