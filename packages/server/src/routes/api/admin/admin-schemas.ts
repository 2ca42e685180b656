/** JSON Schemas (TypeBox) of the admin API: validation, serialisation and the OpenAPI document. */
import { Policy } from '@seatwatch/shared';
import Type from 'typebox';

export const DateTime = Type.Unsafe<Date>({ type: 'string', format: 'date-time' });
const NullableDateTime = Type.Unsafe<Date | null>({ type: ['string', 'null'], format: 'date-time' });
const NullableString = Type.Union([Type.String(), Type.Null()]);
const Id = Type.String({ minLength: 1, maxLength: 128 });
const Name = Type.String({ minLength: 1, maxLength: 200 });

export const ProjectParams = Type.Object({ projectId: Id });
export const Limit = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});

export const Project = Type.Object({ id: Type.String(), name: Type.String(), createdAt: DateTime });
export const CreateProject = Type.Object(
  {
    name: Name,
    retentionDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
    noticeText: Type.Optional(Type.String({ minLength: 1, maxLength: 20_000 })),
  },
  { additionalProperties: false },
);

export const Site = Type.Object({
  id: Type.String(),
  projectId: Type.String(),
  name: Type.String(),
  createdAt: DateTime,
});
export const CreateSite = Type.Object({ name: Name }, { additionalProperties: false });

export const Team = Type.Object({
  id: Type.String(),
  projectId: Type.String(),
  siteId: NullableString,
  name: Type.String(),
  createdAt: DateTime,
});
export const CreateTeam = Type.Object(
  { name: Name, siteId: Type.Optional(Id) },
  { additionalProperties: false },
);

export const Seat = Type.Object({
  id: Type.String(),
  projectId: Type.String(),
  siteId: NullableString,
  teamId: NullableString,
  name: Type.String(),
  legalHold: Type.Boolean(),
  createdAt: DateTime,
});
export const CreateSeat = Type.Object(
  { name: Name, siteId: Type.Optional(Id), teamId: Type.Optional(Id) },
  { additionalProperties: false },
);
export const LegalHold = Type.Object({ hold: Type.Boolean() }, { additionalProperties: false });

export const PolicyBody = Type.Object({
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
  { additionalProperties: false },
);

export const EnrollmentToken = Type.Object({
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
export const IssuedToken = Type.Object({
  ...EnrollmentToken.properties,
  token: Type.String({ description: 'The secret; shown only in this answer' }),
});
export const IssueToken = Type.Object(
  {
    siteId: Type.Optional(Id),
    label: Type.String({ maxLength: 200, default: '' }),
    expiresInHours: Type.Integer({ minimum: 1, maximum: 24 * 365, default: 168 }),
    maxUses: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  },
  { additionalProperties: false },
);

export const AllowlistEntry = Type.Object({
  id: Type.String(),
  projectId: Type.String(),
  siteId: NullableString,
  cidr: Type.String(),
  note: Type.String(),
  createdAt: DateTime,
});
export const AddAllowlistEntry = Type.Object(
  {
    cidr: Type.String({ minLength: 1, maxLength: 64, description: 'IPv4 or IPv6 address or CIDR' }),
    siteId: Type.Optional(Id),
    note: Type.String({ maxLength: 500, default: '' }),
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
