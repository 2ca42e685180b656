/**
 * Project policies as people change them (issue #11): no policy keeps data
 * for fewer days than the installation's minimum retention, whoever asks,
 * and every change of a retention period is in the audit log with its old
 * and new value, refusals included, so nobody shortens retention quietly.
 * The minimum is configuration (retention.minimumDays): lowering it is the
 * operator's decision, taken outside the API.
 */
import { DEFAULT_POLICY, type Policy, SeatwatchError } from '@seatwatch/shared';
import { compileMaskPattern } from '@seatwatch/shared/mask-patterns';
import { recordAudit } from '../audit/audit-log.js';
import type { Db, Executor } from '../db/connect.js';
import {
  createProject,
  type EffectivePolicy,
  effectivePolicy,
  type ProjectRow,
  policyRetentions,
  putPolicy,
  raisePolicyRetention,
} from './tenancy.repository.js';

export interface PolicyServiceDeps {
  db: Db;
  /** config.retention.minimumDays */
  minimumRetentionDays: number;
  now: () => number;
}

/** Who changes a policy, as the audit log names them. */
export interface PolicyActor {
  actor: string;
  actorId: string | null;
  ip: string | null;
}

export interface RaisedRetention {
  projectId: string;
  siteId: string | null;
  from: number;
  to: number;
}

export interface PolicyService {
  createProject(
    input: { name: string; retentionDays?: number | undefined; noticeText?: string | undefined },
    who: PolicyActor,
  ): Promise<ProjectRow>;
  putPolicy(
    input: { projectId: string; siteId: string | null; policy: Policy; noticeText: string },
    who: PolicyActor,
  ): Promise<EffectivePolicy>;
  /** Raises every stored policy below the minimum to it, each change audited as the system's (at start). */
  raiseRetentionsToMinimum(): Promise<RaisedRetention[]>;
}

const RETENTION_ACTION = 'policy.retention';

export function createPolicyService(deps: PolicyServiceDeps): PolicyService {
  const minimum = deps.minimumRetentionDays;

  const record = (
    ex: Executor,
    who: PolicyActor,
    change: { projectId: string; siteId: string | null; from: number | null; to: number },
    outcome: 'success' | 'refused' = 'success',
    reason: string | null = null,
  ) =>
    recordAudit(
      ex,
      {
        ...who,
        action: RETENTION_ACTION,
        outcome,
        projectId: change.projectId,
        target: {
          kind: change.siteId ? 'site-policy' : 'project-policy',
          id: change.siteId ?? change.projectId,
        },
        reason,
        details: { siteId: change.siteId, from: change.from, to: change.to, minimumDays: minimum },
      },
      deps.now(),
    );

  /** Refuses a retention below the minimum, after recording the attempt (outside any transaction, so it stays). */
  async function requireMinimum(
    who: PolicyActor,
    change: { projectId: string | null; siteId: string | null; from: number | null; to: number },
  ): Promise<void> {
    if (change.to >= minimum) return;
    if (change.projectId !== null) {
      await record(deps.db, who, { ...change, projectId: change.projectId }, 'refused');
    }
    throw new SeatwatchError(
      'retention_below_minimum',
      `${change.to} days asked, this installation keeps data at least ${minimum} days (retention.minimumDays)`,
    );
  }

  return {
    async createProject(input, who) {
      // A project without a retention of its own gets the default, or the minimum when that is longer.
      const retentionDays = input.retentionDays ?? Math.max(DEFAULT_POLICY.retentionDays, minimum);
      await requireMinimum(who, { projectId: null, siteId: null, from: null, to: retentionDays });
      return deps.db.transaction(async (tx) => {
        const project = await createProject(tx, {
          name: input.name,
          policy: { retentionDays },
          ...(input.noticeText === undefined ? {} : { noticeText: input.noticeText }),
        });
        await record(tx, who, { projectId: project.id, siteId: null, from: null, to: retentionDays });
        return project;
      });
    },

    async putPolicy(input, who) {
      // Every seat of the project compiles these; refuse what none of them could use (the schema bounds their size).
      const unusable = (input.policy.masks?.patterns ?? []).flatMap((pattern, index) => {
        const compiled = compileMaskPattern(pattern);
        return compiled.ok ? [] : [`pattern ${index + 1}: ${compiled.reason}`];
      });
      if (unusable.length > 0) throw new SeatwatchError('mask_pattern_invalid', unusable.join('; '));
      const scope = { projectId: input.projectId, siteId: input.siteId };
      const to = input.policy.retentionDays;
      const before = await effectivePolicy(deps.db, input.projectId, input.siteId);
      await requireMinimum(who, { ...scope, from: before.policy.retentionDays, to });
      return deps.db.transaction(async (tx) => {
        // Read again inside the transaction: the value recorded as "from" is the one this write replaces.
        const current = await effectivePolicy(tx, input.projectId, input.siteId);
        const result = await putPolicy(tx, input);
        if (current.policy.retentionDays !== to) {
          await record(tx, who, { ...scope, from: current.policy.retentionDays, to });
        }
        return result;
      });
    },

    async raiseRetentionsToMinimum() {
      const raised: RaisedRetention[] = [];
      const system: PolicyActor = { actor: 'system', actorId: null, ip: null };
      for (const stored of await policyRetentions(deps.db)) {
        if (stored.retentionDays >= minimum) continue;
        const scope = { projectId: stored.projectId, siteId: stored.siteId };
        const from = await deps.db.transaction(async (tx) => {
          const previous = await raisePolicyRetention(tx, scope, minimum);
          // Gone, or raised by another process starting at the same time: nothing to record here.
          if (previous === null) return null;
          await record(
            tx,
            system,
            { ...scope, from: previous, to: minimum },
            'success',
            `raised to the installation's minimum retention (retention.minimumDays = ${minimum})`,
          );
          return previous;
        });
        if (from !== null) raised.push({ ...scope, from, to: minimum });
      }
      return raised;
    },
  };
}
