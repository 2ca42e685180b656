/**
 * Protocol v1 sequencing. `highest` is the highest seq this connection has
 * accepted (stored, or queued for the commit that will store it); it starts
 * at the welcome's ackedSeq.
 */
export interface SequenceGap {
  /** First missing seq. */
  fromSeq: number;
  /** Last missing seq. */
  toSeq: number;
}

export type FrameDecision =
  /** seq <= highest: acknowledged again, stored again never. */
  | { kind: 'resend' }
  /** seq == highest + 1, or beyond it with the gap to record as an anomaly. */
  | { kind: 'store'; gap: SequenceGap | null };

export function decideFrame(seq: number, highest: number): FrameDecision {
  if (seq <= highest) return { kind: 'resend' };
  if (seq === highest + 1) return { kind: 'store', gap: null };
  return { kind: 'store', gap: { fromSeq: highest + 1, toSeq: seq - 1 } };
}

/**
 * Whether an agent said it dropped the missing frames before the gap
 * (a `data_dropped` event covering them), which makes the gap an announced
 * loss instead of unexplained tampering.
 */
export function isGapAnnounced(
  gap: SequenceGap,
  announcements: ReadonlyArray<{ fromSeq: number; toSeq: number }>,
): boolean {
  let next = gap.fromSeq;
  const sorted = [...announcements].sort((a, b) => a.fromSeq - b.fromSeq);
  for (const drop of sorted) {
    if (drop.fromSeq > next) break;
    if (drop.toSeq >= next) next = drop.toSeq + 1;
    if (next > gap.toSeq) return true;
  }
  return false;
}
