/**
 * The CLI's way to the server: the admin HTTP API, with the admin token.
 * Going through the running server (instead of opening the database) keeps
 * one code path for every change, and works with the embedded database,
 * which only the server process may open.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerConfig } from '../config.js';
import { ADMIN_TOKEN_FILE } from '../secrets/secret-files.js';

export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export interface AdminClient {
  readonly url: string;
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
}

/** Where the server answers: --url, SEATWATCH_URL, publicUrl, or host:port from the configuration. */
export function serverUrl(
  config: ServerConfig,
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
): string {
  const chosen = explicit ?? env.SEATWATCH_URL ?? config.publicUrl;
  if (chosen) return chosen.replace(/\/+$/, '');
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return `${config.tls ? 'https' : 'http'}://${hostPart}:${config.port}`;
}

export function adminToken(config: ServerConfig): string {
  if (config.adminToken) return config.adminToken;
  const path = join(config.dataDir, ADMIN_TOKEN_FILE);
  if (!existsSync(path)) {
    throw new CliError(
      `No admin token: ${path} does not exist. Start the server once (it creates the file), ` +
        'or set SEATWATCH_ADMIN_TOKEN / SEATWATCH_DATA_DIR to match the server.',
    );
  }
  return readFileSync(path, 'utf8').trim();
}

export function createAdminClient(url: string, token: string): AdminClient {
  return {
    url,
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      let response: Response;
      try {
        response = await fetch(`${url}/api/v1/admin${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (error) {
        throw new CliError(
          `Cannot reach the server at ${url} (${(error as Error).cause ?? (error as Error).message}). ` +
            'Is it running? Use --url or SEATWATCH_URL if it listens elsewhere.',
        );
      }
      const text = await response.text();
      const parsed: unknown = text ? JSON.parse(text) : null;
      if (!response.ok) {
        const { error, message } = (parsed ?? {}) as { error?: string; message?: string };
        throw new CliError(`${response.status} ${error ?? ''}: ${message ?? text}`.trim());
      }
      return parsed as T;
    },
  };
}
