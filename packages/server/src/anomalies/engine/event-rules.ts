/**
 * Committed frames of a connected agent: each stored event, in order,
 * through the rules that listen to events (the seat's state follows the
 * status events), and the operator-at-the-seat rules when a status turned
 * active. Nothing here delays an ack: the hub calls observers after them.
 */
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
        if (event.type === 'lifecycle') agent.stopping = event.phase === 'stopping' ? observed : null;
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
    if (becameActive) {
      const { id, seq, event } = becameActive;
      candidates.push(
        ...(await deps.seatActive(session, settings, event.time, { kind: 'event', id, seq, at: event.time })),
      );
    }
    await deps.raiser.raise(contextOf(session), candidates);
  };
}
