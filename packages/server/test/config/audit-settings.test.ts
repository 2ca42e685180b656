/** The audit settings of issue #11: production mode, the application role, where checkpoints go. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const noFile = () => {
  throw new Error('no file expected');
};
const load = (env: Record<string, string>) => loadConfig({ env, cwd: '/srv/seatwatch', readFile: noFile });

describe('audit settings', () => {
  it('default: not production, checkpoints hourly into the data folder', () => {
    const config = load({});
    expect(config).toMatchObject({
      production: false,
      allowAlterableAuditLog: false,
      auditCheckpoints: { intervalMs: 3_600_000, file: '/srv/seatwatch/.data/audit-checkpoints.jsonl' },
    });
    expect(config.databaseAppRole).toBeUndefined();
  });

  it('NODE_ENV=production turns production mode on, unless SEATWATCH_PRODUCTION says otherwise', () => {
    expect(load({ NODE_ENV: 'production' }).production).toBe(true);
    expect(load({ NODE_ENV: 'production', SEATWATCH_PRODUCTION: 'false' }).production).toBe(false);
    expect(load({ NODE_ENV: 'development' }).production).toBe(false);
    expect(load({ SEATWATCH_PRODUCTION: 'true', SEATWATCH_ALLOW_ALTERABLE_AUDIT_LOG: 'true' })).toMatchObject(
      {
        production: true,
        allowAlterableAuditLog: true,
      },
    );
  });

  it('reads the role and the checkpoint receivers from the environment', () => {
    const config = load({
      SEATWATCH_DATABASE_APP_ROLE: 'seatwatch_app',
      SEATWATCH_AUDIT_CHECKPOINT_INTERVAL_MS: '60000',
      SEATWATCH_AUDIT_CHECKPOINT_FILE: 'anchors/audit.jsonl',
      SEATWATCH_AUDIT_CHECKPOINT_SYSLOG_HOST: 'siem.internal',
      SEATWATCH_AUDIT_CHECKPOINT_SYSLOG_TRANSPORT: 'tcp',
      SEATWATCH_AUDIT_CHECKPOINT_WEBHOOK_URL: 'https://hooks.example.com/audit',
      SEATWATCH_AUDIT_CHECKPOINT_TSA_URL: 'http://tsa.example.com/',
    });
    expect(config.databaseAppRole).toBe('seatwatch_app');
    expect(config.auditCheckpoints).toEqual({
      intervalMs: 60_000,
      file: '/srv/seatwatch/anchors/audit.jsonl',
      syslog: { host: 'siem.internal', port: 514, transport: 'tcp', facility: 13 },
      webhookUrl: 'https://hooks.example.com/audit',
      timestampAuthorityUrl: 'http://tsa.example.com/',
    });
  });

  it('refuses a role name that is no plain SQL identifier, and an unknown transport', () => {
    expect(() => load({ SEATWATCH_DATABASE_APP_ROLE: 'app"; drop table audit_log; --' })).toThrow(
      ConfigError,
    );
    expect(() =>
      load({
        SEATWATCH_AUDIT_CHECKPOINT_SYSLOG_HOST: 'siem',
        SEATWATCH_AUDIT_CHECKPOINT_SYSLOG_TRANSPORT: 'smtp',
      }),
    ).toThrow(ConfigError);
  });
});
