/**
 * GET /api/v1/live: server-sent events for the dashboard. `seat` events
 * carry a BoardSeat, `anomaly` events an AnomalyLiveMessage, each filtered
 * to the viewer's scope. SSE rather than a WebSocket: one direction is all
 * it needs, the session cookie travels by itself, and browsers reconnect on
 * their own. When sessions of a user end (sign-out, revocation, a password
 * change, the account disabled), in this process or in another one on the
 * same database (a `session.ended` notification, issue #15), that user's
 * streams re-check their session at once and close if it ended (issue #13).
 * Every REAUTH_MS each stream checks again anyway, which covers sessions that
 * expire and a notification that was lost.
 */
import { ErrorBody } from '@seatwatch/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccountService } from '../accounts/account.service.js';
import type { RouteGuard } from '../accounts/route-guard.js';
import { scopeOf } from '../domain/authz-policy.js';
import type { LiveHub } from './live-hub.js';

export const REAUTH_MS = 30_000;
const KEEPALIVE_MS = 15_000;
/**
 * Events a viewer may leave unread before its stream is cut (issue #15): a browser that stops
 * reading would otherwise make this process hold every later event for it. Cutting, not
 * skipping events: the browser reconnects by itself and loads a fresh board, where skipped
 * events would leave tiles wrong without anyone knowing.
 */
export const MAX_UNREAD_LIVE_BYTES = 1024 * 1024;

export interface LiveRouteDeps {
  hub: LiveHub;
  accounts: AccountService;
  guard: RouteGuard;
  clientIp: (request: FastifyRequest) => string;
}

export async function liveRoutes(app: FastifyInstance, deps: LiveRouteDeps): Promise<void> {
  /** Each open stream: whose it is, how to re-check its session, how to end it. */
  const streams = new Map<() => void, { userId: string | null; recheck: () => void }>();
  const stopListening = deps.accounts.onSessionsEnded((userId) => {
    for (const stream of streams.values()) if (stream.userId === userId) stream.recheck();
  });
  app.addHook('preClose', async () => {
    stopListening();
    for (const end of [...streams.keys()]) end();
  });

  app.get(
    '/api/v1/live',
    {
      config: { authz: { action: 'seat.read' } },
      schema: { tags: ['dashboard board'], response: { 401: ErrorBody, 403: ErrorBody } },
    },
    (request, reply) => {
      const principal = request.principal!;
      const token = deps.guard.sessionToken(request);
      reply.hijack();
      const raw = reply.raw;
      let ended = false;
      const send = (event: string, data: unknown) => {
        if (ended) return;
        raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        if (raw.writableLength > MAX_UNREAD_LIVE_BYTES) {
          request.log.warn({ unread: raw.writableLength }, 'live viewer does not read; cutting its stream');
          end({ lagging: true });
        }
      };
      // Subscribed before the answer starts: a page that loads its snapshot on "open" misses nothing.
      const remove = deps.hub.add({
        seatScope: scopeOf(principal, 'seat.read'),
        anomalyScope: scopeOf(principal, 'anomaly.read'),
        seat: (seat) => send('seat', seat),
        anomaly: (message) => send('anomaly', message),
      });
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      });
      // The browser reconnects after this many ms if the stream drops.
      raw.write('retry: 2000\n\n');
      send('ready', { at: Date.now() });
      const keepalive = setInterval(() => raw.write(': keepalive\n\n'), KEEPALIVE_MS);
      const recheck = () => {
        if (!request.account || !token) return;
        deps.accounts.authenticate(token, deps.clientIp(request)).then(
          (account) => {
            if (account?.session.stage !== 'full') end();
          },
          () => end(),
        );
      };
      const reauth = setInterval(recheck, REAUTH_MS);
      const end = ({ lagging = false } = {}) => {
        if (ended) return;
        ended = true;
        remove();
        clearInterval(keepalive);
        clearInterval(reauth);
        streams.delete(end);
        // A viewer that does not read would never take the end either: drop what waits for it.
        if (lagging) raw.destroy();
        else raw.end();
      };
      streams.set(end, { userId: request.account?.user.id ?? null, recheck });
      raw.on('close', () => end());
    },
  );
}
