/**
 * Event bodies carried in `batch.events` (and one `capture` event in each
 * `blob`). One schema per body; `type` discriminates. Strings that come from
 * the seat (titles, names, hostnames) have no maxLength here on purpose: an
 * overlong string must not make a batch fail, so the receiver truncates it
 * (see `sanitizeText` and MAX_STRING_LENGTHS).
 */
import Type, { type Static } from 'typebox';
import { MAX_ID_LENGTH } from './limits.js';

const Millis = Type.Integer({ minimum: 0, description: 'Unix epoch milliseconds' });
const Text = (description: string) => Type.String({ description });
const closed = { additionalProperties: false } as const;

export const ActivityEvent = Type.Object(
  {
    type: Type.Literal('activity'),
    time: Millis,
    end: Type.Integer({
      minimum: 0,
      description: 'End of the span (ms); the span grows while app and title stay the same',
    }),
    app: Text('Application (process or window class) in the foreground'),
    title: Text('Window title in the foreground'),
  },
  { ...closed, description: 'A span of foreground activity' },
);

export const StatusEvent = Type.Object(
  {
    type: Type.Literal('status'),
    time: Millis,
    state: Type.Union([Type.Literal('active'), Type.Literal('idle'), Type.Literal('locked')]),
    idleMs: Type.Integer({ minimum: 0, description: 'OS input-idle time when the state was decided' }),
  },
  { ...closed, description: 'The seat changed between active, idle and locked' },
);

export const Device = Type.Object(
  {
    id: Text('Stable id of the device on this seat (bus path or serial)'),
    vendorId: Type.Union([Type.String(), Type.Null()]),
    productId: Type.Union([Type.String(), Type.Null()]),
    name: Text('Product or volume name as the OS reports it'),
    manufacturer: Type.Union([Type.String(), Type.Null()]),
    serial: Type.Union([Type.String(), Type.Null()]),
    deviceClass: Type.Union([Type.String(), Type.Null()]),
    massStorage: Type.Boolean(),
  },
  closed,
);

export const DeviceAttachedEvent = Type.Object(
  { type: Type.Literal('device_attached'), time: Millis, device: Device },
  { ...closed, description: 'A USB or removable-storage device appeared' },
);

export const DeviceDetachedEvent = Type.Object(
  { type: Type.Literal('device_detached'), time: Millis, device: Device },
  { ...closed, description: 'A USB or removable-storage device went away' },
);

export const NetworkEvent = Type.Object(
  {
    type: Type.Literal('network'),
    time: Millis,
    hostname: Type.String(),
    osUser: Type.String(),
    localIps: Type.Array(Type.String(), { maxItems: 64 }),
    gateway: Type.Union([Type.String(), Type.Null()]),
  },
  {
    ...closed,
    description: 'Hostname, OS user, local IPs and default gateway: at start and on every change',
  },
);

export const NoticeAckEvent = Type.Object(
  {
    type: Type.Literal('notice_ack'),
    time: Millis,
    noticeVersion: Type.Integer({ minimum: 1 }),
    osUser: Type.String(),
    shownVia: Type.Array(
      Type.Union([Type.Literal('terminal'), Type.Literal('notification'), Type.Literal('page')]),
      { maxItems: 3 },
    ),
  },
  { ...closed, description: 'The operator was shown this version of the monitoring notice' },
);

export const CommandResultEvent = Type.Object(
  {
    type: Type.Literal('command_result'),
    time: Millis,
    commandId: Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH }),
    cmd: Type.String({ maxLength: 64 }),
    ok: Type.Boolean(),
    message: Type.String(),
  },
  { ...closed, description: 'Outcome of a server command' },
);

export const LifecycleEvent = Type.Object(
  {
    type: Type.Literal('lifecycle'),
    time: Millis,
    phase: Type.Union([Type.Literal('starting'), Type.Literal('stopping')]),
    reason: Type.Union([
      Type.Literal('start'),
      Type.Literal('signal'),
      Type.Literal('service_stop'),
      Type.Literal('logoff'),
      Type.Literal('shutdown'),
      Type.Literal('unenroll'),
      Type.Literal('revoked'),
      Type.Literal('error'),
    ]),
    detail: Type.String(),
    agentVersion: Type.String({ maxLength: 64 }),
  },
  { ...closed, description: 'The agent starts, or stops for a reason it can see (a clean stop, not a kill)' },
);

export const DataDroppedEvent = Type.Object(
  {
    type: Type.Literal('data_dropped'),
    time: Millis,
    kind: Type.Union([Type.Literal('screenshot'), Type.Literal('event')]),
    count: Type.Integer({ minimum: 1 }),
    bytes: Type.Integer({ minimum: 0 }),
    fromSeq: Type.Integer({ minimum: 1 }),
    toSeq: Type.Integer({ minimum: 1 }),
    reason: Type.String(),
  },
  {
    ...closed,
    description: 'The agent had to drop data (outbox full); sent before the sequence gap it causes',
  },
);

export const CaptureEvent = Type.Object(
  {
    type: Type.Literal('capture'),
    time: Millis,
    outcome: Type.Union([
      Type.Literal('captured'),
      Type.Literal('unchanged'),
      Type.Literal('paused'),
      Type.Literal('failed'),
      Type.Literal('unavailable'),
    ]),
    trigger: Type.Union([Type.Literal('schedule'), Type.Literal('command')]),
    monitor: Type.Integer({ minimum: 0 }),
    width: Type.Integer({ minimum: 0 }),
    height: Type.Integer({ minimum: 0 }),
    reason: Type.String({ description: 'Why it was paused, failed or unavailable; empty when captured' }),
    commandId: Type.Union([Type.String({ maxLength: MAX_ID_LENGTH }), Type.Null()]),
  },
  {
    ...closed,
    description: 'One screenshot attempt per monitor; outcome "captured" travels in a blob frame',
  },
);

export const AgentErrorEvent = Type.Object(
  {
    type: Type.Literal('agent_error'),
    time: Millis,
    collector: Type.String({ maxLength: 64 }),
    message: Type.String(),
  },
  { ...closed, description: 'A collector failed; the agent keeps running and reports it as data' },
);

export const Event = Type.Union([
  ActivityEvent,
  StatusEvent,
  DeviceAttachedEvent,
  DeviceDetachedEvent,
  NetworkEvent,
  NoticeAckEvent,
  CommandResultEvent,
  LifecycleEvent,
  DataDroppedEvent,
  CaptureEvent,
  AgentErrorEvent,
]);

export const EVENT_SCHEMAS = {
  activity: ActivityEvent,
  status: StatusEvent,
  device_attached: DeviceAttachedEvent,
  device_detached: DeviceDetachedEvent,
  network: NetworkEvent,
  notice_ack: NoticeAckEvent,
  command_result: CommandResultEvent,
  lifecycle: LifecycleEvent,
  data_dropped: DataDroppedEvent,
  capture: CaptureEvent,
  agent_error: AgentErrorEvent,
} as const;

export type ActivityEvent = Static<typeof ActivityEvent>;
export type StatusEvent = Static<typeof StatusEvent>;
export type Device = Static<typeof Device>;
export type DeviceAttachedEvent = Static<typeof DeviceAttachedEvent>;
export type DeviceDetachedEvent = Static<typeof DeviceDetachedEvent>;
export type NetworkEvent = Static<typeof NetworkEvent>;
export type NoticeAckEvent = Static<typeof NoticeAckEvent>;
export type CommandResultEvent = Static<typeof CommandResultEvent>;
export type LifecycleEvent = Static<typeof LifecycleEvent>;
export type DataDroppedEvent = Static<typeof DataDroppedEvent>;
export type CaptureEvent = Static<typeof CaptureEvent>;
export type AgentErrorEvent = Static<typeof AgentErrorEvent>;
export type Event = Static<typeof Event>;
export type EventType = Event['type'];
