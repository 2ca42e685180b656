/**
 * Anomalies (issue #5): the records, their status changes, per-project rule
 * settings, team shift schedules, and where alerts go (webhooks, syslog).
 * The same `Anomaly` object travels in the HTTP API, the live push, webhook
 * bodies and (without evidence) syslog messages; see docs/anomalies.md.
 */
import Type, { type Static } from 'typebox';
import { Severity } from './board.js';

const closed = { additionalProperties: false } as const;
const Millis = Type.Integer({ minimum: 0 });
const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ANOMALY_RULES = [
  'agent_silent',
  'agent_stopped',
  'capture_blocked',
  'clock_skew',
  'concurrent_login',
  'ip_changed',
  'ip_not_allowed',
  'long_idle',
  'off_hours',
  'prohibited_app',
  'tamper',
  'unknown_device',
  'usb_storage',
] as const;
export const AnomalyRule = Type.Enum([...ANOMALY_RULES]);

/**
 * What an anomaly says, as a code and its parameters, so each reader gets it
 * in their own language (issue #13): every code with the names of its
 * parameters. A code starts with its rule's id. String parameters may quote
 * the seat (a device name, an application): untrusted text.
 */
export const ANOMALY_MESSAGES = {
  'agent_silent.connection_lost': [],
  'agent_silent.for': ['seconds'],
  agent_silent: [],
  agent_stopped: ['reason'],
  capture_blocked: ['monitor'],
  clock_skew: ['seconds'],
  concurrent_login: ['user', 'seats'],
  ip_changed: ['previousIp', 'ip'],
  'ip_not_allowed.enroll': ['ip'],
  'ip_not_allowed.login': ['ip'],
  long_idle: ['minutes'],
  off_hours: ['date'],
  prohibited_app: ['label', 'app'],
  'tamper.bad_signature': [],
  'tamper.session_replay': [],
  'tamper.hello_replay': [],
  'tamper.revoked_agent': [],
  'tamper.sequence_gap': ['from', 'to'],
  'tamper.sequence_gap_declared': ['from', 'to'],
  unknown_device: ['device'],
  usb_storage: ['device'],
} as const satisfies Record<string, readonly string[]>;
export type AnomalyCode = keyof typeof ANOMALY_MESSAGES;
export const ANOMALY_CODES = Object.keys(ANOMALY_MESSAGES) as AnomalyCode[];
export const AnomalyParams = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]));

export const ANOMALY_STATUSES = ['open', 'acknowledged', 'resolved', 'false_positive'] as const;
export const AnomalyStatus = Type.Enum([...ANOMALY_STATUSES]);

export const AnomalyEvidence = Type.Object(
  {
    kind: Type.Union([
      Type.Literal('event'),
      Type.Literal('screenshot'),
      Type.Literal('login'),
      Type.Literal('frame'),
    ]),
    id: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
    seq: Type.Optional(Type.Integer()),
    at: Type.Optional(Millis),
  },
  {
    additionalProperties: true,
    description: 'A pointer to an event, screenshot, login record or frame, with rule-specific details',
  },
);

export const Anomaly = Type.Object(
  {
    id: Type.String(),
    projectId: Type.String(),
    siteId: Nullable(Type.String()),
    teamId: Nullable(Type.String()),
    seatId: Nullable(Type.String()),
    seatName: Nullable(Type.String()),
    agentId: Nullable(Type.String({ description: 'null for a refused enrollment (no agent yet)' })),
    rule: AnomalyRule,
    severity: Severity,
    operator: Nullable(Type.String({ description: 'OS user at the seat, from the seat' })),
    key: Type.String({ description: 'Deduplication key within agent and rule' }),
    summary: Type.String({ description: 'One line in English; quotes strings from the seat' }),
    code: Nullable(
      Type.Enum([...ANOMALY_CODES], {
        description:
          'The summary as a message code (ANOMALY_MESSAGES), for a reader in another language; null for a rule this server no longer has',
      }),
    ),
    params: AnomalyParams,
    firstAt: Millis,
    lastAt: Millis,
    count: Type.Integer({ minimum: 1 }),
    status: AnomalyStatus,
    statusBy: Nullable(Type.String({ description: '"system" when the server closed it itself' })),
    statusAt: Nullable(Millis),
    comment: Nullable(Type.String()),
    evidence: Type.Array(AnomalyEvidence),
  },
  closed,
);

export const AnomalyListQuery = Type.Object(
  {
    projectId: Type.Optional(Type.String()),
    teamId: Type.Optional(Type.String()),
    seatId: Type.Optional(Type.String()),
    agentId: Type.Optional(Type.String()),
    status: Type.Optional(
      Type.String({
        pattern: '^[a-z_]+(,[a-z_]+)*$',
        description: 'Comma-separated statuses, e.g. open,acknowledged',
      }),
    ),
    rule: Type.Optional(
      Type.String({ pattern: '^[a-z_]+(,[a-z_]+)*$', description: 'Comma-separated rules' }),
    ),
    minSeverity: Type.Optional(Severity),
    from: Type.Optional(Type.Integer({ minimum: 0, description: 'lastAt at or after (ms)' })),
    to: Type.Optional(Type.Integer({ minimum: 0, description: 'firstAt before (ms)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    cursor: Type.Optional(
      Type.String({ maxLength: 200, description: 'The Seatwatch-Next-Cursor header of the previous page' }),
    ),
  },
  closed,
);

/** Newest lastAt first; when more remain, the response carries a `Seatwatch-Next-Cursor` header. */
export const AnomalyList = Type.Array(Anomaly);
export const NEXT_CURSOR_HEADER = 'seatwatch-next-cursor';

export const NearbyScreenshot = Type.Object(
  {
    id: Type.String(),
    time: Millis,
    /** Signed distance from the anomaly's firstAt (negative: before). */
    offsetMs: Type.Integer(),
  },
  closed,
);

export const AnomalyDetail = Type.Object(
  {
    anomaly: Anomaly,
    /** The screenshots of the seat nearest in time to the first and the last occurrence. */
    screenshots: Type.Array(NearbyScreenshot),
  },
  closed,
);

export const AnomalyStatusChange = Type.Object(
  {
    status: AnomalyStatus,
    comment: Type.String({ maxLength: 4000 }),
  },
  closed,
);

export const RuleSettingView = Type.Object(
  {
    rule: AnomalyRule,
    summary: Type.String(),
    enabled: Type.Boolean(),
    severity: Severity,
    config: Type.Record(Type.String(), Type.Unknown()),
    defaults: Type.Object(
      { enabled: Type.Boolean(), severity: Severity, config: Type.Record(Type.String(), Type.Unknown()) },
      closed,
    ),
    /** JSON Schema of `config`, so a client can render and check the form. */
    configSchema: Type.Record(Type.String(), Type.Unknown()),
    updatedAt: Nullable(Millis),
    updatedBy: Nullable(Type.String()),
  },
  closed,
);

export const RuleSettingsList = Type.Object(
  { projectId: Type.String(), rules: Type.Array(RuleSettingView) },
  closed,
);

export const RuleSettingUpdate = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    severity: Type.Optional(Severity),
    /** Replaces the stored config; fields left out take the rule's defaults. */
    config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  closed,
);

const StartTime = Type.String({
  pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
  description: 'HH:MM local time',
});
const EndTime = Type.String({
  pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$',
  description: 'HH:MM; an end at or before the start runs past midnight (equal: 24 hours)',
});

export const ShiftInterval = Type.Object({ start: StartTime, end: EndTime }, closed);

export const WeeklyShift = Type.Object(
  {
    day: Type.Integer({ minimum: 1, maximum: 7, description: 'ISO weekday: 1 Monday … 7 Sunday' }),
    start: StartTime,
    end: EndTime,
  },
  closed,
);

export const ShiftException = Type.Object(
  {
    date: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'Local date YYYY-MM-DD' }),
    intervals: Type.Array(ShiftInterval, {
      maxItems: 16,
      description: 'Replaces the weekly hours of that date; empty = no shift (a holiday)',
    }),
    note: Type.Optional(Type.String({ maxLength: 200 })),
  },
  closed,
);

export const ShiftSchedule = Type.Object(
  {
    timeZone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Europe/Berlin' }),
    weekly: Type.Array(WeeklyShift, { maxItems: 64 }),
    exceptions: Type.Array(ShiftException, { maxItems: 1000 }),
  },
  closed,
);

export const ShiftScheduleView = Type.Object(
  {
    teamId: Type.String(),
    projectId: Type.String(),
    schedule: ShiftSchedule,
    updatedAt: Millis,
    updatedBy: Nullable(Type.String()),
  },
  closed,
);

export const ALERT_EVENTS = ['anomaly.opened', 'anomaly.status_changed'] as const;
export const AlertEvent = Type.Enum([...ALERT_EVENTS]);

/** What an alert target receives: which rules, from what severity, which events. */
const AlertFilter = {
  enabled: Type.Boolean(),
  minSeverity: Severity,
  rules: Type.Array(AnomalyRule, { maxItems: ANOMALY_RULES.length, description: 'Empty: every rule' }),
  events: Type.Array(AlertEvent, { minItems: 1, maxItems: ALERT_EVENTS.length }),
};

export const WebhookInput = Type.Object(
  {
    url: Type.String({ minLength: 8, maxLength: 2000, pattern: '^https?://', description: 'http(s) URL' }),
    description: Type.String({ maxLength: 200 }),
    ...AlertFilter,
  },
  closed,
);

export const Webhook = Type.Object(
  { id: Type.String(), projectId: Type.String(), ...WebhookInput.properties, createdAt: Millis },
  closed,
);

export const WebhookList = Type.Object(
  {
    webhooks: Type.Array(Webhook),
    /** Base64 Ed25519 key that verifies the Seatwatch-Signature header of every delivery. */
    serverPublicKey: Type.String(),
  },
  closed,
);

export const AlertAttempt = Type.Object(
  {
    at: Millis,
    ok: Type.Boolean(),
    status: Nullable(Type.Integer({ description: 'HTTP status (webhooks)' })),
    error: Nullable(Type.String()),
    durationMs: Type.Integer({ minimum: 0 }),
  },
  closed,
);

/** One alert to one target, with every attempt: the delivery log. */
export const AlertDelivery = Type.Object(
  {
    id: Type.String({ description: 'Also the Seatwatch-Delivery header and the deliveryId of the body' }),
    targetKind: Type.Union([Type.Literal('webhook'), Type.Literal('syslog')]),
    targetId: Type.String(),
    anomalyId: Type.String(),
    event: AlertEvent,
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
    attempts: Type.Integer({ minimum: 0 }),
    nextAttemptAt: Nullable(Millis),
    lastStatusCode: Nullable(Type.Integer()),
    lastError: Nullable(Type.String()),
    attemptLog: Type.Array(AlertAttempt),
    createdAt: Millis,
    deliveredAt: Nullable(Millis),
  },
  closed,
);

export const AlertDeliveryQuery = Type.Object(
  {
    targetId: Type.Optional(Type.String({ maxLength: 128 })),
    anomalyId: Type.Optional(Type.String({ maxLength: 128 })),
    status: Type.Optional(
      Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  closed,
);

export const SyslogTargetInput = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 255 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    transport: Type.Union([Type.Literal('udp'), Type.Literal('tcp')]),
    facility: Type.Integer({ minimum: 0, maximum: 23, description: 'RFC 5424 facility; 16 = local0' }),
    description: Type.String({ maxLength: 200 }),
    ...AlertFilter,
  },
  closed,
);

export const SyslogTarget = Type.Object(
  { id: Type.String(), projectId: Type.String(), ...SyslogTargetInput.properties, createdAt: Millis },
  closed,
);

/** A webhook body: signed with the server key (see docs/anomalies.md). */
export const AlertPayload = Type.Object(
  {
    type: AlertEvent,
    deliveryId: Type.String(),
    sentAt: Millis,
    anomaly: Anomaly,
  },
  closed,
);

/** One message of the live anomaly stream. `anomaly.updated`: another occurrence (count, lastAt, evidence). */
export const AnomalyLiveMessage = Type.Object(
  {
    type: Type.Union([
      Type.Literal('anomaly.opened'),
      Type.Literal('anomaly.updated'),
      Type.Literal('anomaly.status_changed'),
    ]),
    anomaly: Anomaly,
  },
  closed,
);

export type AnomalyRule = Static<typeof AnomalyRule>;
export type AnomalyParams = Static<typeof AnomalyParams>;
export type AnomalyStatus = Static<typeof AnomalyStatus>;
export type AnomalyEvidence = Static<typeof AnomalyEvidence>;
export type Anomaly = Static<typeof Anomaly>;
export type AnomalyListQuery = Static<typeof AnomalyListQuery>;
export type AnomalyList = Static<typeof AnomalyList>;
export type NearbyScreenshot = Static<typeof NearbyScreenshot>;
export type AnomalyDetail = Static<typeof AnomalyDetail>;
export type AnomalyStatusChange = Static<typeof AnomalyStatusChange>;
export type RuleSettingView = Static<typeof RuleSettingView>;
export type RuleSettingsList = Static<typeof RuleSettingsList>;
export type RuleSettingUpdate = Static<typeof RuleSettingUpdate>;
export type ShiftInterval = Static<typeof ShiftInterval>;
export type WeeklyShift = Static<typeof WeeklyShift>;
export type ShiftException = Static<typeof ShiftException>;
export type ShiftSchedule = Static<typeof ShiftSchedule>;
export type ShiftScheduleView = Static<typeof ShiftScheduleView>;
export type AlertEvent = Static<typeof AlertEvent>;
export type WebhookInput = Static<typeof WebhookInput>;
export type Webhook = Static<typeof Webhook>;
export type WebhookList = Static<typeof WebhookList>;
export type AlertAttempt = Static<typeof AlertAttempt>;
export type AlertDelivery = Static<typeof AlertDelivery>;
export type AlertDeliveryQuery = Static<typeof AlertDeliveryQuery>;
export type SyslogTargetInput = Static<typeof SyslogTargetInput>;
export type SyslogTarget = Static<typeof SyslogTarget>;
export type AlertPayload = Static<typeof AlertPayload>;
export type AnomalyLiveMessage = Static<typeof AnomalyLiveMessage>;
