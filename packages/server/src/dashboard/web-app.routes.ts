/**
 * Serves the built web app (packages/dashboard/dist) at `/`. Its client-side
 * routes (/login, /seats/…) answer with index.html; /api stays the API's.
 * Without a build, `/` says how to make one instead of failing to start.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** src/dashboard and dist/dashboard are both three levels below packages/. */
export const WEB_APP_DIR = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url));
const CLIENT_ROUTES = [
  '/login',
  '/setup',
  '/alerts',
  '/account',
  '/admin',
  '/admin/*',
  '/seats/*',
  // Investigation pages and the operator self-view (issue #7).
  '/investigation/*',
  '/audit',
  '/self-view',
];

export async function webAppRoutes(app: FastifyInstance, options: { dir?: string } = {}): Promise<void> {
  const dir = options.dir ?? WEB_APP_DIR;
  const headers = (reply: { header(name: string, value: string): unknown }) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    // Scripts and styles only from our own origin; images also as data: (the TOTP QR code) and blob:.
    reply.header(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    );
  };
  if (!existsSync(`${dir}/index.html`)) {
    app.get('/', (_request, reply) => {
      headers(reply);
      return reply
        .type('text/plain; charset=utf-8')
        .send(
          'The dashboard is not built. Run `pnpm --filter @seatwatch/dashboard build` (or `pnpm build`).\n',
        );
    });
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    index: ['index.html'],
  });
  app.addHook('onSend', async (request, reply) => {
    if (!request.url.startsWith('/api/')) headers(reply);
  });
  for (const path of CLIENT_ROUTES) {
    app.get(path, (_request, reply) => reply.sendFile('index.html'));
  }
}
