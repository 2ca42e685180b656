/** The client's IP of an HTTP request: the socket's peer, or what a trusted proxy forwarded for it. */
import type { FastifyRequest } from 'fastify';
import { clientIp, type IpPredicate } from '../domain/client-ip.js';

export function requestClientIp(request: FastifyRequest, isTrustedProxy: IpPredicate): string {
  const forwarded = request.headers['x-forwarded-for'];
  return clientIp(
    request.raw.socket.remoteAddress ?? '',
    Array.isArray(forwarded) ? forwarded.join(',') : forwarded,
    isTrustedProxy,
  );
}
