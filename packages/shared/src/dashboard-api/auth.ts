/** Dashboard sign-in: password, then TOTP; one-time setup links; the session. */
import Type, { type Static } from 'typebox';

const closed = { additionalProperties: false } as const;

export const Role = Type.Union([
  Type.Literal('administrator'),
  Type.Literal('supervisor'),
  Type.Literal('investigator'),
  Type.Literal('auditor'),
]);

export const Grant = Type.Object(
  {
    role: Role,
    // Null first: the server's Ajv coerces types, and would turn null into "" for a string branch tried first.
    projectId: Type.Union([Type.Null(), Type.String({ minLength: 1 })], {
      description: 'null: every project',
    }),
    teamId: Type.Union([Type.Null(), Type.String({ minLength: 1 })], {
      description: 'null: the whole project',
    }),
  },
  closed,
);

export const Username = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._@-]+$' });
export const DisplayName = Type.String({ maxLength: 128 });
export const Password = Type.String({ minLength: 1, maxLength: 1024 });
export const TotpCode = Type.String({ pattern: '^[0-9]{6}$' });

export const Me = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    displayName: Type.String(),
    grants: Type.Array(Grant),
    totpEnabled: Type.Boolean(),
  },
  closed,
);

/**
 * `password`: no session yet; `totp`: password accepted, code needed;
 * `totp_setup`: password accepted, this account must first add an authenticator;
 * `full`: signed in.
 */
export const SessionStage = Type.Union([
  Type.Literal('password'),
  Type.Literal('totp'),
  Type.Literal('totp_setup'),
  Type.Literal('full'),
]);

export const SessionInfo = Type.Object(
  {
    stage: SessionStage,
    user: Type.Union([Me, Type.Null()]),
    /** Send back as the `x-csrf-token` header on every state-changing request. */
    csrfToken: Type.Union([Type.String(), Type.Null()]),
  },
  closed,
);

export const LoginRequest = Type.Object(
  { username: Type.String({ maxLength: 64 }), password: Password },
  closed,
);
export const TotpRequest = Type.Object({ code: TotpCode }, closed);

/** The signed-in person's own password (issue #13); the code is needed when the account has an authenticator. */
export const ChangePasswordRequest = Type.Object(
  { currentPassword: Password, newPassword: Password, totpCode: Type.Optional(TotpCode) },
  closed,
);

export const TotpEnrollment = Type.Object(
  { secret: Type.String(), uri: Type.String({ description: 'otpauth:// URI for the authenticator app' }) },
  closed,
);

export const SetupInspectRequest = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 128 }) },
  closed,
);
export const SetupInspectResponse = Type.Object(
  {
    username: Type.String(),
    displayName: Type.String(),
    totpRequired: Type.Boolean(),
    totp: TotpEnrollment,
  },
  closed,
);
export const SetupCompleteRequest = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 128 }),
    password: Password,
    totpCode: Type.Optional(TotpCode),
  },
  closed,
);

export const SessionSummary = Type.Object(
  {
    id: Type.String(),
    createdAt: Type.Integer(),
    lastSeenAt: Type.Integer(),
    ip: Type.String(),
    userAgent: Type.String(),
    current: Type.Boolean(),
  },
  closed,
);

export type Role = Static<typeof Role>;
export type Grant = Static<typeof Grant>;
export type Me = Static<typeof Me>;
export type SessionStage = Static<typeof SessionStage>;
export type SessionInfo = Static<typeof SessionInfo>;
export type LoginRequest = Static<typeof LoginRequest>;
export type TotpRequest = Static<typeof TotpRequest>;
export type ChangePasswordRequest = Static<typeof ChangePasswordRequest>;
export type TotpEnrollment = Static<typeof TotpEnrollment>;
export type SetupInspectRequest = Static<typeof SetupInspectRequest>;
export type SetupInspectResponse = Static<typeof SetupInspectResponse>;
export type SetupCompleteRequest = Static<typeof SetupCompleteRequest>;
export type SessionSummary = Static<typeof SessionSummary>;
