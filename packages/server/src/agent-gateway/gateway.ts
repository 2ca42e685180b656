/**
 * The agent gateway: WebSocket `GET /api/v1/agent/ws` on the app's own HTTP
 * server (ws in noServer mode, limits from the protocol, no compression).
 * It keeps this process's connections by agent, reacts to cross-process
 * notifications (replaced, revoked, commands pending), pings for liveness
 * and drains on shutdown.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_BINARY_FRAME_BYTES } from '@seatwatch/shared';
import { WebSocketServer } from 'ws';
import { findAgentSession } from '../agents/agents.repository.js';
import { clientIp, type IpPredicate } from '../domain/client-ip.js';
import type { Notification, NotificationPort } from '../notifications/notification-port.js';
import { refuseUpgrade, type UpgradeRouter } from '../upgrades/upgrade-router.js';
import { AgentConnection, type ConnectionDeps } from './agent-connection.js';

export const AGENT_WS_PATH = '/api/v1/agent/ws';

export interface GatewayDeps extends Omit<ConnectionDeps, 'register' | 'unregister' | 'opening'> {
  upgrades: UpgradeRouter;
  isTrustedProxy: IpPredicate;
  pingIntervalMs: number;
  shutdownTimeoutMs: number;
}

export interface AgentGateway {
  /** This process's authenticated connections. */
  readonly connectedAgents: number;
  /** True when this process holds an open connection of the agent. */
  holds(agentId: string): boolean;
  /** Shutdown: refuse new upgrades, store what arrived, ack it, close every socket with 1001. */
  drain(): Promise<void>;
}

export function createAgentGateway(deps: GatewayDeps): AgentGateway {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_BINARY_FRAME_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
    // openTextFrame decodes UTF-8 strictly and refuses with frame_malformed (4400, after the signed
    // error), as the protocol says; ws's own check would close with 1007 and no reason.
    skipUTF8Validation: true,
  });
  const all = new Set<AgentConnection>();
  const byAgent = new Map<string, AgentConnection>();
  /** Connections writing their session, by agent: they hear of commands too (ConnectionDeps.opening). */
  const opening = new Map<string, Set<AgentConnection>>();
  let draining = false;

  const connectionDeps: ConnectionDeps = {
    ...deps,
    register(connection) {
      const id = connection.agentId!;
      const previous = byAgent.get(id);
      byAgent.set(id, connection);
      return previous !== connection ? previous : undefined;
    },
    unregister(connection) {
      const id = connection.agentId;
      if (id && byAgent.get(id) === connection) byAgent.delete(id);
    },
    opening(agentId, connection) {
      const set = opening.get(agentId) ?? new Set();
      opening.set(agentId, set.add(connection));
      return () => {
        set.delete(connection);
        if (set.size === 0 && opening.get(agentId) === set) opening.delete(agentId);
      };
    },
  };

  deps.upgrades.register(AGENT_WS_PATH, (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (draining) return refuseUpgrade(socket, 503, 'Service Unavailable');
    const peer = request.socket.remoteAddress ?? '';
    const forwarded = request.headers['x-forwarded-for'];
    const ip = clientIp(
      peer,
      Array.isArray(forwarded) ? forwarded.join(',') : forwarded,
      deps.isTrustedProxy,
    );
    wss.handleUpgrade(request, socket, head, (ws) => {
      const connection = new AgentConnection(
        ws,
        ip,
        clientIp(peer, undefined, () => false),
        connectionDeps,
      );
      all.add(connection);
      connection.closed.then(() => all.delete(connection));
      connection.limitBeforeHello(socket);
      connection.start();
    });
  });

  const onNotification = (notification: Notification) => {
    if (!('agentId' in notification) || notification.agentId === null) return;
    if (notification.topic === 'agent.command') {
      for (const connection of opening.get(notification.agentId) ?? []) connection.commandsPending();
    }
    const connection = byAgent.get(notification.agentId);
    if (!connection) return;
    switch (notification.topic) {
      case 'agent.connected':
        if (connection.session !== notification.session) void replaceIfStale(connection);
        break;
      case 'agent.command':
        connection.commandsPending();
        break;
      case 'agent.revoked':
        connection.revoked();
        break;
      default:
        break;
    }
  };

  // Notifications from several processes can arrive in any order; the agent row says which session is newest.
  const replaceIfStale = async (connection: AgentConnection) => {
    try {
      const row = await findAgentSession(deps.db, connection.agentId!);
      if (row && row.session !== connection.session) connection.replaced();
    } catch (error) {
      deps.logger.warn({ err: error }, 'could not check for a newer connection');
    }
  };

  const unsubscribe = (deps.notifications as NotificationPort).subscribe(onNotification);

  const pinger =
    deps.pingIntervalMs > 0
      ? setInterval(() => {
          for (const connection of all) connection.heartbeat();
        }, deps.pingIntervalMs)
      : null;
  pinger?.unref();

  return {
    get connectedAgents() {
      return byAgent.size;
    },
    holds: (agentId) => byAgent.has(agentId),
    async drain() {
      draining = true;
      if (pinger) clearInterval(pinger);
      unsubscribe();
      const connections = [...all];
      await Promise.all(connections.map((c) => c.stopReading()));
      await deps.committer.idle();
      // Acks are sent in promise continuations of the commits; let them run.
      await new Promise((resolve) => setImmediate(resolve));
      for (const connection of connections) connection.goAway();
      const timeout = new Promise<'timeout'>((resolve) =>
        setTimeout(resolve, deps.shutdownTimeoutMs, 'timeout').unref(),
      );
      const outcome = await Promise.race([Promise.all(connections.map((c) => c.closed)), timeout]);
      if (outcome === 'timeout') for (const connection of all) connection.terminate();
      wss.close();
    },
  };
}
