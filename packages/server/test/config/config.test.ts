/** Configuration: file, then environment, validated once with clear messages, then frozen. */
import { describe, expect, it } from 'vitest';
import { ConfigError, configWith, isLoopbackHost, loadConfig } from '../../src/config.js';

const noFile = () => {
  throw new Error('no file expected');
};

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has working defaults with an empty environment', () => {
    const config = loadConfig({ env: {}, cwd: '/srv/seatwatch', readFile: noFile });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      dataDir: '/srv/seatwatch/.data',
      trustedProxies: [],
      handshakeTimeoutMs: 10_000,
      retention: { intervalMs: 3_600_000, minimumDays: 60 },
    });
    expect(config.databaseUrl).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.retention)).toBe(true);
  });

  it('reads the file named by SEATWATCH_CONFIG and lets the environment override it', () => {
    const config = loadConfig({
      env: {
        SEATWATCH_CONFIG: 'conf/seatwatch.json',
        SEATWATCH_PORT: '9443',
        SEATWATCH_TRUSTED_PROXIES: '10.0.0.1, 192.168.0.0/16',
        SEATWATCH_TLS_CERT: 'tls/cert.pem',
        SEATWATCH_TLS_KEY: '/etc/tls/key.pem',
      },
      cwd: '/srv',
      readFile: (path) => {
        expect(path).toBe('/srv/conf/seatwatch.json');
        return JSON.stringify({ port: 1, host: '0.0.0.0', retention: { batchSize: 10 } });
      },
    });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 9443,
      trustedProxies: ['10.0.0.1', '192.168.0.0/16'],
      tls: { certFile: '/srv/tls/cert.pem', keyFile: '/etc/tls/key.pem' },
      retention: { batchSize: 10, intervalMs: 3_600_000 },
    });
  });

  it('names every bad setting and where it came from', () => {
    const found = problems(() =>
      loadConfig({
        env: {
          SEATWATCH_CONFIG: '/c.json',
          SEATWATCH_PORT: '70000',
          SEATWATCH_HANDSHAKE_TIMEOUT_MS: 'soon',
          DATABASE_URL: 'mysql://x',
        },
        cwd: '/',
        readFile: () => JSON.stringify({ colour: 'blue' }),
      }),
    );
    expect(found).toEqual(['SEATWATCH_HANDSHAKE_TIMEOUT_MS must be an integer, got "soon"']);

    const schema = problems(() =>
      loadConfig({
        env: { SEATWATCH_CONFIG: '/c.json', SEATWATCH_PORT: '70000', DATABASE_URL: 'mysql://x' },
        cwd: '/',
        readFile: () => JSON.stringify({ colour: 'blue' }),
      }),
    );
    expect(schema).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^port \(from SEATWATCH_PORT\) must be <= 65535/),
        expect.stringMatching(/^databaseUrl \(from DATABASE_URL\) must match pattern/),
        'colour (from /c.json) is not a known setting',
      ]),
    );
  });

  it('takes the minimum retention from SEATWATCH_RETENTION_MINIMUM_DAYS, between 1 and 3650 days', () => {
    const env = (days: string) => ({
      env: { SEATWATCH_RETENTION_MINIMUM_DAYS: days },
      cwd: '/',
      readFile: noFile,
    });
    expect(loadConfig(env('90')).retention).toMatchObject({ minimumDays: 90, intervalMs: 3_600_000 });
    expect(problems(() => loadConfig(env('0')))).toEqual([
      expect.stringMatching(/^retention\.minimumDays \(from SEATWATCH_RETENTION_MINIMUM_DAYS\) must be >= 1/),
    ]);
  });

  it('refuses trusted proxies that are not addresses or CIDRs, and unreadable files', () => {
    expect(problems(() => configWith({ trustedProxies: ['proxy.local'] }))).toEqual([
      'trustedProxies (from configWith()) has "proxy.local": not an IP or CIDR',
    ]);
    expect(
      problems(() =>
        loadConfig({
          env: { SEATWATCH_CONFIG: '/missing.json' },
          cwd: '/',
          readFile: () => {
            throw new Error('ENOENT');
          },
        }),
      )[0],
    ).toBe('cannot read /missing.json (SEATWATCH_CONFIG): ENOENT');
  });
});

describe('isLoopbackHost', () => {
  it('is true only for addresses that other machines cannot reach', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('192.168.1.5')).toBe(false);
  });
});
