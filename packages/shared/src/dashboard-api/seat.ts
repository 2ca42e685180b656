/** Seat detail: a day's activity, the latest screenshots, devices, logins; capture now. */
import Type, { type Static } from 'typebox';
import { BoardSeat } from './board.js';

const closed = { additionalProperties: false } as const;
const Millis = Type.Integer({ minimum: 0 });
const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const SeatDetailQuery = Type.Object(
  {
    from: Type.Integer({ minimum: 0, description: 'Start of the window (ms), e.g. the viewer’s midnight' }),
    to: Type.Integer({ minimum: 0 }),
  },
  closed,
);

export const SeatAgent = Type.Object(
  {
    id: Type.String(),
    status: Type.String(),
    hostname: Type.String({ description: 'from the seat' }),
    os: Type.String({ description: 'from the seat' }),
    osUser: Type.String({ description: 'from the seat' }),
    agentVersion: Type.String({ description: 'from the seat' }),
    noticeVersion: Type.Integer(),
    enrolledAt: Millis,
    lastIp: Nullable(Type.String()),
    lastSeenAt: Nullable(Millis),
  },
  closed,
);

export const ActivitySpanRow = Type.Object(
  {
    start: Millis,
    end: Millis,
    app: Type.String(),
    title: Type.String(),
    /** The OS account of the session it came from (issue #14); null for rows from before accounts were kept. */
    osUser: Type.Optional(Nullable(Type.String({ description: 'from the seat' }))),
  },
  { ...closed, description: 'app, title and osUser are from the seat' },
);
export const StateChangeRow = Type.Object(
  { time: Millis, state: Type.Union([Type.Literal('active'), Type.Literal('idle'), Type.Literal('locked')]) },
  closed,
);
export const ScreenshotRow = Type.Object(
  {
    id: Type.String(),
    time: Millis,
    width: Type.Integer(),
    height: Type.Integer(),
    trigger: Type.String(),
    commandId: Nullable(Type.String()),
    /** The OS account of the session it came from (issue #14); null for rows from before accounts were kept. */
    osUser: Type.Optional(Nullable(Type.String({ description: 'from the seat' }))),
  },
  closed,
);
export const DeviceEventRow = Type.Object(
  {
    time: Millis,
    action: Type.Union([Type.Literal('attached'), Type.Literal('detached')]),
    name: Type.String({ description: 'from the seat' }),
    manufacturer: Nullable(Type.String()),
    vendorId: Nullable(Type.String()),
    productId: Nullable(Type.String()),
    serial: Nullable(Type.String()),
    massStorage: Type.Boolean(),
    /** The OS account of the session it came from (issue #14); null for rows from before accounts were kept. */
    osUser: Type.Optional(Nullable(Type.String({ description: 'from the seat' }))),
  },
  closed,
);
export const LoginRow = Type.Object(
  {
    time: Millis,
    kind: Type.String(),
    ip: Type.String(),
    allowed: Type.Boolean(),
    reason: Nullable(Type.String()),
    hostname: Nullable(Type.String({ description: 'from the seat' })),
    osUser: Nullable(Type.String({ description: 'from the seat' })),
  },
  closed,
);

export const SeatDetail = Type.Object(
  {
    seat: BoardSeat,
    projectName: Type.String(),
    siteName: Nullable(Type.String()),
    teamName: Nullable(Type.String()),
    agent: Nullable(SeatAgent),
    spans: Type.Array(ActivitySpanRow),
    states: Type.Array(StateChangeRow),
    screenshots: Type.Array(ScreenshotRow),
    devices: Type.Array(DeviceEventRow),
    logins: Type.Array(LoginRow),
    /** Whether this viewer may ask for a screenshot now. */
    canCapture: Type.Boolean(),
  },
  closed,
);

export const CaptureResponse = Type.Object({ commandId: Type.String() }, closed);

export type SeatDetailQuery = Static<typeof SeatDetailQuery>;
export type SeatAgent = Static<typeof SeatAgent>;
export type ActivitySpanRow = Static<typeof ActivitySpanRow>;
export type StateChangeRow = Static<typeof StateChangeRow>;
export type ScreenshotRow = Static<typeof ScreenshotRow>;
export type DeviceEventRow = Static<typeof DeviceEventRow>;
export type LoginRow = Static<typeof LoginRow>;
export type SeatDetail = Static<typeof SeatDetail>;
export type CaptureResponse = Static<typeof CaptureResponse>;
