#!/usr/bin/env node
/**
 * seatwatch-server: `serve` (the default) starts the collector; `migrate`
 * applies database migrations; the other commands administer a running
 * server through its admin API (see cli/admin-client.ts for why).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type AdminClient, adminToken, CliError, createAdminClient, serverUrl } from './cli/admin-client.js';
import { INVESTIGATION_COMMANDS, INVESTIGATION_USAGE } from './cli/investigation-commands.js';
import { ConfigError, loadConfig, type ServerConfig } from './config.js';

const USAGE = `Usage: seatwatch-server [command] [options]

  serve                                   start the collector (the default)
  migrate                                 apply database migrations, put back dropped audit triggers,
                                          grant SEATWATCH_DATABASE_APP_ROLE (if set), and exit

  projects list
  projects create <name> [--retention-days N]
  sites list   --project P
  sites create --project P <name>
  teams list   --project P
  teams create --project P [--site S] <name>
  seats list   --project P
  seats create --project P [--site S] [--team T] <name>
  tokens issue  --project P [--site S] [--max-uses N] [--expires-in-hours H] [--label TEXT]
  tokens list   --project P
  tokens revoke --project P <token-id>
  allowlist list   --project P
  allowlist add    --project P [--site S] <ip-or-cidr> [--note TEXT]
  allowlist remove --project P <entry-id>
  agents list   --project P
  agents revoke --project P <agent-id>

${INVESTIGATION_USAGE}

Projects, sites and teams may be given by id or by name. Admin commands talk
to the running server: --url URL (or SEATWATCH_URL; default from the server
configuration) with the admin token (SEATWATCH_ADMIN_TOKEN, or the
admin-token file in the data folder). --json prints the API's JSON answer.`;

const OPTIONS = {
  project: { type: 'string' },
  site: { type: 'string' },
  team: { type: 'string' },
  'retention-days': { type: 'string' },
  'max-uses': { type: 'string' },
  'expires-in-hours': { type: 'string' },
  label: { type: 'string' },
  note: { type: 'string' },
  url: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

interface Named {
  id: string;
  name: string;
}

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new CliError(`--${flag} must be a whole number, got "${value}"`);
  return Number.parseInt(value, 10);
}

function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cell = (value: unknown) =>
    value === null || value === undefined
      ? '-'
      : value instanceof Object
        ? JSON.stringify(value)
        : String(value);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

class Admin {
  constructor(
    private readonly client: AdminClient,
    private readonly values: Values,
  ) {}

  call<T>(method: string, path: string, body?: unknown) {
    return this.client.call<T>(method, path, body);
  }

  async resolve(kind: 'projects' | 'sites' | 'teams', ref: string, projectId?: string): Promise<string> {
    const path = kind === 'projects' ? '/projects' : `/projects/${projectId}/${kind}`;
    const items = await this.call<Named[]>('GET', path);
    const found = items.find((item) => item.id === ref) ?? items.filter((item) => item.name === ref);
    if (!Array.isArray(found)) return found.id;
    if (found.length === 1) return found[0]!.id;
    const noun = kind.slice(0, -1);
    throw new CliError(
      found.length === 0 ? `No ${noun} "${ref}"` : `Several ${kind} are named "${ref}"; use the id`,
    );
  }

  async project(): Promise<string> {
    if (!this.values.project) throw new CliError('--project is required');
    return this.resolve('projects', this.values.project);
  }

  async optional(kind: 'sites' | 'teams', ref: string | undefined, projectId: string) {
    return ref === undefined ? undefined : this.resolve(kind, ref, projectId);
  }
}

async function admin(
  area: string,
  action: string | undefined,
  args: string[],
  values: Values,
  client: AdminClient,
) {
  const a = new Admin(client, values);
  const arg = (name: string) => {
    const value = args[0];
    if (!value) throw new CliError(`Missing <${name}>. See seatwatch-server --help`);
    return value;
  };
  const key = `${area} ${action ?? ''}`.trim();
  switch (key) {
    case 'projects list':
      return { data: await a.call('GET', '/projects'), columns: ['id', 'name', 'createdAt'] };
    case 'projects create': {
      const retentionDays = integer(values['retention-days'], 'retention-days');
      const project = await a.call('POST', '/projects', {
        name: arg('name'),
        ...(retentionDays ? { retentionDays } : {}),
      });
      return { data: project, columns: ['id', 'name', 'createdAt'] };
    }
    case 'sites list':
      return { data: await a.call('GET', `/projects/${await a.project()}/sites`), columns: ['id', 'name'] };
    case 'sites create':
      return {
        data: await a.call('POST', `/projects/${await a.project()}/sites`, { name: arg('name') }),
        columns: ['id', 'name'],
      };
    case 'teams list':
      return {
        data: await a.call('GET', `/projects/${await a.project()}/teams`),
        columns: ['id', 'name', 'siteId'],
      };
    case 'teams create': {
      const projectId = await a.project();
      const siteId = await a.optional('sites', values.site, projectId);
      return {
        data: await a.call('POST', `/projects/${projectId}/teams`, {
          name: arg('name'),
          ...(siteId ? { siteId } : {}),
        }),
        columns: ['id', 'name', 'siteId'],
      };
    }
    case 'seats list':
      return {
        data: await a.call('GET', `/projects/${await a.project()}/seats`),
        columns: ['id', 'name', 'siteId', 'teamId', 'legalHold'],
      };
    case 'seats create': {
      const projectId = await a.project();
      const siteId = await a.optional('sites', values.site, projectId);
      const teamId = await a.optional('teams', values.team, projectId);
      return {
        data: await a.call('POST', `/projects/${projectId}/seats`, {
          name: arg('name'),
          ...(siteId ? { siteId } : {}),
          ...(teamId ? { teamId } : {}),
        }),
        columns: ['id', 'name', 'siteId', 'teamId'],
      };
    }
    case 'tokens issue': {
      const projectId = await a.project();
      const siteId = await a.optional('sites', values.site, projectId);
      const maxUses = integer(values['max-uses'], 'max-uses');
      const expiresInHours = integer(values['expires-in-hours'], 'expires-in-hours');
      const issued = await a.call<{ token: string; expiresAt: string; maxUses: number }>(
        'POST',
        `/projects/${projectId}/tokens`,
        {
          ...(siteId ? { siteId } : {}),
          ...(maxUses ? { maxUses } : {}),
          ...(expiresInHours ? { expiresInHours } : {}),
          ...(values.label ? { label: values.label } : {}),
        },
      );
      return {
        data: issued,
        text:
          `Enrollment token (shown only now; the server keeps only its hash):\n\n  ${issued.token}\n\n` +
          `Valid until ${issued.expiresAt} for ${issued.maxUses} enrollment(s).`,
      };
    }
    case 'tokens list':
      return {
        data: await a.call('GET', `/projects/${await a.project()}/tokens`),
        columns: ['id', 'label', 'siteId', 'uses', 'maxUses', 'expiresAt', 'revokedAt'],
      };
    case 'tokens revoke':
      return {
        data: await a.call(
          'POST',
          `/projects/${await a.project()}/tokens/${encodeURIComponent(arg('token-id'))}/revoke`,
        ),
        columns: ['id', 'label', 'revokedAt'],
      };
    case 'allowlist list': {
      const entries = await a.call<unknown[]>('GET', `/projects/${await a.project()}/allowlist`);
      return {
        data: entries,
        columns: ['id', 'cidr', 'siteId', 'note'],
        ...(entries.length === 0 ? { text: '(no entries: this project accepts agents from any IP)' } : {}),
      };
    }
    case 'allowlist add': {
      const projectId = await a.project();
      const siteId = await a.optional('sites', values.site, projectId);
      return {
        data: await a.call('POST', `/projects/${projectId}/allowlist`, {
          cidr: arg('ip-or-cidr'),
          ...(siteId ? { siteId } : {}),
          ...(values.note ? { note: values.note } : {}),
        }),
        columns: ['id', 'cidr', 'siteId', 'note'],
      };
    }
    case 'allowlist remove':
      await a.call(
        'DELETE',
        `/projects/${await a.project()}/allowlist/${encodeURIComponent(arg('entry-id'))}`,
      );
      return { data: { removed: args[0] }, text: `Removed ${args[0]}` };
    case 'agents list':
      return {
        data: await a.call('GET', `/projects/${await a.project()}/agents`),
        columns: ['id', 'hostname', 'osUser', 'status', 'connected', 'lastIp', 'lastSeenAt', 'ackedSeq'],
      };
    case 'agents revoke':
      return {
        data: await a.call(
          'POST',
          `/projects/${await a.project()}/agents/${encodeURIComponent(arg('agent-id'))}/revoke`,
        ),
        columns: ['id', 'hostname', 'status', 'revokedAt'],
      };
    default:
      throw new CliError(`Unknown command "${key}". See seatwatch-server --help`);
  }
}

function readConfig(): ServerConfig {
  return loadConfig({ env: process.env, cwd: process.cwd(), readFile: (path) => readFileSync(path, 'utf8') });
}

async function run(argv: string[]): Promise<void> {
  // Audit log and evidence commands (issue #7) parse their own options; verify-bundle needs no configuration.
  if (argv[0] !== undefined && INVESTIGATION_COMMANDS.has(argv[0])) {
    const { runInvestigationCommand } = await import('./cli/investigation-cli.js');
    process.exitCode = await runInvestigationCommand(argv, {
      out: (text) => process.stdout.write(`${text}\n`),
      err: (text) => process.stderr.write(`${text}\n`),
      readConfig,
      cwd: process.cwd(),
    });
    return;
  }
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const [command = 'serve', action, ...rest] = positionals;
  if (command === 'serve') {
    await import('./main.js');
    return;
  }
  const config = readConfig();
  if (command === 'migrate') {
    // Loaded only here: the admin commands need none of the database code.
    const { withDatabase } = await import('./startup/startup.js');
    await withDatabase(config, async () => {});
    process.stdout.write(
      `Migrations applied, audit triggers checked (${config.databaseUrl ? 'PostgreSQL' : 'embedded PGlite'})` +
        `${config.databaseAppRole ? `; ${config.databaseAppRole} granted what the server needs` : ''}.\n`,
    );
    return;
  }
  const client = createAdminClient(serverUrl(config, values.url, process.env), adminToken(config));
  const result = await admin(command, action, rest, values, client);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result.data, null, 2)}\n`);
    return;
  }
  const lines: string[] = [];
  if ('columns' in result && result.columns) {
    const rows = (Array.isArray(result.data) ? result.data : [result.data]) as Array<Record<string, unknown>>;
    lines.push(table(rows, result.columns));
  }
  if ('text' in result && result.text) lines.push(result.text);
  process.stdout.write(`${lines.join('\n')}\n`);
}

run(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof CliError || error instanceof ConfigError) {
    process.stderr.write(`seatwatch-server: ${error.message}\n`);
    process.exit(2);
  }
  if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`seatwatch-server: ${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`seatwatch-server: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
