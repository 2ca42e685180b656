/**
 * Serves the built web app (packages/dashboard/dist) at `/`. Its client-side
 * routes (/login, /seats/…) answer with index.html; /api stays the API's.
 * Without a build, `/` says how to make one instead of failing to start.
 * Its headers (CSP, frames) are set for every answer by security-headers/.
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
  // Team reports (issue #13).
  '/reports',
];

export async function webAppRoutes(app: FastifyInstance, options: { dir?: string } = {}): Promise<void> {
  const dir = options.dir ?? WEB_APP_DIR;
  if (!existsSync(`${dir}/index.html`)) {
    app.get('/', (_request, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .send(
          'The dashboard is not built. Run `pnpm --filter @seatwatch/dashboard build` (or `pnpm build`).\n',
        ),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    index: ['index.html'],
  });
  for (const path of CLIENT_ROUTES) {
    app.get(path, (_request, reply) => reply.sendFile('index.html'));
  }
}
