/**
 * Committed frames of a connected agent: each stored event, in order,
 * through the rules that listen to events (the seat's state follows the
 * status events), and the operator-at-the-seat rules when a status turned
 * active or a desktop session started, for the OS account of that event (a
 * shared seat has several, issue #14). Nothing here delays an ack: the hub
 * calls observers after them.
 */
import { isDesktopSessionLifecycle } from '@seatwatch/shared';
import type { AnomalyCandidate, ObservedEvent } from '../../domain/rules/anomaly.js';
import { evaluateRules, inspectsScreenshots } from '../../domain/rules/rule-dispatch.js';
import type { CommittedFrame } from '../../ingest/ingest-hub.js';
import type { AnomalyRaiser } from './anomaly-raiser.js';
import { contextOf, type LiveAgent } from './connections.js';
import type { BlankDetector } from './screenshot-blankness.sharp.js';
import type { SeatActivity } from './seat-activity.js';
import type { AnomalySettings } from './settings-cache.js';

export function createEventRules(deps: {
  settings: AnomalySettings;
  isBlank: BlankDetector;
  seatActive: SeatActivity;
  raiser: AnomalyRaiser;
}): (agent: LiveAgent, frames: readonly CommittedFrame[]) => Promise<void> {
  return async (agent, frames) => {
    const session = await deps.settings.placed(agent.session);
    const [settings, schedule] = await Promise.all([
      deps.settings.rules(session.projectId),
      deps.settings.schedule(session.teamId),
    ]);
    const looksAtScreenshots = inspectsScreenshots(settings);
    const candidates: AnomalyCandidate[] = [];
    /** By OS account: the first event of these frames that put it at the seat. */
    const atTheSeat = new Map<string, ObservedEvent>();
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
        // Events from before accounts were kept name none: the hello's operator's.
        const account = committed.osUser ?? session.operator;
        if (event.type === 'status') {
          const was = agent.accountStates.get(account) ?? (account === session.operator ? before : null);
          agent.accountStates.set(account, event.state);
          if (event.state === 'active' && was !== 'active' && !atTheSeat.has(account))
            atTheSeat.set(account, observed);
        }
        if (isDesktopSessionLifecycle(event)) {
          if (event.type === 'lifecycle' && event.phase === 'starting' && !atTheSeat.has(account))
            atTheSeat.set(account, observed);
          if (event.type === 'lifecycle' && event.phase === 'stopping') agent.accountStates.delete(account);
        } else if (event.type === 'lifecycle') {
          // The agent's own start or stop (a desktop session's end is not the agent stopping).
          agent.stopping = event.phase === 'stopping' ? observed : null;
        }
        // Decoding an image is the costly part of a capture: only when a rule that is on looks at it.
        const blank =
          looksAtScreenshots && event.type === 'capture' && event.outcome === 'captured' && frame.screenshot
            ? await deps.isBlank(frame.screenshot)
            : null;
        const evaluated = evaluateRules('event', { observed, schedule, blank }, settings, agent.rules);
        agent.rules = evaluated.states;
        candidates.push(...evaluated.candidates);
      }
    }
    await deps.raiser.raise(contextOf(session), candidates);
    for (const [account, { id, seq, event }] of atTheSeat) {
      const trigger = { kind: 'event' as const, id, seq, at: event.time };
      const found = await deps.seatActive(session, settings, event.time, trigger, account);
      // The anomaly names the account it is about, which on a shared seat is not the hello's.
      await deps.raiser.raise({ ...contextOf(session), operator: account }, found);
    }
  };
}
