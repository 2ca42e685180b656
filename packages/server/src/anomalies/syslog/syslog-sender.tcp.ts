/**
 * RFC 6587 over one long-lived TCP connection, octet-counting framing.
 * Connects on first use and again after the connection drops; a message
 * that cannot be written is reported to its caller (the dispatcher logs it),
 * never queued without bound.
 */
import { connect, type Socket } from 'node:net';
import { octetCountingFrame } from './syslog-message.js';
import type { SyslogEndpoint, SyslogSender } from './syslog-sender.js';

export function createTcpSyslogSender(
  endpoint: SyslogEndpoint,
  options: { connectTimeoutMs: number } = { connectTimeoutMs: 5000 },
): SyslogSender {
  let connection: Promise<Socket> | null = null;

  const open = (): Promise<Socket> => {
    if (connection) return connection;
    const attempt = new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: endpoint.host, port: endpoint.port });
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 30_000);
      const timer = setTimeout(
        () => socket.destroy(new Error('syslog connect timeout')),
        options.connectTimeoutMs,
      );
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.on('close', () => {
        if (connection === attempt) connection = null;
      });
      // The collector only writes; whatever a receiver sends back is discarded.
      socket.on('data', () => undefined);
    });
    attempt.catch(() => {
      if (connection === attempt) connection = null;
    });
    connection = attempt;
    return attempt;
  };

  return {
    async send(message) {
      const socket = await open();
      await new Promise<void>((resolve, reject) => {
        socket.write(octetCountingFrame(message), 'utf8', (error) => (error ? reject(error) : resolve()));
      });
    },
    async close() {
      const current = connection;
      connection = null;
      if (!current) return;
      const socket = await current.catch(() => null);
      if (!socket) return;
      await new Promise<void>((resolve) => socket.end(() => resolve()));
    },
  };
}
