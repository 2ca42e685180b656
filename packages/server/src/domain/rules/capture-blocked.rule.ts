/**
 * capture_blocked: screenshots keep failing or coming back blank (a
 * blocked or blacked-out screen). Counted per monitor: `threshold` blocked
 * attempts in a row raise the anomaly, each further one adds to it, and a
 * good capture starts the count again. A capture paused by the privacy list
 * neither counts nor resets.
 */
import Type from 'typebox';
import { type AnomalyCandidate, type EvidenceRef, eventRef, type ObservedEvent } from './anomaly.js';
import { defineRule } from './rule-definition.js';

export const captureBlockedRule = defineRule({
  id: 'capture_blocked',
  severity: 'medium',
  enabled: true,
  summary: 'Screenshots repeatedly failed or came back blank',
  config: Type.Object(
    {
      threshold: Type.Integer({ minimum: 2, maximum: 1000, description: 'Blocked attempts in a row' }),
      outcomes: Type.Array(Type.Union([Type.Literal('failed'), Type.Literal('unavailable')]), {
        maxItems: 2,
        description: 'Capture outcomes that count as blocked',
      }),
      includeBlank: Type.Boolean({ description: 'Count a captured image with no content (one flat colour)' }),
    },
    { additionalProperties: false },
  ),
  defaults: { threshold: 3, outcomes: ['failed', 'unavailable'], includeBlank: true },
  on: {
    event: (facts, config, streaks: CaptureStreaks | undefined) => {
      if (facts.observed.event.type !== 'capture') return { candidates: [] };
      const step = stepCaptureBlocked(
        streaks ?? {},
        { observed: facts.observed, blank: facts.blank },
        config,
      );
      return { candidates: step.candidate ? [step.candidate] : [], state: step.streaks };
    },
  },
  inspectsScreenshots: (config) => config.includeBlank,
});

export interface CaptureBlockedSettings {
  readonly threshold: number;
  readonly outcomes: readonly string[];
  readonly includeBlank: boolean;
}

/** Per monitor: blocked attempts since the last good one (the first few kept as evidence). */
export type CaptureStreaks = Readonly<
  Record<number, { readonly count: number; readonly refs: readonly EvidenceRef[] }>
>;

export interface CaptureAttempt {
  readonly observed: ObservedEvent;
  /** Whether the stored image was found to be blank; null when not known (no image, or not checked). */
  readonly blank: boolean | null;
}

export function stepCaptureBlocked(
  streaks: CaptureStreaks,
  attempt: CaptureAttempt,
  config: CaptureBlockedSettings,
): { streaks: CaptureStreaks; candidate: AnomalyCandidate | null } {
  const { event } = attempt.observed;
  if (event.type !== 'capture' || event.outcome === 'paused') return { streaks, candidate: null };
  const blocked =
    config.outcomes.includes(event.outcome) ||
    (event.outcome === 'captured' && config.includeBlank && attempt.blank === true);
  if (!blocked) {
    if (!(event.monitor in streaks)) return { streaks, candidate: null };
    const { [event.monitor]: _reset, ...rest } = streaks;
    return { streaks: rest, candidate: null };
  }
  const previous = streaks[event.monitor] ?? { count: 0, refs: [] };
  const ref = eventRef(attempt.observed, {
    outcome: event.outcome,
    reason: event.reason,
    monitor: event.monitor,
    ...(attempt.blank === true ? { blank: true } : {}),
  });
  const count = previous.count + 1;
  // Until the threshold the attempts are remembered; the one that reaches it carries them all as evidence.
  const refs = [...previous.refs, ref];
  if (count < config.threshold) {
    return { streaks: { ...streaks, [event.monitor]: { count, refs } }, candidate: null };
  }
  return {
    streaks: { ...streaks, [event.monitor]: { count, refs: [] } },
    candidate: { rule: 'capture_blocked', key: `monitor:${event.monitor}`, at: event.time, evidence: refs },
  };
}
