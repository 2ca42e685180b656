// PostgreSQL only: the CLI speaks HTTP to the server, so the database kind does not change what is tested.
/**
 * seatwatch-server's admin commands, run as a real process (src/cli.ts via
 * tsx) against a running server: create a project, restrict it, issue a
 * token that then enrolls a real agent, list and revoke.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generateKeyPair, toBase64 } from '@seatwatch/shared';
import {
  createTestDatabase,
  httpJson,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

describe('seatwatch-server CLI', () => {
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

  function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--conditions=seatwatch-source', '--import', 'tsx', CLI, ...args],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, SEATWATCH_URL: server.url, SEATWATCH_ADMIN_TOKEN: server.adminToken },
        },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });
  }

  it('administers a project from the command line', async () => {
    const created = await cli('projects', 'create', 'CLI center', '--retention-days', '90', '--json');
    expect(created.code).toBe(0);
    const project = JSON.parse(created.stdout) as { id: string; name: string };
    expect(project.name).toBe('CLI center');

    const added = await cli('allowlist', 'add', '--project', 'CLI center', '127.0.0.1', '--note', 'loopback');
    expect(added).toMatchObject({ code: 0 });
    expect(added.stdout).toContain('127.0.0.1/32');

    const issued = await cli('tokens', 'issue', '--project', project.id, '--max-uses', '2');
    expect(issued.code).toBe(0);
    const token = /\b(swe_[A-Za-z0-9_-]{43})\b/.exec(issued.stdout)?.[1];
    expect(token).toBeDefined();
    const enrolled = await httpJson('POST', `${server.url}/api/v1/enroll`, {
      token,
      publicKey: toBase64(generateKeyPair().publicKey),
      hostname: 'cli-seat',
      os: 'linux',
      osUser: 'op',
      agentVersion: '0.1.0',
    });
    expect(enrolled.status).toBe(201);
    const agentId = (enrolled.body as { agentId: string }).agentId;

    const agents = await cli('agents', 'list', '--project', 'CLI center');
    expect(agents.stdout).toContain(agentId);
    expect(agents.stdout).toContain('cli-seat');
    const revoked = await cli('agents', 'revoke', '--project', 'CLI center', agentId);
    expect(revoked.stdout).toMatch(/revoked/);
  }, 120_000);

  it('explains what went wrong, with exit code 2', async () => {
    const unknown = await cli('tokens', 'list', '--project', 'No such project');
    expect(unknown).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('No project "No such project"'),
    });
    const missing = await cli('allowlist', 'add');
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('--project is required') });
    const bad = await cli('allowlist', 'add', '--project', 'CLI center', 'not-an-ip');
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('bad_request') });
  }, 120_000);
});
