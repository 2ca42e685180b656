/**
 * The data folder at rest (issue #11), with the real startServer() on
 * PostgreSQL (the folder's treatment does not depend on the database): a
 * folder that was there already with mode 0755 is owner-only (0700) once
 * the server has started, and the screenshots an agent sends are stored
 * under keyed names: the SHA-256 of an image is in no file name, so
 * nobody who can list the folder can tell whether a known image is there.
 */
import { chmod, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import {
  connectAgent,
  createTestDatabase,
  createTestProject,
  enrollTestAgent,
  httpJson,
  startConfiguredServer,
  type TestDatabase,
  testJpeg,
} from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobNames } from '../../src/blobs/blob-store.js';
import { queryRows } from '../../src/db/connect.js';
import type { RunningServer } from '../../src/startup/startup.js';

describe('the data folder', () => {
  let db: TestDatabase;
  let dir: string;
  let dataDir: string;
  let running: RunningServer;
  const adminToken = 'data-folder-admin-token-0123456789';

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    dir = await mkdtemp(join(tmpdir(), 'seatwatch-data-folder-'));
    dataDir = join(dir, 'data');
    await mkdir(dataDir, { mode: 0o755 });
    // Whatever the umask, the folder starts readable by everyone.
    await chmod(dataDir, 0o755);
    running = await startConfiguredServer({
      databaseUrl: db.url!,
      dir,
      env: { SEATWATCH_DATA_DIR: dataDir, SEATWATCH_ADMIN_TOKEN: adminToken },
    });
  }, 120_000);

  afterAll(async () => {
    await running?.close();
    await db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is owner-only (0700) after a start, though it was 0755 before', async () => {
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
  });

  it('keeps screenshots under keyed names: no image’s SHA-256 is in any file name', async () => {
    const admin = <T>(method: string, path: string, body?: unknown) =>
      httpJson<T>(method, `${running.url}/api/v1/admin${path}`, body, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
    const endpoint = {
      url: running.url,
      wsUrl: `${running.url.replace('http', 'ws')}/api/v1/agent/ws`,
      admin,
      async adminOk<T>(method: string, path: string, body?: unknown) {
        const answer = await admin<T>(method, path, body);
        if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status}`);
        return answer.body;
      },
    };
    const { projectId } = await createTestProject(endpoint, { name: 'Data folder' });
    const agent = await enrollTestAgent(endpoint, { projectId, hostname: 'desk-df' });
    const client = await connectAgent(endpoint, agent);
    const image = await testJpeg(320, 200);
    try {
      client.sendBlob(1, image);
      await client.ack(1);
    } finally {
      await client.close();
    }
    const [shot] = await queryRows<{ sha256: string }>(
      db.database.db,
      sql`select sha256 from screenshots where agent_id = ${agent.agentId}`,
    );
    expect(shot!.sha256).toBe(sha256Hex(image));
    const names = (await readdir(join(dataDir, 'blobs'), { recursive: true })).sort();
    const keyed = (hash: string) => join(...blobNames(running.secrets.blobKey).keyed(hash));
    // The image only: a thumbnail is made when first viewed.
    expect(names.filter((name) => name.includes('/'))).toEqual([keyed(shot!.sha256)]);
    expect(names.join('\n')).not.toContain(shot!.sha256);
    expect(names.join('\n')).not.toContain(shot!.sha256.slice(0, 16));
    expect(await running.app.seatwatch.blobs.get(shot!.sha256)).toEqual(image);
  });
});
