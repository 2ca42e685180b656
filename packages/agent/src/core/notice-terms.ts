/**
 * Which parts of the policy the monitoring notice describes: what is
 * collected and how often. A policy change that moves any of them changes
 * what the operator agreed to, so the notice is shown again (and a new
 * notice_ack sent) before collection goes on (issue #12). Fields that do not
 * change what is collected (heartbeat, outbox size, image format and
 * quality) are left out, so tuning them does not interrupt the seat.
 */
import type { Notice, Policy } from '@seatwatch/shared';

export interface CollectionTerms {
  readonly activitySampleMs: number;
  readonly idleThresholdMs: number;
  readonly screenshotsEnabled: boolean;
  /** The screenshot terms; null when screenshots are off (then they describe nothing). */
  readonly screenshots: {
    readonly intervalMs: number;
    readonly jitter: number;
    readonly maxWidth: number;
    readonly privacyList: readonly string[];
  } | null;
  readonly deviceScanMs: number;
  readonly retentionDays: number;
  /**
   * What titles and app names are masked with, as one comparable string (a
   * project that stops masking sends more than the operator was told).
   * Absent in terms kept before masking existed: those count as changed.
   */
  readonly masks?: string;
}

export function collectionTerms(policy: Readonly<Policy>): CollectionTerms {
  return {
    activitySampleMs: policy.activitySampleMs,
    idleThresholdMs: policy.idleThresholdMs,
    screenshotsEnabled: policy.screenshotsEnabled,
    screenshots: policy.screenshotsEnabled
      ? {
          intervalMs: policy.screenshotIntervalMs,
          jitter: policy.screenshotJitter,
          maxWidth: policy.screenshotMaxWidth,
          // Order and case do not change what is paused (matching is case-insensitive).
          privacyList: [...new Set(policy.privacyList.map((p) => p.toLowerCase()))].sort(),
        }
      : null,
    deviceScanMs: policy.deviceScanMs,
    retentionDays: policy.retentionDays,
    masks: JSON.stringify({
      cardNumbers: policy.masks?.cardNumbers ?? true,
      patterns: policy.masks?.patterns ?? [],
    }),
  };
}

/** The terms that differ between what was shown and the policy now; empty when the same. */
export function changedTerms(shown: CollectionTerms, now: CollectionTerms): string[] {
  const changed: string[] = [];
  for (const key of Object.keys(now) as (keyof CollectionTerms)[]) {
    if (key === 'screenshots') {
      const a = shown.screenshots;
      const b = now.screenshots;
      if (a === null || b === null) continue; // covered by screenshotsEnabled
      if (a.intervalMs !== b.intervalMs) changed.push('screenshotIntervalMs');
      if (a.jitter !== b.jitter) changed.push('screenshotJitter');
      if (a.maxWidth !== b.maxWidth) changed.push('screenshotMaxWidth');
      if (a.privacyList.join('\n') !== b.privacyList.join('\n')) changed.push('privacyList');
    } else if (shown[key] !== now[key]) {
      changed.push(key);
    }
  }
  return changed;
}

export interface ShownNotice {
  readonly version: number;
  /** The terms shown with it; undefined for a notice recorded before terms were kept (shown again). */
  readonly terms?: CollectionTerms | undefined;
}

/** Whether the operator must be shown the notice (again) before anything is collected under `policy`. */
export function noticeNeeded(shown: ShownNotice | null, notice: Notice, policy: Readonly<Policy>): boolean {
  if (shown === null || shown.version !== notice.version || shown.terms === undefined) return true;
  return changedTerms(shown.terms, collectionTerms(policy)).length > 0;
}
