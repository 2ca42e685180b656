/** The project's policy and monitoring notice, sent in `welcome`, in `policy` commands and at enrollment. */
import Type, { type Static } from 'typebox';

/** Limits of the policy's mask patterns (see text/mask-patterns.ts, which compiles them). */
export const MASK_PATTERN_MAX_LENGTH = 200;
export const MASK_PATTERNS_MAX = 20;

export const Policy = Type.Object(
  {
    activitySampleMs: Type.Integer({ minimum: 200, maximum: 60_000, default: 1000 }),
    idleThresholdMs: Type.Integer({ minimum: 10_000, maximum: 86_400_000, default: 180_000 }),
    heartbeatMs: Type.Integer({ minimum: 1000, maximum: 600_000, default: 15_000 }),
    screenshotsEnabled: Type.Boolean({ default: true }),
    screenshotIntervalMs: Type.Integer({ minimum: 10_000, maximum: 86_400_000, default: 300_000 }),
    screenshotJitter: Type.Number({ minimum: 0, maximum: 0.5, default: 0.2 }),
    screenshotMaxWidth: Type.Integer({ minimum: 160, maximum: 7680, default: 1280 }),
    screenshotFormat: Type.Union([Type.Literal('jpeg'), Type.Literal('webp')], { default: 'jpeg' }),
    screenshotQuality: Type.Integer({ minimum: 1, maximum: 100, default: 60 }),
    privacyList: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
      maxItems: 500,
      default: [],
      description:
        'Case-insensitive substrings of app or window title that pause screenshots (e.g. payment pages)',
    }),
    deviceScanMs: Type.Integer({ minimum: 500, maximum: 60_000, default: 2000 }),
    outboxMaxBytes: Type.Integer({ minimum: 1024 * 1024, default: 256 * 1024 * 1024 }),
    retentionDays: Type.Integer({ minimum: 1, maximum: 3650, default: 60 }),
    masks: Type.Optional(
      Type.Object(
        {
          cardNumbers: Type.Boolean({
            default: true,
            description:
              'Mask numbers of 13 to 19 digits (spaces or dashes between) that pass the Luhn check',
          }),
          patterns: Type.Array(Type.String({ minLength: 1, maxLength: MASK_PATTERN_MAX_LENGTH }), {
            maxItems: MASK_PATTERNS_MAX,
            default: [],
            description:
              'RE2 regular expressions (no backreferences or lookarounds); each match is replaced by "[masked]"',
          }),
        },
        {
          additionalProperties: false,
          description:
            'What the agent masks in window titles and app names before they leave the seat; absent: card numbers only',
        },
      ),
    ),
    showWindowTitles: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          "Whether the dashboard's board shows each seat's window title (as the seat sent it); the agent does not use it",
      }),
    ),
  },
  // Open to new fields so a newer server does not break an older agent.
  { additionalProperties: true },
);
export type Policy = Static<typeof Policy>;

export const Notice = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    text: Type.String({ minLength: 1, maxLength: 20_000 }),
  },
  { additionalProperties: false },
);
export type Notice = Static<typeof Notice>;

export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  activitySampleMs: 1000,
  idleThresholdMs: 180_000,
  heartbeatMs: 15_000,
  screenshotsEnabled: true,
  screenshotIntervalMs: 300_000,
  screenshotJitter: 0.2,
  screenshotMaxWidth: 1280,
  screenshotFormat: 'jpeg',
  screenshotQuality: 60,
  privacyList: [],
  deviceScanMs: 2000,
  outboxMaxBytes: 256 * 1024 * 1024,
  retentionDays: 60,
  showWindowTitles: true,
});
