/**
 * The rules engine: an observer of ingest (committed frames, connections,
 * logins, refusals) plus a timer for what did not happen (silence, long
 * idle, a close without a stop, agents that did not come back after a
 * restart). It feeds the pure rules in domain/rules and writes what they
 * return through the recorder.
 *
 * State per agent lives here only while this process holds the agent's
 * connection (the agent is connected to one process at a time); everything
 * that must survive is in the database (anomalies, the agent's state and
 * last-seen time). Work for one agent runs in order; agents run side by
 * side. Nothing here delays an ack: the hub calls observers after them.
 */

import { and, eq, gte, isNotNull, ne, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { type Db, queryRows } from '../../db/connect.js';
import { agents } from '../../db/schema/index.js';
import { detectConnectionLost, detectNotBack, detectSilence } from '../../domain/rules/agent-silent.rule.js';
import { detectAgentStopped } from '../../domain/rules/agent-stopped.rule.js';
import type { AnomalyCandidate, EvidenceRef, ObservedEvent, SeatState } from '../../domain/rules/anomaly.js';
import { type CaptureStreaks, stepCaptureBlocked } from '../../domain/rules/capture-blocked.rule.js';
import { detectClockSkew } from '../../domain/rules/clock-skew.rule.js';
import { detectConcurrentLogin, type OtherSeat } from '../../domain/rules/concurrent-login.rule.js';
import { detectIpChanged } from '../../domain/rules/ip-changed.rule.js';
import { checkLongIdle, type IdlePeriod, stepLongIdle } from '../../domain/rules/long-idle.rule.js';
import { detectOffHours } from '../../domain/rules/off-hours.rule.js';
import { detectProhibitedApp } from '../../domain/rules/prohibited-app.rule.js';
import type { RuleSettings } from '../../domain/rules/rule-catalog.js';
import { detectTamper } from '../../domain/rules/tamper.rule.js';
import { detectUnknownDevice } from '../../domain/rules/unknown-device.rule.js';
import { detectUsbStorage } from '../../domain/rules/usb-storage.rule.js';
import type { AnomalyContext } from '../../ingest/anomaly-port.js';
import type {
  AgentSession,
  CommittedFrame,
  FrameRefusal,
  IngestHub,
  LoginAttempt,
  SessionClose,
} from '../../ingest/ingest-hub.js';
import type { NotificationPort } from '../../notifications/notification-port.js';
import { announceStatus, resolveBySystem } from '../anomaly-status.js';
import type { AnomalyRecorder } from './anomaly-recorder.js';
import { createOccurrenceBatcher } from './occurrence-batcher.js';
import type { Scheduler } from './scheduler.js';
import type { BlankDetector } from './screenshot-blankness.sharp.js';
import type { AnomalySettings } from './settings-cache.js';

export interface AnomalyEngineOptions {
  /** How often the timer rules run (0: only when tick() is called, as tests do). */
  tickMs: number;
  /** A close without a stop event waits this long for the stop event still in flight before it counts as a kill. */
  closeGraceMs: number;
  /** An agent that goes silent again this soon after its return reopens the same anomaly (one incident, not a storm). */
  flapWindowMs: number;
  /** After this process starts, agents get this long to reconnect before the ones that do not are flagged. */
  restartGraceMs: number;
  /** Agents seen this long before the start are the ones expected back. */
  restartLookbackMs: number;
}

export const DEFAULT_ENGINE_OPTIONS: Readonly<AnomalyEngineOptions> = Object.freeze({
  tickMs: 5000,
  closeGraceMs: 3000,
  flapWindowMs: 15 * 60_000,
  restartGraceMs: 2 * 60_000,
  restartLookbackMs: 10 * 60_000,
});

export interface AnomalyEngineDeps {
  db: Db;
  hub: IngestHub;
  recorder: AnomalyRecorder;
  settings: AnomalySettings;
  notifications: NotificationPort;
  scheduler: Scheduler;
  logger: FastifyBaseLogger;
  /** The policy heartbeat that applies to an agent (project or site policy). */
  heartbeatMs: (projectId: string, siteId: string | null) => Promise<number>;
  isBlank: BlankDetector;
  options: AnomalyEngineOptions;
}

export interface AnomalyEngine {
  /** Runs the timer rules now (the scheduler does this every tickMs). */
  tick(): Promise<void>;
  /** Resolves when everything observed so far has been evaluated and written. */
  idle(): Promise<void>;
  stop(): void;
}

/** What the engine knows about an agent while this process holds its connection. */
interface LiveAgent {
  readonly session: AgentSession;
  loginId: number | null;
  lastFrameAt: number;
  seatState: SeatState | null;
  heartbeatMs: number;
  /** The lifecycle "stopping" event of this session, if one arrived. */
  stopping: ObservedEvent | null;
  silentRaised: boolean;
  idle: IdlePeriod | null;
  captures: CaptureStreaks;
}

const SILENT_RULES = ['agent_silent', 'agent_stopped'] as const;

function contextOf(session: AgentSession): AnomalyContext {
  return {
    projectId: session.projectId,
    siteId: session.siteId,
    teamId: session.teamId,
    seatId: session.seatId,
    agentId: session.agentId,
    operator: session.operator,
  };
}

/** Well under PostgreSQL's 65,535 parameters (14 per occurrence), and a statement that stays short. */
const MAX_OCCURRENCES_PER_STATEMENT = 1000;

/** Occurrences of the same rule and key inside one evaluation become one write. */
const MAX_REFS_PER_WRITE = 10;

function coalesce(
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

export function createAnomalyEngine(deps: AnomalyEngineDeps): AnomalyEngine {
  const { db, scheduler, logger, options } = deps;
  const startedAt = scheduler.now();
  const live = new Map<string, LiveAgent>();
  /** Connections that closed and wait for closeGraceMs, by session. */
  const closing = new Map<string, { agent: LiveAgent; decide: () => void; cancel: () => void }>();
  const chains = new Map<string, Promise<void>>();
  let pending = 0;
  let idleWaiters: (() => void)[] = [];
  let restartSwept = false;
  let stopped = false;

  const onError = (error: unknown) => logger.error({ err: error }, 'anomaly engine failed');
  const batcher = createOccurrenceBatcher({
    db,
    recorder: deps.recorder,
    maxPerStatement: MAX_OCCURRENCES_PER_STATEMENT,
  });

  /** Queues work for one agent behind its earlier work; resolves when it is done (never rejects). */
  function run(agentId: string, task: () => Promise<void>): Promise<void> {
    pending++;
    const previous = chains.get(agentId) ?? Promise.resolve();
    const next = previous
      // After stop(), queued work is dropped: a closing server waits only for what is already running.
      .then(() => (stopped ? undefined : task()))
      .catch(onError)
      .finally(() => {
        if (chains.get(agentId) === next) chains.delete(agentId);
        pending--;
        if (pending === 0) {
          const waiters = idleWaiters;
          idleWaiters = [];
          for (const resolve of waiters) resolve();
        }
      });
    chains.set(agentId, next);
    return next;
  }

  async function raise(
    context: AnomalyContext,
    candidates: readonly (AnomalyCandidate | null)[],
    reopenWithinMs?: number,
  ): Promise<void> {
    const groups = coalesce(candidates.filter((c): c is AnomalyCandidate => c !== null));
    if (reopenWithinMs === undefined) {
      // Plain occurrences go with those of other agents, in one statement.
      const raised = await batcher.record(
        groups.map(({ candidate, count, firstAt }) => ({ context, candidate, count, firstAt })),
      );
      for (const r of raised) if (r) deps.recorder.announce(r);
      return;
    }
    for (const { candidate, count } of groups) {
      // A possible reopen is two statements, so it gets a transaction of its own.
      const raised = await db.transaction((tx) =>
        deps.recorder.record(tx, context, candidate, { count, reopenWithinMs }),
      );
      if (raised) deps.recorder.announce(raised);
    }
  }

  async function resolveReturned(agentId: string, rules: readonly string[], comment: string, key?: string) {
    const rows = await resolveBySystem(db, {
      agentId,
      rules,
      comment,
      now: scheduler.now(),
      ...(key === undefined ? {} : { key }),
    });
    for (const row of rows) announceStatus(deps.notifications, row, onError);
  }

  // ---- connections ------------------------------------------------------------------------

  async function onConnected(session: AgentSession, agent: LiveAgent): Promise<void> {
    const [settings, schedule, heartbeatMs] = await Promise.all([
      deps.settings.rules(session.projectId),
      deps.settings.schedule(session.teamId),
      deps.heartbeatMs(session.projectId, session.siteId),
    ]);
    agent.heartbeatMs = heartbeatMs;
    // The seat's stored state and the agent's last two accepted hellos (this one and the one before), in one query.
    const [stored] = await queryRows<{
      state: SeatState | null;
      state_at: string | Date | null;
      logins: { id: number; ip: string; at: string; session: string | null }[] | null;
    }>(
      db,
      sql`
        select a.state, a.state_at,
               (select json_agg(l) from (
                  select id, ip, at, session from logins
                  where agent_id = a.id and kind = 'hello' and allowed
                  order by at desc, id desc limit 2) l) as logins
        from agents a where a.id = ${session.agentId}`,
    );
    agent.seatState = stored?.state ?? null;
    if ((agent.seatState === 'idle' || agent.seatState === 'locked') && stored?.state_at) {
      agent.idle = { since: new Date(stored.state_at).getTime(), sinceEvent: null, flagged: false };
    }
    const recent = stored?.logins ?? [];
    const current = recent.find((l) => l.session === session.session) ?? null;
    const previous = recent.find((l) => l !== current) ?? null;
    agent.loginId = current?.id ?? null;

    // The agent is back: whatever said it was gone is over.
    await resolveReturned(session.agentId, SILENT_RULES, 'the agent reconnected');

    const at = session.connectedAt;
    const candidates: (AnomalyCandidate | null)[] = [];
    if (settings.ip_changed.enabled) {
      candidates.push(
        detectIpChanged({
          current: { ip: session.ip, at, loginId: agent.loginId },
          previous: previous ? { ip: previous.ip, at: Date.parse(previous.at), loginId: previous.id } : null,
          timeZone: schedule?.timeZone ?? 'UTC',
        }),
      );
    }
    if (settings.clock_skew.enabled) {
      candidates.push(
        detectClockSkew(
          { at, skewMs: session.clockSkewMs, loginId: agent.loginId },
          settings.clock_skew.config,
        ),
      );
    }
    if (settings.concurrent_login.enabled) {
      candidates.push(
        await concurrentLogin(session, settings, at, {
          kind: 'login',
          ...(agent.loginId === null ? {} : { id: agent.loginId }),
          at,
        }),
      );
    }
    await raise(contextOf(session), candidates);
  }

  async function concurrentLogin(
    session: AgentSession,
    settings: RuleSettings,
    at: number,
    trigger: EvidenceRef,
  ): Promise<AnomalyCandidate | null> {
    const config = settings.concurrent_login.config;
    const rows = await db
      .select({
        agentId: agents.id,
        seatId: agents.seatId,
        osUser: agents.osUser,
        state: agents.state,
        stateAt: agents.stateAt,
        lastSeenAt: agents.lastSeenAt,
      })
      .from(agents)
      .where(
        and(
          eq(agents.projectId, session.projectId),
          ne(agents.id, session.agentId),
          isNotNull(agents.session),
          sql`lower(${agents.osUser}) = lower(${session.operator})`,
          gte(agents.lastSeenAt, new Date(at - config.windowMs)),
        ),
      );
    const others: OtherSeat[] = rows.map((r) => ({
      agentId: r.agentId,
      seatId: r.seatId,
      osUser: r.osUser,
      lastActiveAt:
        r.state === 'active' || r.stateAt === null ? (r.lastSeenAt?.getTime() ?? 0) : r.stateAt.getTime(),
    }));
    return detectConcurrentLogin({ at, osUser: session.operator, others, trigger }, config);
  }

  async function onClosedForGood(agent: LiveAgent, close: SessionClose): Promise<void> {
    const { session } = agent;
    const [settings, schedule] = await Promise.all([
      deps.settings.rules(session.projectId),
      deps.settings.schedule(session.teamId),
    ]);
    let candidate: AnomalyCandidate | null = null;
    if (agent.stopping) {
      if (settings.agent_stopped.enabled)
        candidate = detectAgentStopped(agent.stopping, schedule, settings.agent_stopped.config);
    } else if (settings.agent_silent.enabled) {
      candidate = detectConnectionLost({
        at: close.at,
        session: session.session,
        loginId: agent.loginId,
        closeCode: close.code,
        lastFrameAt: agent.lastFrameAt,
        presence: { seatState: agent.seatState, schedule },
      });
    }
    await raise(contextOf(session), [candidate], options.flapWindowMs);
  }

  // ---- frames -----------------------------------------------------------------------------

  async function onFrames(agent: LiveAgent, frames: readonly CommittedFrame[]): Promise<void> {
    const { session } = agent;
    const [settings, schedule] = await Promise.all([
      deps.settings.rules(session.projectId),
      deps.settings.schedule(session.teamId),
    ]);
    const candidates: (AnomalyCandidate | null)[] = [];
    let becameActive: ObservedEvent | null = null;
    for (const frame of frames) {
      agent.lastFrameAt = Math.max(agent.lastFrameAt, frame.receivedAt);
      for (const committed of frame.events) {
        const event = committed.body;
        const before = agent.seatState;
        if (event.type === 'status') agent.seatState = event.state;
        const observed: ObservedEvent = {
          id: committed.id,
          seq: committed.seq,
          event,
          seatState: agent.seatState,
        };
        if (event.type === 'status' && event.state === 'active' && before !== 'active')
          becameActive = observed;
        switch (event.type) {
          case 'device_attached':
            if (settings.usb_storage.enabled)
              candidates.push(detectUsbStorage(observed, settings.usb_storage.config));
            if (settings.unknown_device.enabled) {
              candidates.push(detectUnknownDevice(observed, settings.unknown_device.config));
            }
            break;
          case 'activity':
            if (settings.prohibited_app.enabled) {
              candidates.push(detectProhibitedApp(observed, settings.prohibited_app.config));
            }
            break;
          case 'lifecycle':
            agent.stopping = event.phase === 'stopping' ? observed : null;
            break;
          case 'capture':
            if (settings.capture_blocked.enabled) {
              const config = settings.capture_blocked.config;
              const blank =
                event.outcome === 'captured' && config.includeBlank && frame.screenshot
                  ? await deps.isBlank(frame.screenshot)
                  : null;
              const step = stepCaptureBlocked(agent.captures, { observed, blank }, config);
              agent.captures = step.streaks;
              candidates.push(step.candidate);
            }
            break;
          default:
            break;
        }
        if (settings.off_hours.enabled)
          candidates.push(detectOffHours(observed, schedule, settings.off_hours.config));
        if (event.type === 'status') {
          const step = stepLongIdle(agent.idle, observed, schedule, settings.long_idle.config);
          agent.idle = step.period;
          if (settings.long_idle.enabled) candidates.push(step.candidate);
        }
      }
    }
    if (agent.silentRaised) {
      agent.silentRaised = false;
      await resolveReturned(session.agentId, ['agent_silent'], 'frames arrived again', '');
    }
    if (becameActive && settings.concurrent_login.enabled) {
      candidates.push(
        await concurrentLogin(session, settings, becameActive.event.time, {
          kind: 'event',
          id: becameActive.id,
          seq: becameActive.seq,
          at: becameActive.event.time,
        }),
      );
    }
    await raise(contextOf(session), candidates);
  }

  // ---- refusals ---------------------------------------------------------------------------

  /** Hello refusals that point at tampering; the login recorder already wrote ip_not_allowed. */
  async function onRefusedHello(attempt: LoginAttempt): Promise<void> {
    const kind =
      attempt.reason === 'bad_signature'
        ? ('bad_signature' as const)
        : attempt.reason === 'wrong_nonce'
          ? ('hello_replay' as const)
          : attempt.reason === 'agent_revoked'
            ? ('revoked_agent' as const)
            : null;
    if (kind === null || attempt.agentId === null || attempt.projectId === null) return;
    const settings = await deps.settings.rules(attempt.projectId);
    if (!settings.tamper.enabled) return;
    const [row] = await queryRows<{ site_id: string | null; team_id: string | null; os_user: string }>(
      db,
      sql`select s.site_id, s.team_id, a.os_user from agents a join seats s on s.id = a.seat_id
          where a.id = ${attempt.agentId}`,
    );
    const candidate =
      kind === 'bad_signature'
        ? detectTamper(
            { kind, at: attempt.at, frame: 'hello', session: null, loginId: attempt.loginId },
            settings.tamper.config,
          )
        : kind === 'hello_replay'
          ? detectTamper({ kind, at: attempt.at, loginId: attempt.loginId }, settings.tamper.config)
          : detectTamper(
              { kind, at: attempt.at, ip: attempt.ip, loginId: attempt.loginId },
              settings.tamper.config,
            );
    await raise(
      {
        projectId: attempt.projectId,
        siteId: row?.site_id ?? null,
        teamId: row?.team_id ?? null,
        seatId: attempt.seatId,
        agentId: attempt.agentId,
        operator: row?.os_user ?? null,
      },
      [candidate],
    );
  }

  /** Data frames refused inside a session: a forged signature, or a frame of another session. */
  async function onRefusedFrame(refusal: FrameRefusal & { agent: AgentSession }): Promise<void> {
    const { agent } = refusal;
    const settings = await deps.settings.rules(agent.projectId);
    if (!settings.tamper.enabled) return;
    const candidate =
      refusal.code === 'bad_signature'
        ? detectTamper(
            { kind: 'bad_signature', at: refusal.at, frame: 'data', session: agent.session, loginId: null },
            settings.tamper.config,
          )
        : detectTamper(
            {
              kind: 'session_replay',
              at: refusal.at,
              session: agent.session,
              claimedSession: null,
              seq: null,
            },
            settings.tamper.config,
          );
    await raise(contextOf(agent), [candidate]);
  }

  // ---- timers -----------------------------------------------------------------------------

  async function checkTimers(agent: LiveAgent, now: number): Promise<void> {
    const { session } = agent;
    const [settings, schedule] = await Promise.all([
      deps.settings.rules(session.projectId),
      deps.settings.schedule(session.teamId),
    ]);
    const candidates: (AnomalyCandidate | null)[] = [];
    if (settings.agent_silent.enabled && !agent.silentRaised) {
      const silent = detectSilence(
        {
          now,
          session: session.session,
          loginId: agent.loginId,
          lastHeardAt: agent.lastFrameAt,
          heartbeatMs: agent.heartbeatMs,
          seatState: agent.seatState,
        },
        settings.agent_silent.config,
      );
      if (silent) {
        agent.silentRaised = true;
        candidates.push(silent);
      }
    }
    const idle = checkLongIdle(agent.idle, now, schedule, settings.long_idle.config);
    agent.idle = idle.period;
    if (settings.long_idle.enabled) candidates.push(idle.candidate);
    await raise(contextOf(session), candidates, options.flapWindowMs);
  }

  /** Once, restartGraceMs after start: agents seen shortly before the start that have not come back. */
  async function sweepAfterRestart(now: number): Promise<void> {
    const since = new Date(startedAt - options.restartLookbackMs).toISOString();
    const start = new Date(startedAt).toISOString();
    const rows = await queryRows<{
      id: string;
      project_id: string;
      seat_id: string;
      site_id: string | null;
      team_id: string | null;
      os_user: string;
      state: SeatState | null;
      last_seen_at: string | Date;
    }>(
      db,
      sql`
        select a.id, a.project_id, a.seat_id, s.site_id, s.team_id, a.os_user, a.state, a.last_seen_at
        from agents a join seats s on s.id = a.seat_id
        where a.status = 'active'
          and a.last_seen_at >= ${since}::timestamptz and a.last_seen_at < ${start}::timestamptz
          and not exists (
            select 1 from anomalies x where x.agent_id = a.id
              and x.rule in ('agent_silent', 'agent_stopped') and x.status in ('open', 'acknowledged'))
          and not exists (
            -- By seat first: events are indexed by (seat_id, time), not by agent.
            select 1 from events e where e.seat_id = a.seat_id and e.agent_id = a.id and e.type = 'lifecycle'
              and e.body->>'phase' = 'stopping' and e.time >= coalesce(a.connected_at, a.last_seen_at))`,
    );
    const raised = rows.map((row) =>
      run(row.id, async () => {
        const settings = await deps.settings.rules(row.project_id);
        if (!settings.agent_silent.enabled) return;
        const schedule = await deps.settings.schedule(row.team_id);
        const candidate = detectNotBack({
          at: now,
          lastSeenAt: new Date(row.last_seen_at).getTime(),
          serverStartedAt: startedAt,
          presence: { seatState: row.state, schedule },
        });
        await raise(
          {
            projectId: row.project_id,
            siteId: row.site_id,
            teamId: row.team_id,
            seatId: row.seat_id,
            agentId: row.id,
            operator: row.os_user,
          },
          [candidate],
        );
      }),
    );
    await Promise.all(raised);
  }

  async function tick(): Promise<void> {
    if (stopped) return;
    const now = scheduler.now();
    const checks = [...live.values()].map((agent) =>
      run(agent.session.agentId, () => checkTimers(agent, now)),
    );
    if (!restartSwept && now - startedAt >= options.restartGraceMs) {
      restartSwept = true;
      await sweepAfterRestart(now).catch(onError);
    }
    await Promise.all(checks);
  }

  // ---- the observer -----------------------------------------------------------------------

  const agentFor = (session: AgentSession): LiveAgent | null => {
    const open = live.get(session.agentId);
    if (open && open.session.session === session.session) return open;
    return closing.get(session.session)?.agent ?? null;
  };

  const unsubscribe = deps.hub.subscribe({
    connected(session) {
      const agent: LiveAgent = {
        session,
        loginId: null,
        lastFrameAt: session.connectedAt,
        seatState: null,
        heartbeatMs: 15_000,
        stopping: null,
        silentRaised: false,
        idle: null,
        captures: {},
      };
      live.set(session.agentId, agent);
      // A close of the previous connection still waiting: decide it first (a kill and a quick return is still a kill).
      for (const [id, entry] of closing) {
        if (entry.agent.session.agentId === session.agentId) {
          closing.delete(id);
          entry.cancel();
          entry.decide();
        }
      }
      run(session.agentId, () => onConnected(session, agent));
    },

    disconnected(session, close) {
      const agent = agentFor(session);
      if (!agent) return;
      if (live.get(session.agentId) === agent) live.delete(session.agentId);
      // The server closed it: refused, replaced, revoked or shutting down; each is its own story.
      if (close.byServer) return;
      const decide = () => run(session.agentId, () => onClosedForGood(agent, close));
      const cancel = scheduler.after(options.closeGraceMs, () => {
        if (closing.delete(session.session)) decide();
      });
      closing.set(session.session, { agent, decide, cancel });
    },

    committed(frames) {
      const byAgent = new Map<LiveAgent, CommittedFrame[]>();
      for (const frame of frames) {
        const agent = agentFor(frame.agent);
        if (!agent) continue;
        const list = byAgent.get(agent);
        if (list) list.push(frame);
        else byAgent.set(agent, [frame]);
      }
      for (const [agent, list] of byAgent) run(agent.session.agentId, () => onFrames(agent, list));
    },

    login(attempt) {
      if (!attempt.allowed && attempt.kind === 'hello' && attempt.agentId) {
        run(attempt.agentId, () => onRefusedHello(attempt));
      }
    },

    refused(refusal) {
      const agent = refusal.agent;
      if (agent && (refusal.code === 'bad_signature' || refusal.code === 'wrong_session')) {
        run(agent.agentId, () => onRefusedFrame({ ...refusal, agent }));
      }
    },
  });

  const stopTicking = options.tickMs > 0 ? scheduler.every(options.tickMs, () => void tick()) : () => {};

  return {
    tick,
    idle() {
      if (pending === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    stop() {
      stopped = true;
      stopTicking();
      unsubscribe();
      for (const entry of closing.values()) entry.cancel();
      closing.clear();
      live.clear();
    },
  };
}
