/**
 * Browser-facing protection of every answer (issue #13), set once on the
 * root app so that no page is left out: the web app, the API, its viewer
 * at /api/docs, error and not-found answers.
 *
 * - Frames: `X-Frame-Options: DENY` and CSP `frame-ancestors 'none'`, so no
 *   other site can put a signed-in page in a frame and steer clicks.
 * - CSP per kind of answer: the API's JSON needs nothing (`default-src
 *   'none'`); the API docs viewer (Swagger UI) loads only its own scripts
 *   and the OpenAPI document from us, but sets inline style attributes, so
 *   styles are `'self' 'unsafe-inline'` there and nothing else is loosened;
 *   and the web app's policy allows images as data: (the TOTP QR code) and blob:.
 * - HSTS on answers served over HTTPS (directly, or behind a trusted proxy
 *   that says so): once a browser has seen it, it never sends the session
 *   cookie over plain HTTP to this host again. Without includeSubDomains:
 *   other hosts of the domain are not ours to decide.
 */
import type { FastifyInstance } from 'fastify';

const FRAMES = "frame-ancestors 'none'";

export const API_CSP = `default-src 'none'; ${FRAMES}; base-uri 'none'; form-action 'none'`;
export const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  `font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; ${FRAMES}`;
export const WEB_APP_CSP =
  "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; " +
  `${FRAMES}; base-uri 'none'`;
/** One year, as the HSTS preload list asks for at least. */
export const HSTS = 'max-age=31536000';

function policyFor(url: string): string {
  if (url === '/api/docs' || url.startsWith('/api/docs/') || url.startsWith('/api/docs?')) return DOCS_CSP;
  if (url.startsWith('/api/')) return API_CSP;
  return WEB_APP_CSP;
}

/** Call directly on the root app, before any route, so its hook sees every answer. */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('content-security-policy', policyFor(request.url));
    if (request.protocol === 'https') reply.header('strict-transport-security', HSTS);
    return payload;
  });
}
