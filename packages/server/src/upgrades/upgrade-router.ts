/**
 * One 'upgrade' listener on the HTTP server that hands each WebSocket
 * upgrade to the handler registered for its path (the agent gateway, and
 * later the dashboard's live stream). Anything else is answered 404.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';

export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface UpgradeRouter {
  register(path: string, handler: UpgradeHandler): void;
}

export function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }
  socket.destroy();
}

export function createUpgradeRouter(server: Pick<Server, 'on'>): UpgradeRouter {
  const handlers = new Map<string, UpgradeHandler>();
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (request.url ?? '/').split('?')[0]!;
    const handler = handlers.get(path);
    if (!handler) return refuseUpgrade(socket, 404, 'Not Found');
    handler(request, socket, head);
  });
  return {
    register(path, handler) {
      if (handlers.has(path)) throw new Error(`an upgrade handler for ${path} exists already`);
      handlers.set(path, handler);
    },
  };
}
