/**
 * Signed frames under legal hold, on PGlite and PostgreSQL (issue #11):
 * from the moment a hold names a seat, the server keeps that seat's frames
 * exactly as they arrived (other seats pay nothing), and a case bundle
 * carries them with the agents' enrolled keys. verify-bundle checks each
 * frame's own signature and that the bundle's events and screenshots are
 * what the frames carried: a frame whose payload was changed fails, naming
 * the frame, even when the manifest is signed again with the server key;
 * so does an event changed to differ from its frame. The same files
 * zipped again (deflated, in another order) still verify.
 *
 * Retention, with a clock past every retention: the held range's rows and
 * the held seat's frames survive (even rows whose legal_hold flag is not
 * set yet, as for a delivery that lands between the job's flag refresh and
 * its deletes), everything else goes; once a second investigator approves
 * the release, they go at the next run.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type Event, encodeTextFrame, toBase64, tweetnaclSigner } from '@seatwatch/shared';
import type { CaseDetail } from '@seatwatch/shared/dashboard-api';
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import { asUser, createSignedInUser } from '@seatwatch/testkit/dashboard-session';
import { buildWorld, DAY, HOUR, type World } from '@seatwatch/testkit/investigation-world';
import {
  captureEvent,
  createTestDatabase,
  DB_KINDS,
  startTestServer,
  type TestDatabase,
  type TestServer,
  testJpeg,
} from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { queryRows } from '../../src/db/connect.js';
import {
  type BundleManifest,
  CHECKSUM_FILE,
  MANIFEST_FILE,
  SIGNATURE_FILE,
  sha256sums,
} from '../../src/evidence/bundle-format.js';
import { verifyBundle } from '../../src/evidence/bundle-verify.js';
import { deleteExpiredRows, deleteExpiredScreenshots } from '../../src/retention/retention.repository.js';
import { runRetention } from '../../src/retention/retention-job.js';

describe.each(DB_KINDS)('signed frames under legal hold on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let world: World;
  let dir: string;
  let caseId: string;
  let entries: Map<string, Buffer>;
  /** The envelope text of frame 4 exactly as the agent sent it (spacing and key order its own). */
  let sentText: string;
  const start = Date.now() - 2 * HOUR;

  const framesOf = (agentId: string) =>
    queryRows<{ seq: string | number; kind: string; envelope: string }>(
      db.database.db,
      sql`select seq, kind, envelope from signed_frames where agent_id = ${agentId} order by seq`,
    );

  async function readZip(path: string): Promise<Map<string, Buffer>> {
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.open(path, { lazyEntries: true }, (error, file) => (error ? reject(error) : resolve(file))),
    );
    const out = new Map<string, Buffer>();
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, async (error, stream) => {
          if (error) return reject(error);
          const chunks: Buffer[] = [];
          for await (const chunk of stream) chunks.push(chunk as Buffer);
          out.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
      });
      zip.on('end', () => resolve());
      zip.on('error', reject);
      zip.readEntry();
    });
    return out;
  }

  /** Zips these files as someone else's tool might: deflated, in the order given. */
  async function zipFiles(path: string, files: Map<string, Buffer>): Promise<void> {
    const zip = new yazl.ZipFile();
    for (const [name, bytes] of files) {
      zip.addReadStreamLazy(name, { compress: true }, (callback) => callback(null, Readable.from([bytes])));
    }
    zip.end();
    const chunks: Buffer[] = [];
    for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
    await writeFile(path, Buffer.concat(chunks));
  }

  /**
   * The bundle with some data files changed, its manifest brought in step
   * and signed again by the server key itself: only the seat's signatures
   * can tell.
   */
  async function forged(name: string, change: Map<string, Buffer>): Promise<string> {
    const files = new Map(entries);
    for (const [path, bytes] of change) files.set(path, bytes);
    const manifest = JSON.parse(files.get(MANIFEST_FILE)!.toString('utf8')) as BundleManifest;
    const listed = manifest.files.filter((f) => f.path !== CHECKSUM_FILE);
    for (const file of listed) {
      const bytes = files.get(file.path)!;
      file.sha256 = sha256Hex(bytes);
      file.size = bytes.length;
    }
    files.set(CHECKSUM_FILE, Buffer.from(sha256sums(listed)));
    const sums = files.get(CHECKSUM_FILE)!;
    manifest.files = manifest.files.map((f) =>
      f.path === CHECKSUM_FILE ? { ...f, sha256: sha256Hex(sums), size: sums.length } : f,
    );
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    files.set(MANIFEST_FILE, manifestBytes);
    const signer = tweetnaclSigner(server.identity.serverKeys.secretKey);
    files.set(SIGNATURE_FILE, Buffer.from(signer.sign(manifestBytes)));
    const path = join(dir, name);
    await zipFiles(path, files);
    return path;
  }

  const late = (time: number): Event[] => [
    { type: 'activity', time, end: time + 60_000, app: 'mail', title: 'Late evidence — Zoë\u0000' },
    { type: 'status', time: time + 60_000, state: 'active', idleMs: 0 },
  ];

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db });
    world = await buildWorld(server, start);
    dir = await mkdtemp(join(tmpdir(), 'seatwatch-frames-'));
    const { client } = world.seats.a1;
    // Before any hold: nothing of this seat is kept verbatim.
    client.sendBatch(3, late(start + 2_400_000));
    await client.ack(3);
    const created = await asUser<CaseDetail>(server, world.who.invA, 'POST', '/api/v1/investigation/cases', {
      projectId: world.projects.A,
      title: 'Signed frames',
    });
    caseId = created.body.case.id;
    await asUser(server, world.who.invA, 'POST', `/api/v1/investigation/cases/${caseId}/items`, {
      kind: 'time_range',
      seatId: world.seats.a1.seatId,
      from: start,
      to: start + HOUR,
    });
    const placed = await asUser(
      server,
      world.who.invA,
      'POST',
      `/api/v1/investigation/cases/${caseId}/legal-hold`,
      {
        hold: true,
        reason: 'litigation 2026-99',
      },
    );
    expect(placed.status).toBe(200);

    // Held now: a batch in the agent's own spelling of the envelope, and a screenshot.
    const payload = JSON.stringify(client.batchPayload(4, late(start + 2_000_000)));
    const signature = JSON.parse(encodeTextFrame(JSON.parse(payload), 'agent', world.seats.a1.agent.signer))
      .s as string;
    sentText = `{ "s": ${JSON.stringify(signature)},\n  "p": ${JSON.stringify(payload)} }`;
    client.sendRaw(sentText);
    const jpeg = await testJpeg(72, 40);
    client.sendBlob(5, jpeg, { event: captureEvent({ time: start + 2_100_000, width: 72, height: 40 }) });
    await client.ack(5);
    // Another seat, not held.
    world.seats.a2.client.sendBatch(3, late(start + 2_000_000));
    await world.seats.a2.client.ack(3);

    const answer = await fetch(`${server.url}/api/v1/investigation/cases/${caseId}/export`, {
      method: 'POST',
      headers: {
        cookie: world.who.invA.cookie,
        'x-csrf-token': world.who.invA.csrf,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ reason: 'for the court' }),
    });
    expect(answer.status).toBe(200);
    const path = join(dir, 'case.zip');
    await writeFile(path, Buffer.from(await answer.arrayBuffer()));
    entries = await readZip(path);
  }, 180_000);

  afterAll(async () => {
    await world?.close();
    await server?.close();
    await db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps a held seat’s frames from the hold on, exactly as sent; other seats pay nothing', async () => {
    const frames = await framesOf(world.seats.a1.agent.agentId);
    expect(frames.map((f) => [Number(f.seq), f.kind])).toEqual([
      [4, 'batch'],
      [5, 'blob'],
    ]);
    expect(frames[0]!.envelope).toBe(sentText);
    expect(await framesOf(world.seats.a2.agent.agentId)).toEqual([]);
  });

  it('keeps the frames of a seat held as a whole through the admin API, from that moment on', async () => {
    const { client, agent, seatId } = world.seats.b1;
    client.sendBatch(3, late(start + 2_000_000));
    await client.ack(3);
    const path = `/projects/${world.projects.B}/seats/${seatId}/legal-hold`;
    await server.adminOk('PUT', path, { hold: true, reason: 'complaint 4411' });
    client.sendBatch(4, late(start + 2_200_000));
    await client.ack(4);
    // Released with four eyes: the admin token asks, a signed-in administrator approves.
    expect((await server.admin('PUT', path, { hold: false, reason: 'complaint withdrawn' })).status).toBe(
      202,
    );
    const approved = await asUser(server, world.who.root, 'PUT', `/api/v1/admin${path}`, {
      hold: false,
      reason: 'confirmed with legal',
    });
    expect(approved.status).toBe(200);
    client.sendBatch(5, late(start + 2_300_000));
    await client.ack(5);
    expect((await framesOf(agent.agentId)).map((f) => Number(f.seq))).toEqual([4]);
  });

  it('puts the frames and the enrolled keys in the case bundle, and verify-bundle checks them', async () => {
    const frames = JSON.parse(entries.get('data/signed_frames.json')!.toString('utf8')) as Array<{
      seq: number;
      envelope: string;
    }>;
    expect(frames.map((f) => f.seq)).toEqual([4, 5]);
    expect(frames[0]!.envelope).toBe(sentText);
    const agents = JSON.parse(entries.get('data/agents.json')!.toString('utf8')) as Array<{
      id: string;
      public_key: string;
    }>;
    expect(agents).toContainEqual(
      expect.objectContaining({
        id: world.seats.a1.agent.agentId,
        public_key: toBase64(world.seats.a1.agent.keys.publicKey),
      }),
    );
    const result = await verifyBundle(join(dir, 'case.zip'), server.identity.serverKeys.publicKey);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    // Frame 4's two events (one with a NUL the server removed, as ingest does) and frame 5's capture.
    expect(result.signedFrames).toEqual({ frames: 2, events: 3, screenshots: 1 });
  });

  it('still verifies when the same files are zipped again, deflated and in another order', async () => {
    const path = join(dir, 'rezipped.zip');
    await zipFiles(path, new Map([...entries].reverse()));
    const result = await verifyBundle(path, server.identity.serverKeys.publicKey);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.signedFrames?.frames).toBe(2);
  });

  it('names the frame whose payload was changed, though the server key signed the manifest again', async () => {
    const frames = JSON.parse(entries.get('data/signed_frames.json')!.toString('utf8')) as Array<
      Record<string, unknown>
    >;
    const original = frames[0]!.envelope as string;
    frames[0]!.envelope = original.replace('Late evidence', 'Nothing to see');
    expect(frames[0]!.envelope).not.toBe(original);
    const path = await forged(
      'forged-frame.zip',
      new Map([['data/signed_frames.json', Buffer.from(JSON.stringify(frames))]]),
    );
    const result = await verifyBundle(path, server.identity.serverKeys.publicKey);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.stringContaining(
        `signed frame ${world.seats.a1.agent.agentId}/4 (id ${String(frames[0]!.id)}): the agent's signature does not verify`,
      ),
    ]);
  });

  it('names an event that differs from the frame that carried it', async () => {
    const events = JSON.parse(entries.get('data/events.json')!.toString('utf8')) as Array<{
      id: number;
      seq: number;
      agent_id: string;
      body: { title?: string };
    }>;
    const event = events.find(
      (e) => e.agent_id === world.seats.a1.agent.agentId && e.seq === 4 && e.body.title,
    )!;
    event.body.title = 'Ticket 1 — nothing unusual';
    const path = await forged(
      'forged-event.zip',
      new Map([['data/events.json', Buffer.from(JSON.stringify(events))]]),
    );
    const result = await verifyBundle(path, server.identity.serverKeys.publicKey);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      `event id ${event.id} does not match what signed frame ${world.seats.a1.agent.agentId}/4 carried`,
    ]);
  });
  describe('and retention, with a clock past every retention', () => {
    const future = () => Date.now() + 400 * DAY;
    const rowsOf = async (table: string, agentId: string) =>
      (
        await queryRows<{ n: number }>(
          db.database.db,
          sql`select count(*)::int as n from ${sql.raw(table)} where agent_id = ${agentId}`,
        )
      )[0]!.n;
    const retention = () =>
      runRetention({
        database: db.database,
        blobs: server.blobs,
        now: future,
        batchSize: 1000,
        logger: server.app.log,
      });

    it('keeps a held range even where its rows are not flagged yet, and the held seat’s frames', async () => {
      const a1 = world.seats.a1.agent.agentId;
      // A delivery that lands after the job refreshed the flags: its rows are not flagged.
      for (const table of ['events', 'activity_spans', 'device_events', 'screenshots']) {
        await db.database.db.execute(
          sql`update ${sql.raw(table)} set legal_hold = false where agent_id = ${a1}`,
        );
      }
      const before = { events: await rowsOf('events', a1), spans: await rowsOf('activity_spans', a1) };
      const cutoff = new Date(future());
      for (const table of ['events', 'activity_spans', 'device_events', 'signed_frames'] as const) {
        await deleteExpiredRows(db.database.db, table, world.projects.A, cutoff, 1000);
      }
      await deleteExpiredScreenshots(db.database.db, world.projects.A, cutoff, 1000);
      expect(await rowsOf('events', a1)).toBe(before.events);
      expect(await rowsOf('activity_spans', a1)).toBe(before.spans);
      expect(await rowsOf('screenshots', a1)).toBe(2);
      expect(await rowsOf('signed_frames', a1)).toBe(2);
      // The seat outside the hold lost everything.
      expect(await rowsOf('events', world.seats.a2.agent.agentId)).toBe(0);
      expect(await rowsOf('screenshots', world.seats.a2.agent.agentId)).toBe(0);

      const report = await retention();
      expect(report.ran).toBe(true);
      expect(await rowsOf('events', a1)).toBe(before.events);
      expect(await rowsOf('signed_frames', a1)).toBe(2);
    });

    it('lets them go at the next run once a second investigator approved the release', async () => {
      const a1 = world.seats.a1.agent.agentId;
      const path = `/api/v1/investigation/cases/${caseId}/legal-hold`;
      const body = { hold: false, reason: 'matter settled' };
      expect((await asUser(server, world.who.invA, 'POST', path, body)).status).toBe(202);
      await retention();
      expect(await rowsOf('signed_frames', a1)).toBe(2);
      const second = await createSignedInUser(server, `inv-a2-${kind}`, [
        { role: 'investigator', projectId: world.projects.A, teamId: null },
      ]);
      expect((await asUser(server, second, 'POST', path, body)).status).toBe(200);
      const report = await retention();
      expect(report.rows.signed_frames).toBe(2);
      for (const table of ['events', 'activity_spans', 'device_events', 'screenshots', 'signed_frames']) {
        expect({ table, n: await rowsOf(table, a1) }).toEqual({ table, n: 0 });
      }
    });
  });
});
