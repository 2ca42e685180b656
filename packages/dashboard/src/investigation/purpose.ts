/** The purpose a look needs (a reason, or a case), as the forms hold it. */
import type { Purpose } from '@seatwatch/shared/dashboard-api';

export interface PurposeInput {
  reason: string;
  caseId: string;
}

export function purposeOf(input: PurposeInput): Purpose | null {
  if (input.caseId) return { caseId: input.caseId };
  const reason = input.reason.trim();
  return reason.length >= 5 ? { reason } : null;
}

/** `datetime-local` value (the viewer's time zone) <-> epoch ms. */
export function toLocalInput(ms: number): string {
  const date = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return date.toISOString().slice(0, 16);
}

export function fromLocalInput(value: string): number {
  return new Date(value).getTime();
}
