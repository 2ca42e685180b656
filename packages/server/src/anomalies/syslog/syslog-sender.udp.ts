/** RFC 5426: one message per datagram; nothing is acknowledged, so nothing is retried. */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { SyslogEndpoint, SyslogSender } from './syslog-sender.js';

export function createUdpSyslogSender(endpoint: SyslogEndpoint): SyslogSender {
  let socket: Socket | null = null;
  const open = (): Socket => {
    if (!socket) {
      socket = createSocket(isIPv6(endpoint.host) ? 'udp6' : 'udp4');
      // A send error is reported to the caller of send(); the socket itself must not throw.
      socket.on('error', () => undefined);
      socket.unref();
    }
    return socket;
  };
  return {
    send(message) {
      return new Promise((resolve, reject) => {
        open().send(Buffer.from(message, 'utf8'), endpoint.port, endpoint.host, (error) =>
          error ? reject(error) : resolve(),
        );
      });
    },
    close() {
      const current = socket;
      socket = null;
      return new Promise((resolve) => (current ? current.close(() => resolve()) : resolve()));
    },
  };
}
