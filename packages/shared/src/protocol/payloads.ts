/** One schema per protocol v1 payload (the JSON inside an envelope's `p`). */
import Type, { type Static } from 'typebox';
import { CaptureEvent, Event } from './events.js';
import { MAX_EVENTS_PER_BATCH, MAX_ID_LENGTH } from './limits.js';
import { Notice, Policy } from './policy.js';

const V = Type.Literal(1);
const Millis = Type.Integer({ minimum: 0 });
const Id = Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH });
const Base64 = (bytes: number) =>
  Type.String({
    pattern: '^[A-Za-z0-9+/]*={0,2}$',
    minLength: 4 * Math.ceil(bytes / 3),
    maxLength: 4 * Math.ceil(bytes / 3),
  });
const Seq = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const Sha256Hex = Type.String({ pattern: '^[0-9a-f]{64}$' });
const closed = { additionalProperties: false } as const;

export const AgentInfo = Type.Object(
  {
    hostname: Type.String(),
    osUser: Type.String(),
    localIps: Type.Array(Type.String(), { maxItems: 64 }),
    agentVersion: Type.String({ maxLength: 64 }),
    // Notice versions are the collector's own numbers (a PostgreSQL integer); a larger one cannot
    // be true and would fail the login's write instead of the hello (found by fuzzing).
    noticeVersion: Type.Integer({
      minimum: 0,
      maximum: 2_147_483_647,
      description: '0 until a notice has been shown',
    }),
  },
  // "at least" these fields: an agent may add more (os, gateway...).
  { additionalProperties: true },
);

export const ChallengePayload = Type.Object(
  { t: Type.Literal('challenge'), v: V, nonce: Base64(32), time: Millis },
  closed,
);

export const HelloPayload = Type.Object(
  { t: Type.Literal('hello'), v: V, agent: Id, nonce: Base64(32), time: Millis, info: AgentInfo },
  closed,
);

export const WelcomePayload = Type.Object(
  {
    t: Type.Literal('welcome'),
    v: V,
    session: Id,
    ackedSeq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    policy: Policy,
    notice: Notice,
  },
  closed,
);

export const BatchPayload = Type.Object(
  {
    t: Type.Literal('batch'),
    v: V,
    session: Id,
    seq: Seq,
    time: Millis,
    events: Type.Array(Event, { minItems: 1, maxItems: MAX_EVENTS_PER_BATCH }),
  },
  closed,
);

export const BlobPayload = Type.Object(
  {
    t: Type.Literal('blob'),
    v: V,
    session: Id,
    seq: Seq,
    time: Millis,
    sha256: Sha256Hex,
    size: Type.Integer({ minimum: 0 }),
    mime: Type.Union([Type.Literal('image/jpeg'), Type.Literal('image/webp'), Type.Literal('image/png')]),
    event: CaptureEvent,
  },
  closed,
);

export const AckPayload = Type.Object({ t: Type.Literal('ack'), v: V, session: Id, seq: Seq }, closed);

export const CommandPayload = Type.Object(
  {
    t: Type.Literal('command'),
    v: V,
    session: Id,
    id: Id,
    cmd: Type.String({ minLength: 1, maxLength: 64, description: 'capture_now, policy, revoke, ...' }),
    args: Type.Record(Type.String(), Type.Unknown()),
  },
  closed,
);

export const ErrorPayload = Type.Object(
  {
    t: Type.Literal('error'),
    v: V,
    code: Type.String({ maxLength: 64 }),
    message: Type.String({ maxLength: 2048 }),
  },
  closed,
);

/** Arguments of the `policy` command. */
export const PolicyCommandArgs = Type.Object({ policy: Policy, notice: Notice }, closed);

export type AgentInfo = Static<typeof AgentInfo>;
export type ChallengePayload = Static<typeof ChallengePayload>;
export type HelloPayload = Static<typeof HelloPayload>;
export type WelcomePayload = Static<typeof WelcomePayload>;
export type BatchPayload = Static<typeof BatchPayload>;
export type BlobPayload = Static<typeof BlobPayload>;
export type AckPayload = Static<typeof AckPayload>;
export type CommandPayload = Static<typeof CommandPayload>;
export type ErrorPayload = Static<typeof ErrorPayload>;
export type PolicyCommandArgs = Static<typeof PolicyCommandArgs>;

/** Messages an agent sends in text frames, and what a server sends. */
export type AgentTextPayload = HelloPayload | BatchPayload | ErrorPayload;
export type ServerPayload = ChallengePayload | WelcomePayload | AckPayload | CommandPayload | ErrorPayload;
export type Payload = AgentTextPayload | BlobPayload | ServerPayload;

export const PAYLOAD_SCHEMAS = {
  challenge: ChallengePayload,
  hello: HelloPayload,
  welcome: WelcomePayload,
  batch: BatchPayload,
  blob: BlobPayload,
  ack: AckPayload,
  command: CommandPayload,
  error: ErrorPayload,
} as const;
export type PayloadType = keyof typeof PAYLOAD_SCHEMAS;
