/**
 * Writes what the rules returned for one agent: occurrences of the same
 * rule and key inside one evaluation become one write, plain occurrences
 * go with those of other agents in one statement (the occurrence batcher),
 * and an occurrence that may reopen a row the server closed a moment ago
 * gets a transaction of its own.
 */
import type { Db } from '../../db/connect.js';
import type { AnomalyCandidate, EvidenceRef } from '../../domain/rules/anomaly.js';
import type { AnomalyContext } from '../../ingest/anomaly-port.js';
import type { AnomalyRecorder } from './anomaly-recorder.js';
import { createOccurrenceBatcher } from './occurrence-batcher.js';

export interface AnomalyRaiser {
  /** With reopenWithinMs, a row the server resolved itself that recently is opened again instead of a new one. */
  raise(
    context: AnomalyContext,
    candidates: readonly AnomalyCandidate[],
    reopenWithinMs?: number,
  ): Promise<void>;
}

/** Well under PostgreSQL's 65,535 parameters (14 per occurrence), and a statement that stays short. */
const MAX_OCCURRENCES_PER_STATEMENT = 1000;

/** Occurrences of the same rule and key inside one evaluation become one write. */
const MAX_REFS_PER_WRITE = 10;

export function coalesce(
  candidates: readonly AnomalyCandidate[],
): { candidate: AnomalyCandidate; count: number; firstAt: number }[] {
  const groups = new Map<
    string,
    { candidate: AnomalyCandidate; count: number; firstAt: number; evidence: EvidenceRef[] }
  >();
  for (const c of candidates) {
    const id = `${c.rule}\u0000${c.key}`;
    const group = groups.get(id);
    if (!group) {
      groups.set(id, { candidate: c, count: 1, firstAt: c.at, evidence: [...c.evidence] });
      continue;
    }
    group.count++;
    if (group.evidence.length < MAX_REFS_PER_WRITE)
      group.evidence.push(...c.evidence.slice(0, MAX_REFS_PER_WRITE - group.evidence.length));
    if (c.at > group.candidate.at) group.candidate = { ...group.candidate, at: c.at };
    group.firstAt = Math.min(group.firstAt, c.at);
  }
  return [...groups.values()].map((g) => ({
    candidate: { ...g.candidate, evidence: g.evidence },
    count: g.count,
    firstAt: g.firstAt,
  }));
}

export function createAnomalyRaiser(deps: { db: Db; recorder: AnomalyRecorder }): AnomalyRaiser {
  const { db, recorder } = deps;
  const batcher = createOccurrenceBatcher({ db, recorder, maxPerStatement: MAX_OCCURRENCES_PER_STATEMENT });
  return {
    async raise(context, candidates, reopenWithinMs) {
      const groups = coalesce(candidates);
      if (reopenWithinMs === undefined) {
        const raised = await batcher.record(
          groups.map(({ candidate, count, firstAt }) => ({ context, candidate, count, firstAt })),
        );
        for (const r of raised) if (r) recorder.announce(r);
        return;
      }
      for (const { candidate, count } of groups) {
        // A possible reopen is two statements, so it gets a transaction of its own.
        const raised = await db.transaction((tx) =>
          recorder.record(tx, context, candidate, { count, reopenWithinMs }),
        );
        if (raised) recorder.announce(raised);
      }
    },
  };
}
