#!/usr/bin/env node
/**
 * The composition root: reads the configuration from the environment (and
 * SEATWATCH_CONFIG), starts the server, prints where to go next, and shuts
 * down gracefully on SIGINT/SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BlobStoreUnavailableError } from './blobs/blob-store.js';
import { ConfigError, isLoopbackHost, loadConfig, type ServerConfig } from './config.js';
import { PGLITE_FOLDER } from './db/connect.js';
import { AlterableAuditLogError } from './startup/audit-log-role.js';
import { type RunningServer, startServer } from './startup/startup.js';

function banner(config: ServerConfig, server: RunningServer): string {
  const url = config.publicUrl ?? server.url;
  const wsUrl = `${url.replace(/^http/, 'ws')}/api/v1/agent/ws`;
  const database = config.databaseUrl
    ? 'PostgreSQL (DATABASE_URL)'
    : `embedded PGlite in ${join(config.dataDir, PGLITE_FOLDER)} (single site; use PostgreSQL via DATABASE_URL in production)`;
  const token = server.secrets.adminTokenFile
    ? `in ${server.secrets.adminTokenFile} (owner-only file)`
    : 'from SEATWATCH_ADMIN_TOKEN';
  const cli = 'pnpm seatwatch-server';
  return [
    '',
    'Seatwatch collector is running.',
    `  Listening on:    ${server.url}    API docs: ${url}/api/docs`,
    `  Agent endpoint:  ${wsUrl}`,
    `  Database:        ${database}`,
    `  Data folder:     ${config.dataDir}`,
    `  Admin token:     ${token}; send it as "Authorization: Bearer <token>"`,
    '',
    'Next steps (in another terminal, from the same folder):',
    `  1. Create a project:           ${cli} projects create "My contact center"`,
    `  2. Allow your seats' network:  ${cli} allowlist add --project "My contact center" 10.0.0.0/8`,
    '                                 (a project without allowlist entries accepts any IP)',
    `  3. Issue an enrollment token:  ${cli} tokens issue --project "My contact center"`,
    `  4. On each seat, enroll the agent with that token and the server URL ${url}`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  let config: ServerConfig;
  try {
    config = loadConfig({
      env: process.env,
      cwd: process.cwd(),
      readFile: (path) => readFileSync(path, 'utf8'),
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }

  const server = await startServer(config);
  const log = server.app.log;
  for (const warning of server.secrets.warnings) log.warn(warning);
  for (const path of server.secrets.created) log.info({ path }, 'generated a secret file (mode 0600)');
  if (!config.tls && !isLoopbackHost(config.host)) {
    const warning =
      `WARNING: serving plain HTTP on ${config.host}, reachable from other machines. Screenshots and ` +
      'activity travel unencrypted. Give SEATWATCH_TLS_CERT and SEATWATCH_TLS_KEY, or put a TLS proxy in ' +
      'front (docs/deployment.md) and listen on 127.0.0.1.';
    log.warn(warning);
    process.stderr.write(`\n${'!'.repeat(100)}\n${warning}\n${'!'.repeat(100)}\n`);
  }
  if (server.auditLogWarning) {
    process.stderr.write(`\n${'!'.repeat(100)}\n${server.auditLogWarning}\n${'!'.repeat(100)}\n`);
  }
  process.stdout.write(`${banner(config, server)}\n`);
  // The first start creates the installation's administrator; the link is printed, never logged.
  const first = await server.app.seatwatch.accounts.ensureFirstAdministrator();
  if (first) {
    const url = (config.publicUrl ?? server.url).replace(/\/+$/, '');
    process.stdout.write(
      [
        'Dashboard: no administrator has set a password yet. Open this one-time link to do it',
        `(valid until ${new Date(first.expiresAt).toISOString()}; a new one is printed at each start until used):`,
        `  ${url}/setup#token=${first.token}`,
        `  (user name: ${first.username})`,
        '',
      ].join('\n'),
    );
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight commits, closing agent sockets');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  if (error instanceof AlterableAuditLogError || error instanceof BlobStoreUnavailableError) {
    process.stderr.write(`seatwatch-server refused to start: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`seatwatch-server failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
