/**
 * Every look at a seat's data and every refused request is recorded, folded
 * so that nobody can flood the audit log (issue #11):
 *
 *   - a bucket is (who, action, route, project, seat, whose data, minute),
 *     or for the board (who, dashboard session, project);
 *   - the bucket's first request writes its audit entry at once, in the
 *     transaction that counts it, before the answer leaves (count 1);
 *   - later requests of the bucket only count up in access_records;
 *   - when the minute is over, flush() writes one more audit entry per
 *     bucket with the count not reported yet. A board session's later
 *     refreshes are counted but never reported again: one entry per session.
 *
 * So the audit log gets at most two entries per bucket, whatever the rate,
 * and the counts of a bucket's entries add up to its requests. A refusal's
 * bucket keys only on values the server decides (user, route pattern,
 * minute), never on what the caller sends, so varying the URL or the body
 * cannot make more buckets.
 */
import { recordAudit } from '../audit/audit-log.js';
import type { RequestActor } from '../audit/request-actor.js';
import type { Db, Executor } from '../db/connect.js';
import {
  type AccessKind,
  type AccessRecordRow,
  closedBuckets,
  foldRequest,
  markReported,
  operatorLooks,
  pruneBuckets,
  screenshotOperator,
  seatOperators,
} from './access-records.repository.js';

const MINUTE_MS = 60_000;
const FLUSH_BATCH = 200;
/**
 * A reported bucket stays this long after its minute (a request that
 * arrives late still counts into it), a board session's as long as a
 * dashboard session can live; then only the audit log holds them.
 */
const KEEP_REPORTED_MS = 10 * MINUTE_MS;
const KEEP_SESSION_MS = 24 * 60 * MINUTE_MS;

export interface AccessRecorderDeps {
  db: Db;
  now: () => number;
}

/** A look at data: who, what (action, route), about which seat and whose data, and why. */
export interface ReadRecord {
  who: RequestActor;
  /** e.g. 'seat.read', 'screenshot.thumbnail', 'board.view', 'audit.read'. */
  action: string;
  /** Method and route pattern, e.g. 'GET /api/v1/seats/:seatId'. */
  route: string;
  projectId: string | null;
  seatId: string | null;
  /** The OS accounts (lower case) whose data the look showed; null when not about one seat's data. */
  accounts: readonly string[] | null;
  /**
   * What tells this look's bucket from others of the route in the same
   * minute, when it is not the accounts: the case read, the set of seats a
   * view covered. Default: the accounts.
   */
  subject?: string;
  /** Fold per dashboard session (the board) instead of per minute. */
  session?: string | null;
  reason?: string | null;
  caseId?: string | null;
  target?: { kind: string; id: string } | null;
  details?: Record<string, unknown>;
}

/** A refused request (401, 403, 429) of a route. */
export interface RefusalRecord {
  who: RequestActor;
  route: string;
  status: number;
  /** The refused request's parameters (kept from the bucket's first request only). */
  params: Record<string, unknown>;
}

export type AccessRecorder = ReturnType<typeof createAccessRecorder>;

function minuteBucket(at: number): { bucket: string; bucketEnd: Date } {
  const start = Math.floor(at / MINUTE_MS) * MINUTE_MS;
  return { bucket: `m:${new Date(start).toISOString()}`, bucketEnd: new Date(start + MINUTE_MS) };
}

/** The audit entry a bucket reports `count` requests with. */
function bucketEntry(row: AccessRecordRow, count: number, closing: boolean) {
  return {
    actor: row.actor,
    actorId: row.actorId,
    action: row.action,
    outcome: row.kind === 'refusal' ? ('refused' as const) : ('success' as const),
    projectId: row.projectId,
    seatId: row.seatId,
    caseId: row.caseId,
    reason: row.reason,
    ip: row.ip,
    details: {
      ...row.details,
      route: row.route,
      count,
      ...(closing
        ? { bucket: row.bucket, firstAt: row.firstAt.getTime(), lastAt: row.lastAt.getTime() }
        : {}),
    },
  };
}

export function createAccessRecorder(deps: AccessRecorderDeps) {
  const { db } = deps;

  const fold = async (
    kind: AccessKind,
    input: Omit<
      AccessRecordRow,
      'id' | 'kind' | 'count' | 'reported' | 'lastAt' | 'firstAt' | 'bucket' | 'bucketEnd'
    >,
    target: { kind: string; id: string } | null,
    session: string | null,
  ): Promise<void> => {
    const at = deps.now();
    const bucket = session ? { bucket: `s:${session}`, bucketEnd: null } : minuteBucket(at);
    await db.transaction(async (tx) => {
      const row = await foldRequest(tx, { kind, ...input, ...bucket, firstAt: new Date(at) });
      if (row.count !== 1) return;
      await recordAudit(tx, { ...bucketEntry(row, 1, false), target }, at);
    });
  };

  return {
    /** Records a look at data; the first of its bucket reaches the audit log before this resolves. */
    read(record: ReadRecord): Promise<void> {
      const accounts = record.accounts === null ? null : [...new Set(record.accounts)].sort();
      return fold(
        'read',
        {
          actor: record.who.actor,
          actorId: record.who.actorId,
          action: record.action,
          route: record.route,
          projectId: record.projectId,
          seatId: record.seatId,
          subject: record.subject ?? (accounts === null ? null : accounts.join('\n')),
          reason: record.reason ?? null,
          caseId: record.caseId ?? null,
          ip: record.who.ip,
          details: { ...record.details, ...(accounts === null ? {} : { accounts }) },
        },
        record.target ?? null,
        record.session ?? null,
      );
    },

    /** Records a refused request, folded per (who, route, minute). */
    refusal(record: RefusalRecord): Promise<void> {
      return fold(
        'refusal',
        {
          actor: record.who.actor,
          actorId: record.who.actorId,
          action: 'access.refused',
          route: record.route,
          // Never a key from the URL: each made-up project id would make a bucket of its own.
          projectId: null,
          seatId: null,
          subject: null,
          reason: null,
          caseId: null,
          ip: record.who.ip,
          details: { status: record.status, params: record.params },
        },
        null,
        null,
      );
    },

    /**
     * Reports the counts of every bucket whose minute is over: one audit
     * entry each, in the transaction that marks them reported (several
     * processes never report one twice); then forgets the buckets the audit
     * log holds in full. Returns how many it reported.
     */
    async flush(): Promise<number> {
      let reported = 0;
      const at = deps.now();
      await pruneBuckets(db, new Date(at - KEEP_REPORTED_MS), new Date(at - KEEP_SESSION_MS));
      for (;;) {
        const batch = await db.transaction(async (tx) => {
          const rows = await closedBuckets(tx, new Date(deps.now()), FLUSH_BATCH);
          for (const row of rows) {
            await recordAudit(tx, bucketEntry(row, row.count - row.reported, true), deps.now());
            await markReported(tx, row.id, row.count);
          }
          return rows.length;
        });
        reported += batch;
        if (batch < FLUSH_BATCH) return reported;
      }
    },

    /** Whose data (lower-case OS accounts) a screenshot is. */
    async screenshotAccounts(ex: Executor, screenshotId: number): Promise<string[]> {
      const operator = await screenshotOperator(ex, screenshotId);
      return operator === null ? [] : [operator];
    },

    /** Whose data a read of one seat over [from, to) may show. */
    seatAccounts: (ex: Executor, seatId: string, from: number, to: number) =>
      seatOperators(ex, seatId, from, to),

    /** The looks at one operator's data at a seat (the self-view), newest first. */
    operatorLooks: (ex: Executor, looks: Parameters<typeof operatorLooks>[1]) => operatorLooks(ex, looks),
  };
}

/** Flushes every `intervalMs` (unref'd: it never keeps the process alive); stop() ends it. */
export function scheduleAccessFlush(
  recorder: Pick<AccessRecorder, 'flush'>,
  intervalMs: number,
  onError: (error: unknown) => void,
): { stop(): Promise<void> } {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = recorder
      .flush()
      .catch(onError)
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
