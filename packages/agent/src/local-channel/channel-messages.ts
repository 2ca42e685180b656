/**
 * What travels on the local channel (issue #14), parsed from `unknown` at
 * each end. Session part -> machine service: `events` (what its collectors
 * and notice gate queued) and `blob` (a screenshot with its capture event).
 * Machine service -> session part: `welcome` and `policy` (the policy and
 * notice in force, and whether this account's confirmation of the notice is
 * on record) and `refused` (events it did not take, and why). And the local
 * page's self-view link: the session part asks (`self_view_link` with an id),
 * the service, which holds the key, asks the server for this account's view
 * and answers with the link or why not.
 *
 * Events are checked against protocol v1's schemas here, so a session part
 * can never put into the service's outbox what the collector would refuse.
 */
import {
  type CaptureEvent,
  describeErrors,
  type Event,
  eventValidators,
  MAX_EVENTS_PER_BATCH,
  type Notice,
  type Policy,
  validateNotice,
  validatePolicy,
} from '@seatwatch/shared';

export type SessionMessage =
  | { readonly t: 'events'; readonly events: readonly Event[] }
  | { readonly t: 'self_view_link'; readonly id: number }
  /** The outcomes of a capture_now the service asked for (the screenshots themselves travel as blobs). */
  | { readonly t: 'capture_done'; readonly id: number; readonly events: readonly CaptureEvent[] }
  | {
      readonly t: 'blob';
      readonly mime: 'image/jpeg' | 'image/webp';
      readonly event: CaptureEvent;
      readonly bytes: Uint8Array;
    };

export interface ServiceState {
  readonly agentId: string;
  readonly seat: string | null;
  readonly server: string;
  /** The OS account the service reads from the socket: what every event of this session is stamped with. */
  readonly account: string;
  readonly policy: Policy;
  readonly notice: Notice;
  /** The service holds this account's confirmation of `notice.version`. */
  readonly acknowledged: boolean;
}

export type ServiceMessage =
  | ({ readonly t: 'welcome' } & ServiceState)
  | ({ readonly t: 'policy' } & ServiceState)
  | { readonly t: 'refused'; readonly count: number; readonly reason: string }
  | {
      readonly t: 'self_view_link';
      readonly id: number;
      readonly url: string | null;
      readonly error: string | null;
    }
  /** The server asked for a screenshot now: the session part takes one of its screens. */
  | { readonly t: 'capture_now'; readonly id: number; readonly commandId: string };

export class ChannelMessageError extends Error {}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseEvent(value: unknown): Event {
  const type = isObject(value) ? value.type : undefined;
  if (typeof type !== 'string' || !Object.hasOwn(eventValidators, type))
    throw new ChannelMessageError('an event without a known type');
  const validate = eventValidators[type as keyof typeof eventValidators];
  if (!validate(value)) throw new ChannelMessageError(`${type} event: ${describeErrors(validate)}`);
  return value as Event;
}

/** A frame from a session part; throws ChannelMessageError when it is not one. */
export function parseSessionMessage(header: unknown, blob: Uint8Array | null): SessionMessage {
  if (!isObject(header)) throw new ChannelMessageError('not a message');
  if (header.t === 'events') {
    if (
      !Array.isArray(header.events) ||
      header.events.length === 0 ||
      header.events.length > MAX_EVENTS_PER_BATCH
    )
      throw new ChannelMessageError(`events must be 1 to ${MAX_EVENTS_PER_BATCH} events`);
    return { t: 'events', events: header.events.map(parseEvent) };
  }
  if (header.t === 'self_view_link') {
    if (!Number.isSafeInteger(header.id)) throw new ChannelMessageError('self_view_link needs an integer id');
    return { t: 'self_view_link', id: header.id as number };
  }
  if (header.t === 'capture_done') {
    if (!Number.isSafeInteger(header.id) || !Array.isArray(header.events) || header.events.length > 64)
      throw new ChannelMessageError('capture_done needs an integer id and at most 64 events');
    const events = header.events.map(parseEvent);
    if (events.some((event) => event.type !== 'capture'))
      throw new ChannelMessageError('capture_done carries capture events only');
    return { t: 'capture_done', id: header.id as number, events: events as CaptureEvent[] };
  }
  if (header.t === 'blob') {
    if (!blob || blob.length === 0) throw new ChannelMessageError('a blob message without bytes');
    if (header.mime !== 'image/jpeg' && header.mime !== 'image/webp')
      throw new ChannelMessageError('blob mime must be image/jpeg or image/webp');
    const event = parseEvent(header.event);
    if (event.type !== 'capture' || event.outcome !== 'captured')
      throw new ChannelMessageError('a blob carries a captured capture event');
    return { t: 'blob', mime: header.mime, event, bytes: blob };
  }
  throw new ChannelMessageError('unknown message type');
}

/** A frame from the machine service; throws ChannelMessageError when it is not one. */
export function parseServiceMessage(header: unknown): ServiceMessage {
  if (!isObject(header)) throw new ChannelMessageError('not a message');
  if (header.t === 'refused') {
    if (typeof header.count !== 'number' || typeof header.reason !== 'string')
      throw new ChannelMessageError('refused needs count and reason');
    return { t: 'refused', count: header.count, reason: header.reason };
  }
  if (header.t === 'capture_now') {
    if (!Number.isSafeInteger(header.id) || typeof header.commandId !== 'string')
      throw new ChannelMessageError('capture_now needs an integer id and a command id');
    return { t: 'capture_now', id: header.id as number, commandId: header.commandId };
  }
  if (header.t === 'self_view_link') {
    const text = (value: unknown) => (typeof value === 'string' ? value : null);
    if (!Number.isSafeInteger(header.id)) throw new ChannelMessageError('self_view_link needs an integer id');
    return { t: 'self_view_link', id: header.id as number, url: text(header.url), error: text(header.error) };
  }
  if (header.t !== 'welcome' && header.t !== 'policy') throw new ChannelMessageError('unknown message type');
  if (!validatePolicy(header.policy))
    throw new ChannelMessageError(`policy: ${describeErrors(validatePolicy)}`);
  if (!validateNotice(header.notice))
    throw new ChannelMessageError(`notice: ${describeErrors(validateNotice)}`);
  if (
    typeof header.agentId !== 'string' ||
    typeof header.server !== 'string' ||
    typeof header.account !== 'string' ||
    typeof header.acknowledged !== 'boolean' ||
    (header.seat !== null && typeof header.seat !== 'string')
  )
    throw new ChannelMessageError('welcome needs agentId, seat, server, account and acknowledged');
  return {
    t: header.t,
    agentId: header.agentId,
    seat: header.seat as string | null,
    server: header.server,
    account: header.account,
    policy: header.policy as Policy,
    notice: header.notice as Notice,
    acknowledged: header.acknowledged,
  };
}
