/** `POST /api/v1/enroll`: request and answer bodies. */
import Type, { type Static } from 'typebox';
import { Notice, Policy } from './policy.js';

export const EnrollRequest = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 256 }),
    publicKey: Type.String({
      pattern: '^[A-Za-z0-9+/]{43}=$',
      description: 'base64 of the 32-byte Ed25519 key',
    }),
    hostname: Type.String({ maxLength: 4096 }),
    os: Type.String({ maxLength: 4096 }),
    osUser: Type.String({ maxLength: 4096 }),
    agentVersion: Type.String({ maxLength: 64 }),
    seat: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, description: 'Seat name; the hostname if absent' }),
    ),
  },
  { additionalProperties: false },
);
export type EnrollRequest = Static<typeof EnrollRequest>;

export const EnrollResponse = Type.Object(
  {
    agentId: Type.String(),
    serverPublicKey: Type.String(),
    projectId: Type.String(),
    policy: Policy,
    notice: Notice,
  },
  { additionalProperties: false },
);
export type EnrollResponse = Static<typeof EnrollResponse>;

export const ErrorBody = Type.Object(
  { error: Type.String(), message: Type.String() },
  { additionalProperties: false },
);
export type ErrorBody = Static<typeof ErrorBody>;
