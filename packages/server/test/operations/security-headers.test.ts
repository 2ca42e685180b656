// PostgreSQL only: the headers are set at the HTTP edge; the database kind does not change them.
/**
 * CSP and frame protection on every answer, the API docs viewer included,
 * and no HSTS over plain HTTP (tls.test.ts checks it over HTTPS). Issue #13.
 */
import {
  createTestDatabase,
  httpJson,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_CSP, DOCS_CSP } from '../../src/security-headers/security-headers.js';

let db: TestDatabase;
let server: TestServer;

beforeAll(async () => {
  db = await createTestDatabase('postgres');
  server = await startTestServer({ database: db });
});
afterAll(async () => {
  await server?.close();
  await db?.close();
});

async function get(path: string) {
  return httpJson<unknown>('GET', `${server.url}${path}`);
}

/** A CSP as directive -> sources. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
}

describe('security headers', () => {
  const pages = [
    '/',
    '/login',
    '/api/docs',
    '/api/docs/json',
    '/api/v1/board',
    '/api/v1/auth/session',
    '/healthz',
    '/no-such-page',
  ];

  it.each(pages)('%s cannot be framed and has a CSP', async (path) => {
    const answer = await get(path);
    expect(answer.headers['x-frame-options']).toBe('DENY');
    const csp = String(answer.headers['content-security-policy'] ?? '');
    expect(directives(csp).get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives(csp).get('object-src') ?? directives(csp).get('default-src')).toEqual(["'none'"]);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    // Plain HTTP: HSTS would be ignored by browsers and means nothing here.
    expect(answer.headers['strict-transport-security']).toBeUndefined();
  });

  it('the API answers with a CSP that allows nothing to load', async () => {
    const refused = await get('/api/v1/board');
    expect(refused.status).toBe(401);
    expect(refused.headers['content-security-policy']).toBe(API_CSP);
  });

  it('the API docs viewer gets a CSP its page works under: own scripts only, no inline script', async () => {
    const page = await httpJson<string>('GET', `${server.url}/api/docs/`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(DOCS_CSP);
    const html = typeof page.body === 'string' ? page.body : String(page.body);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      // Each script is a file of our own origin (script-src 'self'); none is inline (which it would block).
      const src = /src="([^"]+)"/.exec(attributes!)?.[1];
      expect(src).toBeDefined();
      expect(new URL(src!, `${server.url}/api/docs/`).origin).toBe(server.url);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+=/i);
    for (const [, href] of html.matchAll(/<link\b[^>]*href="([^"]+)"/g)) {
      expect(new URL(href!, `${server.url}/api/docs/`).origin).toBe(server.url);
    }
    const policy = directives(DOCS_CSP);
    expect(policy.get('script-src')).toEqual(["'self'"]);
    expect(policy.get('connect-src')).toEqual(["'self'"]);
    const initializer = await get('/api/docs/static/swagger-initializer.js');
    expect(initializer.status).toBe(200);
    expect(initializer.headers['content-security-policy']).toBe(DOCS_CSP);
  });
});
