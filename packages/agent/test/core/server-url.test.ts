import { describe, expect, it } from 'vitest';
import { checkServerUrl, isLoopbackHost } from '../../src/core/server-url.js';

describe('checkServerUrl', () => {
  it('accepts https and derives the gateway URL', () => {
    expect(checkServerUrl('https://collector.example.com/', false)).toEqual({
      ok: true,
      endpoints: {
        base: 'https://collector.example.com',
        ws: 'wss://collector.example.com/api/v1/agent/ws',
        tls: true,
      },
    });
    const withPath = checkServerUrl('https://host:8443/seatwatch', false);
    expect(withPath.ok && withPath.endpoints.ws).toBe('wss://host:8443/seatwatch/api/v1/agent/ws');
  });

  it('refuses http and ws to a non-loopback host unless --insecure', () => {
    for (const url of ['http://10.0.0.5:8080', 'ws://collector.lan']) {
      const refused = checkServerUrl(url, false);
      expect(refused.ok).toBe(false);
      expect(!refused.ok && refused.reason).toMatch(/TLS/);
      expect(checkServerUrl(url, true).ok).toBe(true);
    }
  });

  it('allows plain http on loopback', () => {
    const local = checkServerUrl('http://127.0.0.1:4000', false);
    expect(local.ok && local.endpoints.ws).toBe('ws://127.0.0.1:4000/api/v1/agent/ws');
    expect(checkServerUrl('http://[::1]:4000', false).ok).toBe(true);
    expect(checkServerUrl('http://localhost:4000', false).ok).toBe(true);
  });

  it('refuses junk, other schemes and credentials', () => {
    expect(checkServerUrl('not a url', true).ok).toBe(false);
    expect(checkServerUrl('ftp://127.0.0.1', true).ok).toBe(false);
    expect(checkServerUrl('https://user:pw@host', false).ok).toBe(false);
  });

  it('knows loopback hosts', () => {
    expect(isLoopbackHost('127.1.2.3')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(isLoopbackHost('127.0.0.1.evil.com')).toBe(false);
    expect(isLoopbackHost('localhost.evil.com')).toBe(false);
  });
});
