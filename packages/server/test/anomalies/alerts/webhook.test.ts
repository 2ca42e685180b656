import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fromBase64, generateKeyPair, signingInput, toBase64, tweetnaclSigner } from '@seatwatch/shared';
import { createNodeCryptoVerifier } from '@seatwatch/shared/node-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exponentialBackoff } from '../../../src/anomalies/webhook/webhook-backoff.js';
import { signWebhook } from '../../../src/anomalies/webhook/webhook-signature.js';
import { createFetchWebhookTransport } from '../../../src/anomalies/webhook/webhook-transport.js';
import { verifyWebhookAsDocumented } from '../support/webhook-verify.js';
import { sampleAnomaly } from './sample-anomaly.js';

describe('webhook signature', () => {
  const keys = generateKeyPair();
  const signer = tweetnaclSigner(keys.secretKey);
  const publicKey = toBase64(keys.publicKey);
  const body = JSON.stringify({
    type: 'anomaly.opened',
    deliveryId: 'd1',
    sentAt: 1000,
    anomaly: sampleAnomaly(),
  });

  it('verifies, as documented, with the server public key over timestamp and exact body', () => {
    const header = signWebhook(signer, 1000, body);
    expect(header).toMatch(/^ed25519=[A-Za-z0-9+/]{86}==$/);
    expect(verifyWebhookAsDocumented(publicKey, '1000', body, header)).toBe(true);
  });

  it('fails for another timestamp, a changed body, another key or a malformed header', () => {
    const header = signWebhook(signer, 1000, body);
    expect(verifyWebhookAsDocumented(publicKey, '1001', body, header)).toBe(false);
    expect(
      verifyWebhookAsDocumented(publicKey, '1000', body.replace('usb_storage', 'long_idle'), header),
    ).toBe(false);
    expect(verifyWebhookAsDocumented(toBase64(generateKeyPair().publicKey), '1000', body, header)).toBe(
      false,
    );
    expect(verifyWebhookAsDocumented(publicKey, '1000', body, 'sha256=abc')).toBe(false);
  });

  it('never verifies as a protocol message of either direction', () => {
    const signature = fromBase64(signWebhook(signer, 1000, body).slice('ed25519='.length), 64);
    const verifier = createNodeCryptoVerifier();
    const bytes = new TextEncoder().encode(body);
    expect(verifier.verify(signingInput('agent', bytes), signature, keys.publicKey)).toBe(false);
    expect(verifier.verify(signingInput('server', bytes), signature, keys.publicKey)).toBe(false);
  });
});

describe('backoff', () => {
  it('doubles from the base up to the cap, moved by the jitter', () => {
    const backoff = exponentialBackoff({ baseMs: 1000, maxMs: 5000, jitter: 0.5, random: () => 1 });
    expect([1, 2, 3, 4].map(backoff)).toEqual([1500, 3000, 6000, 7500]);
    expect(exponentialBackoff({ baseMs: 1000, maxMs: 5000, random: () => 0.5 })(2)).toBe(2000);
  });
});

describe('webhook transport (real HTTP on 127.0.0.1)', () => {
  let base = '';
  const seen: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      const status = Number(req.url?.slice(1)) || 200;
      if (req.url === '/slow') return; // never answers
      if (status === 302) res.setHeader('location', 'http://127.0.0.1:9/elsewhere');
      res.statusCode = status;
      res.end('ok');
    });
  });

  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const transport = createFetchWebhookTransport({ timeoutMs: 500 });
  const post = (path: string) =>
    transport.post({
      url: `${base}${path}`,
      body: '{"a":1}',
      headers: { 'seatwatch-event': 'anomaly.opened' },
    });

  it('delivers on 2xx with the body and headers as given', async () => {
    expect(await post('/204')).toEqual({ ok: true, status: 204 });
    expect(seen.at(-1)).toMatchObject({
      body: '{"a":1}',
      headers: { 'content-type': 'application/json', 'seatwatch-event': 'anomaly.opened' },
    });
  });

  it('retries server errors, throttling and timeouts, not client errors or redirects', async () => {
    expect(await post('/503')).toMatchObject({ ok: false, retry: true, status: 503 });
    expect(await post('/429')).toMatchObject({ ok: false, retry: true, status: 429 });
    expect(await post('/400')).toMatchObject({ ok: false, retry: false, status: 400 });
    expect(await post('/302')).toMatchObject({ ok: false, retry: false, status: 302 });
    expect(await post('/slow')).toMatchObject({ ok: false, retry: true, status: null });
  });

  it('retries when nothing listens', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const outcome = await transport.post({ url: `http://127.0.0.1:${port}/`, body: '{}', headers: {} });
    expect(outcome).toMatchObject({ ok: false, retry: true, status: null });
    expect(outcome.ok ? '' : outcome.error).toMatch(/ECONNREFUSED/);
  });
});
