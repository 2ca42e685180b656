/**
 * Group commit. Connections submit verified, mapped frames; while a
 * transaction is writing, new frames queue up, and the next transaction
 * takes them all (up to maxFramesPerCommit) from every agent at once.
 *
 * A commit does not start for the first frame that arrives: it waits up to
 * commitDelayMs for company (or until maxFramesPerCommit frames wait). Each
 * statement has a fixed cost on both sides (the server builds and sends it,
 * PostgreSQL parses, plans and flushes its WAL to disk) that matters more
 * than the rows: with a commit started as soon as a slot was free, 2,500
 * agents (500 frames/s) made 290 commits of 1.7 frames a second and
 * PostgreSQL spent about 1.1 ms of CPU per frame. The wait is the same idea
 * as PostgreSQL's own commit_delay, and it adds at most commitDelayMs to an
 * ack. Up to
 * maxConcurrentCommits run at once: one commit's time is mostly PostgreSQL
 * writing rows, and a second one keeps both cores' worth of it busy; an
 * agent with a frame in flight is left out of the next group until that
 * commit ends, so its frames commit (and are acknowledged) in seq order.
 * Each submitter's promise settles only after the commit that stored its
 * frame, so acks follow commits.
 *
 * Admission control: when more than maxBacklog frames wait for a commit,
 * room() makes connections wait before they even verify their next frame,
 * until the backlog has halved. Without it, an overloaded process spends
 * its one thread verifying frames faster than it can commit them, commits
 * slow down further, memory grows and every ack becomes late; with it, the
 * unread frames stay in TCP buffers and on the agents (which keep them until
 * acknowledged) and the process keeps committing at its best rate.
 *
 * If a group fails, its frames are retried one per transaction, in order,
 * so that one bad frame costs only its own connection. A stream (one
 * connection) whose frame failed stores nothing more: acknowledging a later
 * seq would acknowledge the lost one too.
 */

import type { Db, Executor } from '../db/connect.js';
import { desktopSessionChanges } from '../domain/desktop-sessions.js';
import { agentProgress, type FrameRows, mergeSpans } from '../domain/ingest-mapping.js';
import type { SequenceGap } from '../domain/sequencing.js';
import type { GatewayAnomalies } from './anomaly-port.js';
import { recordDesktopSessions } from './desktop-sessions.repository.js';
import { storeIngestRows } from './ingest.repository.js';
import type { AgentSession, CommittedFrame } from './ingest-hub.js';

export interface FrameStream {
  readonly agent: AgentSession;
  /** Set when a frame of this stream failed to commit. */
  failed: boolean;
}

export interface PendingFrame {
  stream: FrameStream;
  kind: 'batch' | 'blob';
  seq: number;
  receivedAt: number;
  rows: FrameRows;
  gap: (SequenceGap & { announced: boolean }) | null;
  /** The envelope text exactly as received, when the seat is under legal hold (else null: not kept). */
  envelope: string | null;
}

/** A frame that was not stored (its stream failed earlier, or its own commit failed). */
export class FrameNotStoredError extends Error {
  constructor(seq: number, options?: ErrorOptions) {
    super(`frame ${seq} was not stored`, options);
    this.name = 'FrameNotStoredError';
  }
}

export interface GroupCommitterDeps {
  db: Db;
  /** Records a sequence gap as an anomaly, in the transaction that stores the frame. */
  anomalies: GatewayAnomalies;
  now: () => number;
  maxFramesPerCommit: number;
  /**
   * Commits in flight at once (each its own connection). Frames of one agent
   * are never in two at once, so each agent's frames still commit in order.
   */
  maxConcurrentCommits: number;
  /** Frames waiting for a commit before room() holds new ones back. */
  maxBacklog: number;
  /** How long the oldest waiting frame waits for others before a smaller group commits (0: never waits). */
  commitDelayMs: number;
  /** Called with the number of frames waiting whenever it changes (metrics). */
  observeQueue: (frames: number) => void;
  /** Called with each transaction's duration and size (metrics). */
  observeCommit: (seconds: number, frames: number, ok: boolean) => void;
  onGroupFailed: (error: unknown, frames: number) => void;
  /** Called once per transaction with what it stored, after the submitters' acks have gone out. */
  onCommitted: (frames: CommittedFrame[]) => void;
}

interface Waiting {
  frame: PendingFrame;
  /** performance.now() at submit: the delay is elapsed time, whatever the business clock (deps.now) says. */
  queuedAt: number;
  resolve: (committed: CommittedFrame) => void;
  reject: (error: Error) => void;
}

export class GroupCommitter {
  #queue: Waiting[] = [];
  #inFlight = 0;
  /**
   * Agents with frames in a commit in flight: their later frames wait for it, so each agent's
   * frames commit in order (and so an agent is in one commit at most).
   */
  #busy = new Set<string>();
  /** Callers of room() waiting for the backlog to halve, first come first served. */
  #held: Array<() => void> = [];
  #idleWaiters: Array<() => void> = [];
  /** Set while the commit delay runs for the oldest waiting frame. */
  #gatherTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: GroupCommitterDeps) {}

  submit(frame: PendingFrame): Promise<CommittedFrame> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ frame, queuedAt: performance.now(), resolve, reject });
      this.deps.observeQueue(this.#queue.length);
      this.#pump();
    });
  }

  /**
   * null when there is room for another frame now; otherwise a promise that
   * resolves once the backlog is down to half of maxBacklog.
   */
  room(): Promise<void> | null {
    if (this.#held.length === 0 && this.#queue.length < this.deps.maxBacklog) return null;
    return new Promise((resolve) => this.#held.push(resolve));
  }

  #release(): void {
    if (this.#held.length === 0 || this.#queue.length > this.deps.maxBacklog / 2) return;
    const held = this.#held;
    this.#held = [];
    for (const resolve of held) resolve();
  }

  /**
   * Resolves when everything submitted so far has been committed or refused. Whoever waits for
   * that (shutdown) waits for no commit delay: what is queued commits now.
   */
  idle(): Promise<void> {
    if (this.#inFlight === 0 && this.#queue.length === 0) return Promise.resolve();
    const idle = new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    this.#pump();
    return idle;
  }

  /**
   * Starts commits while fewer than maxConcurrentCommits are in flight and frames of idle agents
   * wait, once they have waited long enough (or are enough) to share a statement.
   */
  #pump(): void {
    while (this.#inFlight < this.deps.maxConcurrentCommits && this.#queue.length > 0) {
      if (!this.#gathered()) {
        this.#gatherLater();
        break;
      }
      const group = this.#take();
      if (group === null) break;
      if (group.length === 0) continue;
      this.#inFlight++;
      for (const waiting of group) this.#busy.add(waiting.frame.stream.agent.agentId);
      void this.#run(group).finally(() => {
        this.#inFlight--;
        for (const waiting of group) this.#busy.delete(waiting.frame.stream.agent.agentId);
        this.#pump();
      });
    }
    this.#release();
    if (this.#inFlight === 0 && this.#queue.length === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** A commit may start: enough frames wait, the oldest has waited commitDelayMs, or a shutdown waits. */
  #gathered(): boolean {
    if (this.#idleWaiters.length > 0 || this.#queue.length >= this.deps.maxFramesPerCommit) return true;
    return performance.now() - this.#queue[0]!.queuedAt >= this.deps.commitDelayMs;
  }

  #gatherLater(): void {
    if (this.#gatherTimer) return;
    const waited = performance.now() - this.#queue[0]!.queuedAt;
    this.#gatherTimer = setTimeout(
      () => {
        this.#gatherTimer = null;
        this.#pump();
      },
      Math.max(0, this.deps.commitDelayMs - waited),
    );
  }

  /**
   * The next group, in arrival order: up to maxFramesPerCommit frames of agents
   * with nothing in flight (frames of failed streams are refused on the way).
   * null when every waiting frame belongs to an agent with a commit in flight.
   */
  #take(): Waiting[] | null {
    const group: Waiting[] = [];
    const rest: Waiting[] = [];
    let refused = 0;
    for (const waiting of this.#queue) {
      if (
        group.length >= this.deps.maxFramesPerCommit ||
        this.#busy.has(waiting.frame.stream.agent.agentId)
      ) {
        rest.push(waiting);
      } else if (waiting.frame.stream.failed) {
        waiting.reject(new FrameNotStoredError(waiting.frame.seq));
        refused++;
      } else {
        group.push(waiting);
      }
    }
    this.#queue = rest;
    this.deps.observeQueue(rest.length);
    return group.length === 0 && refused === 0 ? null : group;
  }

  async #run(group: Waiting[]): Promise<void> {
    try {
      this.#settle(group, await this.#commit(group.map((w) => w.frame)));
    } catch (error) {
      this.deps.onGroupFailed(error, group.length);
      await this.#commitOneByOne(group);
    }
  }

  async #commitOneByOne(group: Waiting[]): Promise<void> {
    for (const waiting of group) {
      if (waiting.frame.stream.failed) {
        waiting.reject(new FrameNotStoredError(waiting.frame.seq));
        continue;
      }
      try {
        this.#settle([waiting], await this.#commit([waiting.frame]));
      } catch (error) {
        waiting.frame.stream.failed = true;
        waiting.reject(new FrameNotStoredError(waiting.frame.seq, { cause: error }));
      }
    }
  }

  #settle(group: Waiting[], committed: CommittedFrame[]): void {
    group.forEach((waiting, i) => {
      waiting.resolve(committed[i]!);
    });
    // The submitters send their acks in promise continuations; observers run after those.
    setImmediate(() => this.deps.onCommitted(committed));
  }

  async #commit(frames: PendingFrame[]): Promise<CommittedFrame[]> {
    const started = performance.now();
    try {
      // Rows alone are one statement (its own transaction); a sequence gap adds its anomaly, and a lifecycle
      // event its login records (desktop sessions, issue #14), which must commit with them.
      const committed = frames.some(
        (frame) => frame.gap || desktopSessionChanges(frame.rows.events).length > 0,
      )
        ? await this.deps.db.transaction((tx) => writeFrames(tx, frames, this.deps.now, this.deps.anomalies))
        : await writeFrames(this.deps.db, frames, this.deps.now, this.deps.anomalies);
      this.deps.observeCommit((performance.now() - started) / 1000, frames.length, true);
      return committed;
    } catch (error) {
      this.deps.observeCommit((performance.now() - started) / 1000, frames.length, false);
      throw error;
    }
  }
}

/** Stores the frames (in order) atomically and describes what was stored; `ex` is a transaction when frames carry gaps. */
async function writeFrames(
  ex: Executor,
  frames: PendingFrame[],
  now: () => number,
  anomalies: GatewayAnomalies,
): Promise<CommittedFrame[]> {
  const stored = await storeIngestRows(ex, {
    events: frames.flatMap((f) => f.rows.events),
    spans: mergeSpans(frames.flatMap((f) => f.rows.spans)),
    devices: frames.flatMap((f) => f.rows.devices),
    screenshots: frames.flatMap((f) => (f.rows.screenshot ? [f.rows.screenshot] : [])),
    commandResults: frames.flatMap((f) => f.rows.commandResults),
    progress: agentProgress(
      frames.map((frame) => ({
        agentId: frame.stream.agent.agentId,
        seq: frame.seq,
        receivedAt: frame.receivedAt,
        rows: frame.rows,
      })),
    ),
    signedFrames: frames.flatMap((f) =>
      f.envelope === null
        ? []
        : [
            {
              projectId: f.stream.agent.projectId,
              agentId: f.stream.agent.agentId,
              seatId: f.stream.agent.seatId,
              seq: f.seq,
              kind: f.kind,
              envelope: f.envelope,
              receivedAt: f.receivedAt,
            },
          ],
    ),
  });
  const eventIds = stored.events;
  const screenshotIds = stored.screenshots;
  for (const frame of frames) {
    // Only events this write stored: one stored by a racing connection of the agent told its sessions then.
    const fresh = frame.rows.events.filter((row) => eventIds.has(`${row.agentId}/${row.seq}/${row.idx}`));
    const sessions = desktopSessionChanges(fresh);
    if (sessions.length > 0) await recordDesktopSessions(ex, frame.stream.agent, sessions);
  }

  const committedAt = now();
  const committed: CommittedFrame[] = [];
  for (const frame of frames) {
    const agent = frame.stream.agent;
    let gap: CommittedFrame['gap'] = null;
    if (frame.gap) {
      // An announced loss (data_dropped) is still a gap, but not the unexplained one that suggests tampering.
      const raised = await anomalies.sequenceGap(
        ex,
        {
          projectId: agent.projectId,
          siteId: agent.siteId,
          teamId: agent.teamId,
          seatId: agent.seatId,
          agentId: agent.agentId,
          operator: agent.operator,
        },
        { at: frame.receivedAt, seq: frame.seq, ...frame.gap },
      );
      gap = { ...frame.gap, anomaly: raised };
    }
    const screenshot = frame.rows.screenshot;
    const screenshotId = screenshot ? screenshotIds.get(`${agent.agentId}/${frame.seq}`) : undefined;
    committed.push({
      agent,
      kind: frame.kind,
      seq: frame.seq,
      receivedAt: frame.receivedAt,
      committedAt,
      events: frame.rows.events.flatMap((row) => {
        const id = eventIds.get(`${row.agentId}/${row.seq}/${row.idx}`);
        // Absent when the row was already stored (by another connection of the agent racing this one).
        return id === undefined
          ? []
          : [
              {
                id,
                seq: row.seq,
                idx: row.idx,
                type: row.type,
                time: row.time,
                body: row.body,
                osUser: row.osUser,
              },
            ];
      }),
      screenshot: screenshot && screenshotId !== undefined ? { ...screenshot, id: screenshotId } : null,
      spans: frame.rows.spans,
      devices: frame.rows.devices,
      state: frame.rows.state,
      gap,
    });
  }
  return committed;
}
