/**
 * Investigation API (issue #7): timelines, full-resolution screenshots,
 * cases and evidence bundles, the audit log, and the operator self-view.
 * Strings marked "from the seat" are untrusted text: render as text only.
 */
import Type, { type Static } from 'typebox';

const closed = { additionalProperties: false } as const;
const Millis = Type.Integer({ minimum: 0 });
const Id = Type.String({ minLength: 1, maxLength: 128 });
const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** Why the person looks: a stated reason, or a case the look belongs to (one of them is required). */
export const Purpose = {
  reason: Type.Optional(
    Type.String({ minLength: 5, maxLength: 2000, description: 'Stated reason, recorded in the audit log' }),
  ),
  caseId: Type.Optional(Id),
};

// ---- timeline ---------------------------------------------------------------------------------

export const TIMELINE_SECTIONS = [
  'spans',
  'screenshots',
  'devices',
  'logins',
  'states',
  'anomalies',
] as const;
export const TimelineSection = Type.Union([
  Type.Literal('spans'),
  Type.Literal('screenshots'),
  Type.Literal('devices'),
  Type.Literal('logins'),
  Type.Literal('states'),
  Type.Literal('anomalies'),
]);
const Cursor = Type.String({ maxLength: 200 });
/** The longest range one timeline request may cover. */
export const MAX_TIMELINE_RANGE_MS = 400 * 86_400_000;

export const TimelineRequest = Type.Object(
  {
    seatIds: Type.Optional(Type.Array(Id, { maxItems: 50 })),
    operators: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
        maxItems: 20,
        description: 'OS user names: their seats are those they signed in at during the range',
      }),
    ),
    from: Millis,
    to: Millis,
    q: Type.Optional(
      Type.String({ maxLength: 200, description: 'Search in window titles and applications' }),
    ),
    apps: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 50 })),
    sections: Type.Optional(Type.Array(TimelineSection, { maxItems: TIMELINE_SECTIONS.length })),
    /** Up to 10,000: the visual timeline reads whole ranges in few requests (docs/benchmarks.md). */
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 200 })),
    /** `next` of a section's previous page; a request with cursors answers no totals. */
    cursors: Type.Optional(
      Type.Object(
        {
          spans: Type.Optional(Cursor),
          screenshots: Type.Optional(Cursor),
          devices: Type.Optional(Cursor),
          logins: Type.Optional(Cursor),
          states: Type.Optional(Cursor),
          anomalies: Type.Optional(Cursor),
        },
        closed,
      ),
    ),
    ...Purpose,
  },
  closed,
);

export const TimelineSeat = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    projectId: Type.String(),
    siteId: Nullable(Type.String()),
    teamId: Nullable(Type.String()),
    /** The seat picker's groups (GET /investigation/seats only). */
    siteName: Type.Optional(Nullable(Type.String())),
    teamName: Type.Optional(Nullable(Type.String())),
  },
  closed,
);

const page = <T extends Type.TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), next: Nullable(Type.String()) }, closed);

export const TimelineSpan = Type.Object(
  {
    id: Type.String(),
    seatId: Type.String(),
    start: Millis,
    end: Millis,
    app: Type.String({ description: 'from the seat' }),
    title: Type.String({ description: 'from the seat' }),
    /** The OS account of the session it came from (issue #14); null for rows from before accounts were kept. */
    osUser: Type.Optional(Nullable(Type.String({ description: 'from the seat' }))),
  },
  closed,
);
export const TimelineScreenshot = Type.Object(
  {
    id: Type.String(),
    seatId: Type.String(),
    time: Millis,
    width: Type.Integer(),
    height: Type.Integer(),
    monitor: Type.Integer(),
    trigger: Type.String(),
    /** The OS account of the session it came from (issue #14); null for rows from before accounts were kept. */
    osUser: Type.Optional(Nullable(Type.String({ description: 'from the seat' }))),
  },
  closed,
);
export const TimelineDevice = Type.Object(
  {
    id: Type.String(),
    seatId: Type.String(),
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
export const TimelineLogin = Type.Object(
  {
    id: Type.String(),
    seatId: Nullable(Type.String()),
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
export const TimelineState = Type.Object(
  {
    id: Type.String(),
    seatId: Type.String(),
    time: Millis,
    state: Type.Union([Type.Literal('active'), Type.Literal('idle'), Type.Literal('locked')]),
  },
  closed,
);
export const TimelineAnomaly = Type.Object(
  {
    id: Type.String(),
    seatId: Nullable(Type.String()),
    rule: Type.String(),
    severity: Type.String(),
    status: Type.String(),
    firstAt: Millis,
    lastAt: Millis,
    count: Type.Integer(),
    operator: Nullable(Type.String({ description: 'from the seat' })),
  },
  closed,
);
export const AppTotal = Type.Object(
  { app: Type.String({ description: 'from the seat' }), ms: Type.Integer(), spans: Type.Integer() },
  closed,
);

export const Timeline = Type.Object(
  {
    from: Millis,
    to: Millis,
    seats: Type.Array(TimelineSeat),
    /** Over the whole range (with q/apps applied); null on follow-up pages. */
    totals: Nullable(
      Type.Object(
        {
          apps: Type.Array(AppTotal),
          activeMs: Type.Integer(),
          spans: Type.Integer(),
          screenshots: Type.Integer(),
        },
        closed,
      ),
    ),
    spans: Type.Optional(page(TimelineSpan)),
    screenshots: Type.Optional(page(TimelineScreenshot)),
    devices: Type.Optional(page(TimelineDevice)),
    logins: Type.Optional(page(TimelineLogin)),
    states: Type.Optional(page(TimelineState)),
    anomalies: Type.Optional(page(TimelineAnomaly)),
  },
  closed,
);

/** The most buckets one summary has per seat (about one per two pixels of a wide screen). */
export const MAX_SUMMARY_BUCKETS = 2000;

/**
 * The visual timeline's coarse view: per seat and time bucket, what
 * dominated. One request per view, recorded once (not once per seat or
 * page); detail (the timeline above) is read only for the range zoomed into.
 */
export const TimelineSummaryRequest = Type.Object(
  {
    seatIds: Type.Optional(Type.Array(Id, { maxItems: 50 })),
    operators: TimelineRequest.properties.operators,
    from: Millis,
    to: Millis,
    /** How many equal buckets the range is cut into (each at least a second). */
    buckets: Type.Integer({ minimum: 1, maximum: MAX_SUMMARY_BUCKETS }),
    ...Purpose,
  },
  closed,
);

/** One seat's bucket with anything in it. */
export const TimelineSummaryCell = Type.Object(
  {
    seatId: Type.String(),
    /** The bucket's index: it covers [from + bucket * bucketMs, from + (bucket + 1) * bucketMs). */
    bucket: Type.Integer({ minimum: 0 }),
    /** Time in activity spans inside the bucket, and how many spans reach into it. */
    activeMs: Type.Integer({ minimum: 0 }),
    spans: Type.Integer({ minimum: 0 }),
    /** The application with most of that time (null: no span). */
    app: Nullable(Type.String({ description: 'from the seat' })),
    appMs: Type.Integer({ minimum: 0 }),
    /** The state with most of the bucket's time; offline: before the seat's first state in the range. */
    state: Type.Union([
      Type.Literal('active'),
      Type.Literal('idle'),
      Type.Literal('locked'),
      Type.Literal('offline'),
    ]),
    screenshots: Type.Integer({ minimum: 0 }),
    anomalies: Type.Integer({ minimum: 0 }),
    devices: Type.Integer({ minimum: 0 }),
    logins: Type.Integer({ minimum: 0 }),
  },
  closed,
);

export const TimelineSummary = Type.Object(
  {
    from: Millis,
    to: Millis,
    bucketMs: Type.Integer({ minimum: 1000 }),
    buckets: Type.Integer({ minimum: 1 }),
    seats: Type.Array(TimelineSeat),
    /** Only buckets with something in them (a span, a state, a marker), by seat and bucket. */
    cells: Type.Array(TimelineSummaryCell),
  },
  closed,
);

export const ScreenshotViewRequest = Type.Object({ ...Purpose }, closed);

// ---- cases ------------------------------------------------------------------------------------

export const CaseStatus = Type.Union([
  Type.Literal('open'),
  Type.Literal('in_progress'),
  Type.Literal('closed'),
]);
export const CaseItemKind = Type.Union([
  Type.Literal('event'),
  Type.Literal('activity_span'),
  Type.Literal('device_event'),
  Type.Literal('screenshot'),
  Type.Literal('anomaly'),
  Type.Literal('login'),
  Type.Literal('time_range'),
]);

const caseSummaryFields = {
  id: Type.String(),
  projectId: Type.String(),
  title: Type.String(),
  status: CaseStatus,
  assigneeId: Nullable(Type.String()),
  assigneeName: Nullable(Type.String()),
  legalHold: Type.Boolean(),
  openedFromAnomalyId: Nullable(Type.String()),
  createdBy: Type.String(),
  createdAt: Millis,
  updatedAt: Millis,
  items: Type.Integer(),
};

export const CaseSummary = Type.Object(caseSummaryFields, closed);

export const CaseItem = Type.Object(
  {
    id: Type.String(),
    kind: CaseItemKind,
    refId: Nullable(Type.String()),
    seatId: Nullable(Type.String()),
    from: Nullable(Millis),
    to: Nullable(Millis),
    note: Type.String(),
    addedBy: Type.String(),
    addedAt: Millis,
    /** One line about the item (the span's app and title, the device name...); from the seat. */
    summary: Type.String(),
  },
  closed,
);

export const CaseNote = Type.Object(
  { id: Type.String(), author: Type.String(), body: Type.String(), createdAt: Millis },
  closed,
);

export const CaseDetail = Type.Object(
  {
    case: Type.Object(
      {
        ...caseSummaryFields,
        description: Type.String(),
        closedAt: Nullable(Millis),
        legalHoldAt: Nullable(Millis),
        legalHoldBy: Nullable(Type.String()),
      },
      closed,
    ),
    items: Type.Array(CaseItem),
    notes: Type.Array(CaseNote),
  },
  closed,
);

export const CreateCaseRequest = Type.Object(
  {
    projectId: Id,
    title: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
    assigneeId: Type.Optional(Nullable(Id)),
    /** Open from this anomaly: it and the hour around it on its seat become the first items. */
    fromAnomalyId: Type.Optional(Id),
  },
  closed,
);

export const UpdateCaseRequest = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
    status: Type.Optional(CaseStatus),
    assigneeId: Type.Optional(Nullable(Id)),
  },
  closed,
);

export const AddCaseNoteRequest = Type.Object(
  { body: Type.String({ minLength: 1, maxLength: 10_000 }) },
  closed,
);

export const AddCaseItemRequest = Type.Object(
  {
    kind: CaseItemKind,
    /** The row's id (all kinds but time_range). */
    refId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** time_range: the seat and the range. */
    seatId: Type.Optional(Id),
    from: Type.Optional(Millis),
    to: Type.Optional(Millis),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  closed,
);

export const LegalHoldRequest = Type.Object(
  { hold: Type.Boolean(), reason: Type.String({ minLength: 5, maxLength: 2000 }) },
  closed,
);

export const CaseExportRequest = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 5, maxLength: 2000 })) },
  closed,
);

export const AssigneeOption = Type.Object(
  { id: Type.String(), username: Type.String(), displayName: Type.String() },
  closed,
);

// ---- audit log --------------------------------------------------------------------------------

export const AuditEntryView = Type.Object(
  {
    seq: Type.Integer(),
    at: Millis,
    actor: Type.String(),
    actorId: Nullable(Type.String()),
    action: Type.String(),
    outcome: Type.String(),
    projectId: Nullable(Type.String()),
    seatId: Nullable(Type.String()),
    caseId: Nullable(Type.String()),
    target: Nullable(Type.Object({ kind: Type.String(), id: Type.String() }, closed)),
    reason: Nullable(Type.String()),
    ip: Nullable(Type.String()),
    details: Type.Record(Type.String(), Type.Unknown()),
    prevHash: Type.String(),
    hash: Type.String(),
  },
  closed,
);

export const AuditQuery = Type.Object(
  {
    projectId: Type.Optional(Id),
    from: Type.Optional(Millis),
    to: Type.Optional(Millis),
    actor: Type.Optional(Type.String({ maxLength: 300 })),
    action: Type.Optional(Type.String({ maxLength: 128 })),
    seatId: Type.Optional(Id),
    caseId: Type.Optional(Id),
    beforeSeq: Type.Optional(Type.Integer({ minimum: 1 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  closed,
);

export const AuditPage = Type.Object(
  { entries: Type.Array(AuditEntryView), nextBeforeSeq: Nullable(Type.Integer()) },
  closed,
);

// ---- operator self-view -----------------------------------------------------------------------

/**
 * The agent asks for a one-time link with a request it signs with its key:
 * POST /api/v1/self-view/links with {p, s}, p the JSON text of this payload,
 * s the base64 Ed25519 signature over SELF_VIEW_SIGNING_PREFIX ++ UTF8(p).
 */
export const SelfViewLinkPayload = Type.Object(
  {
    t: Type.Literal('self_view_link'),
    v: Type.Literal(1),
    agent: Id,
    time: Millis,
    nonce: Type.String({ pattern: '^[A-Za-z0-9_-]{16,128}$' }),
    /**
     * The OS account whose view to open, from a machine service that serves
     * several desktop sessions; the server accepts only an account this agent
     * reported itself. Absent: the OS user of the agent's latest hello.
     */
    osUser: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  closed,
);
/** A different domain from protocol frames: a link request can never pass for a frame, nor the reverse. */
export const SELF_VIEW_SIGNING_PREFIX = 'seatwatch/1 self-view\n';

export function selfViewSigningInput(p: string): Uint8Array {
  return new TextEncoder().encode(SELF_VIEW_SIGNING_PREFIX + p);
}

export const SignedSelfViewLinkRequest = Type.Object(
  { p: Type.String({ maxLength: 2048 }), s: Type.String({ maxLength: 128 }) },
  closed,
);
export const SelfViewLink = Type.Object({ url: Type.String(), expiresAt: Millis }, closed);
export const SelfViewOpenRequest = Type.Object(
  { token: Type.String({ minLength: 16, maxLength: 128 }) },
  closed,
);

export const SelfViewAccess = Type.Object(
  {
    at: Millis,
    who: Type.String(),
    action: Type.String(),
    reason: Nullable(Type.String()),
    caseId: Nullable(Type.String()),
    /** Looks folded into one entry (the same viewer, seat and minute): how many. */
    count: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  closed,
);

export const SelfView = Type.Object(
  {
    seat: Type.Object({ id: Type.String(), name: Type.String(), projectName: Type.String() }, closed),
    /** The OS account whose data this view shows (null: a link made before accounts were kept, the whole seat). */
    operator: Type.Optional(Nullable(Type.String())),
    /** The session ends then (the link worked once). */
    expiresAt: Millis,
    retentionDays: Type.Integer(),
    screenshotsEnabled: Type.Boolean(),
    screenshotIntervalMs: Type.Integer(),
    counts: Type.Object(
      {
        spans: Type.Integer(),
        screenshots: Type.Integer(),
        devices: Type.Integer(),
        logins: Type.Integer(),
        oldest: Nullable(Millis),
      },
      closed,
    ),
    recentSpans: Type.Array(TimelineSpan),
    screenshots: Type.Array(TimelineScreenshot),
    devices: Type.Array(TimelineDevice),
    logins: Type.Array(TimelineLogin),
    access: Type.Array(SelfViewAccess),
  },
  closed,
);

export type Purpose = { reason?: string; caseId?: string };
export type TimelineSection = Static<typeof TimelineSection>;
export type TimelineRequest = Static<typeof TimelineRequest>;
export type TimelineSeat = Static<typeof TimelineSeat>;
export type TimelineSpan = Static<typeof TimelineSpan>;
export type TimelineScreenshot = Static<typeof TimelineScreenshot>;
export type TimelineDevice = Static<typeof TimelineDevice>;
export type TimelineLogin = Static<typeof TimelineLogin>;
export type TimelineState = Static<typeof TimelineState>;
export type TimelineAnomaly = Static<typeof TimelineAnomaly>;
export type AppTotal = Static<typeof AppTotal>;
export type Timeline = Static<typeof Timeline>;
export type TimelineSummaryRequest = Static<typeof TimelineSummaryRequest>;
export type TimelineSummaryCell = Static<typeof TimelineSummaryCell>;
export type TimelineSummary = Static<typeof TimelineSummary>;
export type ScreenshotViewRequest = Static<typeof ScreenshotViewRequest>;
export type CaseStatus = Static<typeof CaseStatus>;
export type CaseItemKind = Static<typeof CaseItemKind>;
export type CaseSummary = Static<typeof CaseSummary>;
export type CaseItem = Static<typeof CaseItem>;
export type CaseNote = Static<typeof CaseNote>;
export type CaseDetail = Static<typeof CaseDetail>;
export type CreateCaseRequest = Static<typeof CreateCaseRequest>;
export type UpdateCaseRequest = Static<typeof UpdateCaseRequest>;
export type AddCaseNoteRequest = Static<typeof AddCaseNoteRequest>;
export type AddCaseItemRequest = Static<typeof AddCaseItemRequest>;
export type LegalHoldRequest = Static<typeof LegalHoldRequest>;
export type CaseExportRequest = Static<typeof CaseExportRequest>;
export type AssigneeOption = Static<typeof AssigneeOption>;
export type AuditEntryView = Static<typeof AuditEntryView>;
export type AuditQuery = Static<typeof AuditQuery>;
export type AuditPage = Static<typeof AuditPage>;
export type SelfViewLinkPayload = Static<typeof SelfViewLinkPayload>;
export type SignedSelfViewLinkRequest = Static<typeof SignedSelfViewLinkRequest>;
export type SelfViewLink = Static<typeof SelfViewLink>;
export type SelfViewOpenRequest = Static<typeof SelfViewOpenRequest>;
export type SelfViewAccess = Static<typeof SelfViewAccess>;
export type SelfView = Static<typeof SelfView>;
