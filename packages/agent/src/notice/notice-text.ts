/**
 * The monitoring notice as the operator sees it: the project's own text
 * (what, who can see it, how long it is kept, whom to ask) followed by what
 * this agent actually collects under the current policy, and where to look.
 */
import type { Notice, Policy } from '@seatwatch/shared';
import { createMasker } from '../core/masking.js';

export function describeCollection(policy: Policy): string[] {
  const minutes = (ms: number) =>
    ms >= 60_000 ? `${Math.round(ms / 6000) / 10} min` : `${Math.round(ms / 1000)} s`;
  const lines = [
    `The foreground application and window title, sampled every ${minutes(policy.activitySampleMs)} (no keystrokes, no typed text). ${createMasker(policy.masks).description}`,
    `Whether the seat is active, idle (no input for ${minutes(policy.idleThresholdMs)}) or locked.`,
  ];
  if (policy.screenshotsEnabled) {
    const privacy =
      policy.privacyList.length > 0
        ? ` Paused while the foreground window matches: ${policy.privacyList.map((p) => `"${p}"`).join(', ')}.`
        : '';
    lines.push(
      `Screenshots of every monitor about every ${minutes(policy.screenshotIntervalMs)} (±${Math.round(policy.screenshotJitter * 100)}%) and when a supervisor asks for one, scaled to ${policy.screenshotMaxWidth} px wide; skipped when the screen has not changed.${privacy}`,
    );
  } else {
    lines.push('No screenshots (turned off by the policy).');
  }
  lines.push(
    `USB devices and removable storage being attached or removed (checked every ${minutes(policy.deviceScanMs)}).`,
  );
  lines.push('The computer name, your OS user name, local IP addresses and default gateway.');
  // Retention drops whole UTC days (the server's daily partitions), so a record goes within the day after.
  lines.push(
    `Kept on the server for ${policy.retentionDays} days, then deleted within the following day (unless under legal hold).`,
  );
  return lines;
}

export function fullNoticeText(notice: Notice, policy: Policy, pageUrl: string | null): string {
  const parts = [
    `SEATWATCH MONITORING NOTICE (version ${notice.version})`,
    '',
    notice.text.trim(),
    '',
    'What the Seatwatch agent on this computer collects:',
    ...describeCollection(policy).map((line) => `  - ${line}`),
    '',
    pageUrl
      ? `See what is collected, when, and the last screenshot taken at ${pageUrl} (this computer only).`
      : 'Run "seatwatch-agent status" to see what is collected now.',
    'The agent runs visibly; it never hides. Nothing is captured before this notice has been shown.',
  ];
  return parts.join('\n');
}
