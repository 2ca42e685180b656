// PostgreSQL only: this tests HTTPS and WSS at the edge; the database kind does not change what is tested.
/** Given a certificate and key, the collector serves HTTPS and WSS itself (with HSTS), and plain HTTP not at all. */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectAgent,
  createTestDatabase,
  enrollTestAgent,
  httpJson,
  sampleEvents,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HSTS } from '../../src/security-headers/security-headers.js';

describe('TLS', () => {
  let db: TestDatabase;
  let server: TestServer;
  let dir: string;
  let cert: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seatwatch-tls-'));
    // A self-signed certificate for 127.0.0.1, made with the system's openssl.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    cert = await readFile(join(dir, 'cert.pem'), 'utf8');
    db = await createTestDatabase('postgres');
    server = await startTestServer({
      database: db,
      tls: { cert, key: await readFile(join(dir, 'key.pem'), 'utf8') },
    });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('enrolls over HTTPS and runs a session over WSS', async () => {
    expect(server.url).toMatch(/^https:/);
    const agent = await enrollTestAgent(server, { ca: cert });
    const client = await connectAgent(server, agent, { ca: cert });
    client.sendBatch(1, sampleEvents(2));
    expect((await client.ack(1)).seq).toBe(1);
    await client.close();
  });

  it('tells browsers to use HTTPS only (HSTS), on pages, the API and its docs (issue #13)', async () => {
    for (const path of ['/', '/api/v1/auth/session', '/api/docs/', '/healthz', '/no-such-page']) {
      const answer = await httpJson('GET', `${server.url}${path}`, undefined, { ca: cert });
      expect(answer.headers['strict-transport-security'], path).toBe(HSTS);
      expect(answer.headers['x-frame-options'], path).toBe('DENY');
    }
  });

  it('refuses a client that does not trust the certificate, and does not speak plain HTTP', async () => {
    await expect(httpJson('GET', `${server.url}/healthz`)).rejects.toThrow(/self-signed|certificate/i);
    const plain = server.url.replace('https:', 'http:');
    await expect(httpJson('GET', `${plain}/healthz`)).rejects.toThrow();
  });
});
