/**
 * Evidence bundles end to end on PostgreSQL: an investigator builds a case
 * over HTTP (opened from nothing, a screenshot, a time range, a note),
 * exports it, and the file verifies offline — with verify-bundle, and with
 * standard tools (unzip, sha256sum, openssl). A changed screenshot, a
 * changed manifest, a removed file and a changed zip header byte each fail.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { AuditPage, CaseDetail } from '@seatwatch/shared/dashboard-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { runInvestigationCommand } from '../../src/cli/investigation-cli.js';
import { configWith } from '../../src/config.js';
import { entryOptions } from '../../src/evidence/bundle-format.js';
import { verifyBundle } from '../../src/evidence/bundle-verify.js';
import { asUser } from '../dashboard/support/dashboard-session.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../support/index.js';
import { buildWorld, HOUR, type World } from './support/investigation-world.js';

let db: TestDatabase;
let server: TestServer;
let world: World;
let dir: string;
let bundle: Buffer;
let bundlePath: string;
const start = Date.now() - 2 * HOUR;

async function entriesOf(path: string): Promise<Map<string, Buffer>> {
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

/** Writes a zip of these entries the way the server does (same order, same fixed metadata). */
async function rezip(path: string, entries: Map<string, Buffer>, exportedAtMs: number): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, bytes] of entries) {
    zip.addReadStreamLazy(name, entryOptions(exportedAtMs), (callback) =>
      callback(null, Readable.from([bytes])),
    );
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  await writeFile(path, Buffer.concat(chunks));
}

beforeAll(async () => {
  db = await createTestDatabase('postgres');
  server = await startTestServer({ database: db });
  world = await buildWorld(server, start);
  dir = await mkdtemp(join(tmpdir(), 'seatwatch-bundle-'));
  const inv = world.who.invA;
  const created = await asUser<CaseDetail>(server, inv, 'POST', '/api/v1/investigation/cases', {
    projectId: world.projects.A,
    title: 'USB leak on desk-a1',
    description: 'Reported by the team lead',
  });
  const caseId = created.body.case.id;
  await asUser(server, inv, 'POST', `/api/v1/investigation/cases/${caseId}/items`, {
    kind: 'screenshot',
    refId: world.seats.a1.screenshotId,
  });
  await asUser(server, inv, 'POST', `/api/v1/investigation/cases/${caseId}/items`, {
    kind: 'time_range',
    seatId: world.seats.a1.seatId,
    from: start,
    to: start + HOUR,
    note: 'the hour of the leak',
  });
  await asUser(server, inv, 'POST', `/api/v1/investigation/cases/${caseId}/notes`, {
    body: 'Stick was a SanDisk.',
  });
  const answer = await fetch(`${server.url}/api/v1/investigation/cases/${caseId}/export`, {
    method: 'POST',
    headers: { cookie: inv.cookie, 'x-csrf-token': inv.csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'handover to legal' }),
  });
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toBe('application/zip');
  bundle = Buffer.from(await answer.arrayBuffer());
  bundlePath = join(dir, 'case.zip');
  await writeFile(bundlePath, bundle);
}, 180_000);

afterAll(async () => {
  await world?.close();
  await server?.close();
  await db?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a case bundle', () => {
  it('verifies with the server key and holds the case, its rows, its screenshot and its audit entries', async () => {
    const result = await verifyBundle(bundlePath, server.serverKeys.publicKey);
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ ok: true, keySource: 'pinned' });
    const manifest = result.manifest!;
    expect(manifest).toMatchObject({ kind: 'case', exportedBy: 'user:inv-a', reason: 'handover to legal' });
    const files = await entriesOf(bundlePath);
    const names = [...files.keys()];
    expect(names.filter((name) => name.startsWith('screenshots/'))).toEqual([
      expect.stringMatching(/^screenshots\/.*_[0-9]+\.jpg$/),
    ]);
    expect(names.filter((name) => !name.startsWith('screenshots/')).sort()).toEqual(
      [
        'SHA256SUMS',
        'audit.csv',
        'audit.json',
        'case.json',
        'data/activity_spans.csv',
        'data/activity_spans.json',
        'data/anomalies.csv',
        'data/anomalies.json',
        'data/device_events.csv',
        'data/device_events.json',
        'data/events.csv',
        'data/events.json',
        'data/logins.csv',
        'data/logins.json',
        'data/screenshots.csv',
        'data/screenshots.json',
        'manifest.json',
        'manifest.sig',
        'server-public-key.pem',
      ].sort(),
    );
    const shot = [...files.entries()].find(([name]) => name.startsWith('screenshots/'))!;
    expect(new Uint8Array(shot[1])).toEqual(world.seats.a1.jpeg);
    const spans = JSON.parse(files.get('data/activity_spans.json')!.toString()) as Array<{ title: string }>;
    expect(spans.map((span) => span.title)).toEqual([
      'Ticket 4711 — Customer Müller',
      'Payment portal',
      '=Ticket 4712 (cmd|calc)',
    ]);
    // A title that looks like a formula stays text in a spreadsheet.
    expect(files.get('data/activity_spans.csv')!.toString()).toContain(",'=Ticket 4712 (cmd|calc),");
    const audit = JSON.parse(files.get('audit.json')!.toString()) as Array<{ action: string }>;
    expect(audit.map((entry) => entry.action)).toEqual(
      expect.arrayContaining(['case.create', 'case.item_add', 'case.note', 'case.export']),
    );
    expect(manifest.counts).toMatchObject({ activity_spans: 3, device_events: 1, screenshots: 1, events: 6 });
  });

  it('verifies with standard tools: unzip, sha256sum -c and openssl pkeyutl -verify -rawin', async () => {
    const out = join(dir, 'unpacked');
    execFileSync('unzip', ['-q', bundlePath, '-d', out]);
    const sums = execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out }).toString();
    expect(sums).toMatch(/screenshots\/.*: OK/);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as {
      files: Array<{ path: string; sha256: string }>;
    };
    const sumsLine = manifest.files.find((file) => file.path === 'SHA256SUMS')!;
    expect(execFileSync('sha256sum', ['SHA256SUMS'], { cwd: out }).toString().split(' ')[0]).toBe(
      sumsLine.sha256,
    );
    const verified = execFileSync(
      'openssl',
      [
        'pkeyutl',
        '-verify',
        '-pubin',
        '-inkey',
        'server-public-key.pem',
        '-rawin',
        '-in',
        'manifest.json',
        '-sigfile',
        'manifest.sig',
      ],
      { cwd: out },
    ).toString();
    expect(verified).toContain('Signature Verified Successfully');
  });

  it('seatwatch-server verify-bundle accepts it (exit 0), pinned to the server key', async () => {
    const lines: string[] = [];
    const io = {
      out: (text: string) => lines.push(text),
      err: (text: string) => lines.push(text),
      readConfig: () => configWith({ dataDir: join(dir, 'no-such-server') }),
      cwd: dir,
    };
    const key = Buffer.from(server.serverKeys.publicKey).toString('base64');
    expect(await runInvestigationCommand(['verify-bundle', 'case.zip', '--public-key', key], io)).toBe(0);
    expect(lines.join('\n')).toContain('signed by the expected server key');
    lines.length = 0;
    expect(await runInvestigationCommand(['verify-bundle', 'case.zip'], io)).toBe(0);
    expect(lines.join('\n')).toContain('NOT PINNED');
  });
});

describe('tampering', () => {
  const tampered = async (name: string, change: (bytes: Buffer) => Buffer | Promise<Buffer>) => {
    const path = join(dir, name);
    await writeFile(path, await change(Buffer.from(bundle)));
    return verifyBundle(path, server.serverKeys.publicKey);
  };

  it('one changed byte in a screenshot fails', async () => {
    const jpeg = Buffer.from(world.seats.a1.jpeg);
    const result = await tampered('shot.zip', (bytes) => {
      const at = bytes.indexOf(jpeg) + 200;
      bytes[at] = bytes[at]! ^ 0x01;
      return bytes;
    });
    expect(result.ok).toBe(false);
    expect(result.problems.join('\n')).toMatch(
      /screenshots\/.*does not match its SHA-256|CRC|could not read/,
    );
  });

  it('one changed byte in the manifest fails the signature', async () => {
    const result = await tampered('manifest.zip', (bytes) => {
      const at = bytes.indexOf(Buffer.from('"exportedBy": "user:inv-a"')) + 17;
      bytes[at] = 'X'.charCodeAt(0);
      return bytes;
    });
    expect(result.ok).toBe(false);
    expect(result.problems.join('\n')).toContain('manifest.sig is not a valid signature');
  });

  it('a removed file fails', async () => {
    const path = join(dir, 'removed.zip');
    const files = await entriesOf(bundlePath);
    const manifest = JSON.parse(files.get('manifest.json')!.toString()) as { exportedAtMs: number };
    const removed = [...files.keys()].find((name) => name.startsWith('screenshots/'))!;
    files.delete(removed);
    await rezip(path, files, manifest.exportedAtMs);
    const result = await verifyBundle(path, server.serverKeys.publicKey);
    expect(result.ok).toBe(false);
    expect(result.problems).toContain(`${removed} is listed in the manifest but missing`);
  });

  it('an added file fails, and an untouched rezip of the same entries passes', async () => {
    const files = await entriesOf(bundlePath);
    const manifest = JSON.parse(files.get('manifest.json')!.toString()) as { exportedAtMs: number };
    const same = join(dir, 'same.zip');
    await rezip(same, files, manifest.exportedAtMs);
    expect((await verifyBundle(same, server.serverKeys.publicKey)).ok).toBe(true);
    files.set('screenshots/extra.jpg', Buffer.from(world.seats.a2.jpeg));
    const added = join(dir, 'added.zip');
    await rezip(added, files, manifest.exportedAtMs);
    expect((await verifyBundle(added, server.serverKeys.publicKey)).problems).toContain(
      'screenshots/extra.jpg is in the archive but not in the manifest',
    );
  });

  it('one changed byte in a zip header (no content hash covers it) fails', async () => {
    const result = await tampered('header.zip', (bytes) => {
      // The first local file header: its last-modified time field (offset 10).
      bytes[10] = bytes[10]! ^ 0x02;
      return bytes;
    });
    expect(result.ok).toBe(false);
    expect(result.problems.join('\n')).toContain('zip container differs');
  });

  it('another key fails', async () => {
    const other = new Uint8Array(32).fill(7);
    const result = await verifyBundle(bundlePath, other);
    expect(result.ok).toBe(false);
  });
});

describe('the export itself', () => {
  it('is in the audit log with its reason, for the case and for the seat', async () => {
    const page = await asUser<AuditPage>(
      server,
      world.who.audA,
      'GET',
      '/api/v1/investigation/audit?action=case.export',
    );
    expect(page.body.entries.map((entry) => [entry.reason, entry.seatId])).toEqual(
      expect.arrayContaining([
        ['handover to legal', null],
        ['handover to legal', world.seats.a1.seatId],
      ]),
    );
  });
});
