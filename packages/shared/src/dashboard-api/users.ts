/** Administration of dashboard accounts, the dashboard IP allowlist and per-project dashboard settings. */
import Type, { type Static } from 'typebox';
import { DisplayName, Grant, Username } from './auth.js';

const closed = { additionalProperties: false } as const;
const Millis = Type.Integer({ minimum: 0 });
const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const UserRow = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    displayName: Type.String(),
    grants: Type.Array(Grant),
    totpEnabled: Type.Boolean(),
    /** The account has not finished its setup link yet. */
    pendingSetup: Type.Boolean(),
    disabled: Type.Boolean(),
    lastLoginAt: Nullable(Millis),
    createdAt: Millis,
    /** Whether the viewer may change this account (see canManageGrants). */
    manageable: Type.Boolean(),
  },
  closed,
);

export const CreateUserRequest = Type.Object(
  { username: Username, displayName: DisplayName, grants: Type.Array(Grant, { maxItems: 100 }) },
  closed,
);

export const UpdateUserRequest = Type.Object(
  {
    displayName: Type.Optional(DisplayName),
    grants: Type.Optional(Type.Array(Grant, { maxItems: 100 })),
    disabled: Type.Optional(Type.Boolean()),
  },
  closed,
);

/** The one-time link is shown once: only its hash is stored. */
export const SetupLinkResponse = Type.Object(
  { user: UserRow, setupUrl: Type.String(), expiresAt: Millis },
  closed,
);

export const DashboardAllowlistEntry = Type.Object(
  { cidr: Type.String({ minLength: 1, maxLength: 64 }), note: Type.String({ maxLength: 256 }) },
  closed,
);
export const DashboardAllowlist = Type.Object(
  {
    entries: Type.Array(DashboardAllowlistEntry, { maxItems: 1000 }),
  },
  closed,
);

export const ProjectDashboardSettings = Type.Object(
  {
    /** Supervisors see thumbnails unblurred. */
    clearThumbnails: Type.Boolean(),
    /** Every account with a grant in this project signs in with TOTP (administrators and investigators always do). */
    requireTotp: Type.Boolean(),
  },
  closed,
);

/** Projects and teams the viewer may hand out grants in; installation: may give installation-wide grants. */
export const GrantOptions = Type.Object(
  {
    installation: Type.Boolean(),
    projects: Type.Array(Type.Object({ id: Type.String(), name: Type.String() }, closed)),
    teams: Type.Array(
      Type.Object({ id: Type.String(), projectId: Type.String(), name: Type.String() }, closed),
    ),
  },
  closed,
);

/**
 * A (user name, client IP) pair whose failed sign-ins made it wait (issue
 * #13). The name is what was typed: it need not be an account.
 */
export const SignInThrottle = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    ip: Type.String(),
    failures: Type.Integer({ minimum: 0 }),
    firstFailureAt: Millis,
    lastFailureAt: Millis,
    /** No attempt of the pair is checked before this time. */
    nextAttemptAt: Millis,
  },
  closed,
);

export type SignInThrottle = Static<typeof SignInThrottle>;
export type UserRow = Static<typeof UserRow>;
export type GrantOptions = Static<typeof GrantOptions>;
export type CreateUserRequest = Static<typeof CreateUserRequest>;
export type UpdateUserRequest = Static<typeof UpdateUserRequest>;
export type SetupLinkResponse = Static<typeof SetupLinkResponse>;
export type DashboardAllowlistEntry = Static<typeof DashboardAllowlistEntry>;
export type DashboardAllowlist = Static<typeof DashboardAllowlist>;
export type ProjectDashboardSettings = Static<typeof ProjectDashboardSettings>;
