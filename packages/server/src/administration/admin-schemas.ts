/** JSON Schemas (TypeBox) of the admin API: validation, serialisation and the OpenAPI document. */
import { projectAdminSchemas } from '@seatwatch/shared/dashboard-api';
import Type from 'typebox';

export const DateTime = Type.Unsafe<Date>({ type: 'string', format: 'date-time' });
const NullableDateTime = Type.Unsafe<Date | null>({ type: ['string', 'null'], format: 'date-time' });
const NullableString = Type.Union([Type.String(), Type.Null()]);
const Id = Type.String({ minLength: 1, maxLength: 128 });

export const ProjectParams = Type.Object({ projectId: Id });
export const Limit = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});

/**
 * Projects, sites, teams, seats, enrollment tokens and allowlist entries as the web app
 * reads them (@seatwatch/shared/dashboard-api), with times typed as the Date objects the
 * repositories return.
 */
export const { Project, Site, Team, Seat, SeatMoveResult, EnrollmentToken, IssuedToken, AllowlistEntry } =
  projectAdminSchemas<Date>();

/** A seat's own legal hold: placing and releasing both need a reason; releasing needs two administrators. */
export const LegalHold = Type.Object(
  {
    hold: Type.Boolean({
      description:
        'true places the hold; false asks for its release (the first administrator) or approves it (a second one)',
    }),
    reason: Type.String({
      minLength: 5,
      maxLength: 2000,
      description: 'Why: recorded in the audit log with the placing, the request or the approval',
    }),
  },
  { additionalProperties: false },
);

export const Agent = Type.Object({
  id: Type.String(),
  projectId: Type.String(),
  seatId: Type.String(),
  status: Type.String(),
  hostname: Type.String(),
  os: Type.String(),
  osUser: Type.String(),
  agentVersion: Type.String(),
  noticeVersion: Type.Integer(),
  enrolledAt: DateTime,
  enrolledIp: Type.String(),
  ackedSeq: Type.Integer(),
  lastSeenAt: NullableDateTime,
  lastIp: NullableString,
  connected: Type.Boolean({ description: 'A server process holds a session for it' }),
  state: NullableString,
  stateAt: NullableDateTime,
  revokedAt: NullableDateTime,
  revokedBy: NullableString,
});

export const Command = Type.Object({
  id: Type.String(),
  agentId: Type.String(),
  cmd: Type.String(),
  args: Type.Record(Type.String(), Type.Unknown()),
  status: Type.String(),
  requestedBy: Type.String(),
  requestedAt: DateTime,
  sentAt: NullableDateTime,
  resultAt: NullableDateTime,
  resultMessage: NullableString,
});
export const RequestCommand = Type.Object(
  { cmd: Type.Union([Type.Literal('capture_now'), Type.Literal('policy')]) },
  { additionalProperties: false },
);

export const Login = Type.Object({
  id: Type.Integer(),
  at: DateTime,
  kind: Type.String(),
  agentId: NullableString,
  claimedAgent: NullableString,
  seatId: NullableString,
  ip: Type.String(),
  peerIp: Type.String(),
  allowed: Type.Boolean(),
  reason: NullableString,
  clockSkewMs: Type.Union([Type.Integer(), Type.Null()]),
  session: NullableString,
  hostname: NullableString,
  osUser: NullableString,
  agentVersion: NullableString,
});
export const LoginQuery = Type.Object({ ...Limit.properties, agentId: Type.Optional(Id) });

export const Anomaly = Type.Object({
  id: Type.String(),
  projectId: Type.String(),
  siteId: NullableString,
  teamId: NullableString,
  seatId: NullableString,
  agentId: NullableString,
  rule: Type.String(),
  severity: Type.String(),
  operator: NullableString,
  key: Type.String(),
  firstAt: DateTime,
  lastAt: DateTime,
  count: Type.Integer(),
  evidence: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  status: Type.String(),
  statusBy: NullableString,
  statusAt: NullableDateTime,
  comment: NullableString,
});
export const AnomalyQuery = Type.Object({
  ...Limit.properties,
  status: Type.Optional(
    Type.Union(['open', 'acknowledged', 'resolved', 'false_positive'].map((s) => Type.Literal(s))),
  ),
  rule: Type.Optional(Type.String({ maxLength: 64 })),
});
