/**
 * Evidence bundles end to end on PGlite and PostgreSQL: an investigator
 * builds a case over HTTP (opened from nothing, a screenshot, a time range,
 * a note), exports it, and the file verifies offline — with verify-bundle, and with
 * standard tools (unzip, sha256sum, openssl). Verification is by content
 * (issue #11): a changed screenshot, a changed manifest, a removed or added
 * file and a bundle forged with another key each fail, while the same files
 * zipped again by `zip` verify. Without a key named on the command line
 * (--public-key, or --fingerprint as the server's `server-key` prints it)
 * verify-bundle refuses unless told --unpinned, and always prints the key's
 * fingerprint; a key file in a data folder pins nothing by itself.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { generateKeyPair, tweetnaclSigner } from '@seatwatch/shared';
import type { AuditPage, CaseDetail } from '@seatwatch/shared/dashboard-api';
import { asUser } from '@seatwatch/testkit/dashboard-session';
import { buildWorld, HOUR, type World } from '@seatwatch/testkit/investigation-world';
import {
  createTestDatabase,
  DB_KINDS,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { runInvestigationCommand } from '../../src/cli/investigation-cli.js';
import { configWith } from '../../src/config.js';
import {
  type BundleManifest,
  CHECKSUM_FILE,
  entryOptions,
  keyFingerprint,
  MANIFEST_FILE,
  PUBLIC_KEY_FILE,
  SIGNATURE_FILE,
} from '../../src/evidence/bundle-format.js';
import { verifyBundle } from '../../src/evidence/bundle-verify.js';
import { writeBundle } from '../../src/evidence/bundle-writer.js';

describe.each(DB_KINDS)('evidence bundles on %s', (kind) => {
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

  /** Runs `seatwatch-server verify-bundle` in `dir`, with a data folder that has no server key unless given. */
  async function verifyCli(
    args: string[],
    dataDir = join(dir, 'no-such-server'),
  ): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runInvestigationCommand(args, {
      out: (text) => out.push(text),
      err: (text) => err.push(text),
      readConfig: () => configWith({ dataDir }),
      cwd: dir,
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  beforeAll(async () => {
    db = await createTestDatabase(kind);
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
          'data/agents.csv',
          'data/agents.json',
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
          'data/signed_frames.csv',
          'data/signed_frames.json',
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
      // Each row names the OS account it came from, so a shared seat's shifts stay apart in the bundle.
      for (const table of ['activity_spans', 'device_events', 'events', 'screenshots']) {
        expect(files.get(`data/${table}.csv`)!.toString().split(/\r?\n/)[0]).toMatch(/,os_user(,|$)/);
      }
      // A title that looks like a formula stays text in a spreadsheet.
      expect(files.get('data/activity_spans.csv')!.toString()).toContain(",'=Ticket 4712 (cmd|calc),");
      const audit = JSON.parse(files.get('audit.json')!.toString()) as Array<{ action: string }>;
      expect(audit.map((entry) => entry.action)).toEqual(
        expect.arrayContaining(['case.create', 'case.item_add', 'case.note', 'case.export']),
      );
      expect(manifest.counts).toMatchObject({
        activity_spans: 3,
        device_events: 1,
        screenshots: 1,
        events: 6,
      });
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

    it('seatwatch-server verify-bundle accepts it pinned (exit 0); unpinned only with --unpinned, always naming the fingerprint', async () => {
      const serverFingerprint = keyFingerprint(server.serverKeys.publicKey);
      const key = Buffer.from(server.serverKeys.publicKey).toString('base64');
      const pinned = await verifyCli(['verify-bundle', 'case.zip', '--public-key', key]);
      expect(pinned.code).toBe(0);
      expect(pinned.out).toContain('signed by the expected server key');
      expect(pinned.out).toContain(serverFingerprint);

      const unpinned = await verifyCli(['verify-bundle', 'case.zip']);
      expect(unpinned.code).toBe(1);
      expect(unpinned.err).toContain('NOT PINNED');
      expect(unpinned.err).toContain(serverFingerprint);
      expect(unpinned.out).toBe('');

      const accepted = await verifyCli(['verify-bundle', 'case.zip', '--unpinned']);
      expect(accepted.code).toBe(0);
      expect(accepted.out).toContain('NOT PINNED');
      expect(accepted.out).toContain(serverFingerprint);

      const both = await verifyCli(['verify-bundle', 'case.zip', '--unpinned', '--public-key', key]);
      expect(both.code).toBe(2);
    });

    it('pins by the published fingerprint: the right one passes, another fails, a malformed one is a usage error', async () => {
      const serverFingerprint = keyFingerprint(server.serverKeys.publicKey);
      const right = await verifyCli(['verify-bundle', 'case.zip', '--fingerprint', serverFingerprint]);
      expect(right.code).toBe(0);
      expect(right.out).toContain('signed by the expected server key');
      expect(right.out).toContain(`${serverFingerprint} (--fingerprint)`);
      // Upper case with colons, as some tools print fingerprints, is the same fingerprint.
      const spaced = serverFingerprint.toUpperCase().replace(/(..)(?!$)/g, '$1:');
      expect((await verifyCli(['verify-bundle', 'case.zip', '--fingerprint', spaced])).code).toBe(0);

      const other = keyFingerprint(new Uint8Array(32).fill(7));
      const wrong = await verifyCli(['verify-bundle', 'case.zip', '--fingerprint', other]);
      expect(wrong.code).toBe(1);
      expect(wrong.err).toContain(`signed by key ${serverFingerprint}, not by the pinned ${other}`);
      expect((await verifyCli(['verify-bundle', 'case.zip', '--fingerprint', 'abc'])).code).toBe(2);
      const key = Buffer.from(server.serverKeys.publicKey).toString('base64');
      expect(
        (
          await verifyCli([
            'verify-bundle',
            'case.zip',
            '--fingerprint',
            serverFingerprint,
            '--public-key',
            key,
          ])
        ).code,
      ).toBe(2);
    });

    it('never takes a key from a data folder by itself: a planted ./.data/server-key pins nothing', async () => {
      // The default data folder is ./.data, relative to wherever the command runs: a bundle received
      // with a .data/server-key beside it must not be "pinned" by that file (here: the real key, even).
      const dataDir = join(dir, '.data');
      await rm(dataDir, { recursive: true, force: true });
      await mkdir(dataDir);
      await writeFile(
        join(dataDir, 'server-key'),
        Buffer.from(server.serverKeys.secretKey.subarray(0, 32)).toString('base64'),
      );
      const result = await verifyCli(['verify-bundle', 'case.zip'], dataDir);
      expect(result.code).toBe(1);
      expect(result.out).toBe('');
      expect(result.err).toContain('NOT PINNED');
      expect(result.err).toContain('--fingerprint');
      expect(result.err).not.toContain(join(dataDir, 'server-key'));
    });

    it('server-key prints the key and fingerprint to publish, and says where it read them', async () => {
      const dataDir = join(dir, 'server-data');
      await rm(dataDir, { recursive: true, force: true });
      await mkdir(dataDir);
      await writeFile(
        join(dataDir, 'server-key'),
        Buffer.from(server.serverKeys.secretKey.subarray(0, 32)).toString('base64'),
      );
      const printed = await verifyCli(['server-key'], dataDir);
      expect(printed.code).toBe(0);
      expect(printed.out).toContain(Buffer.from(server.serverKeys.publicKey).toString('base64'));
      expect(printed.out).toContain(keyFingerprint(server.serverKeys.publicKey));
      expect(printed.out).toContain(join(dataDir, 'server-key'));
      const none = await verifyCli(['server-key']);
      expect(none.code).toBe(1);
      expect(none.err).toContain('no key');
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

    it('the same files zipped again by zip (deflated, other order, folder entries, other times) verify', async () => {
      const out = join(dir, 'rezip-unpacked');
      execFileSync('unzip', ['-q', bundlePath, '-d', out]);
      const rezipped = join(dir, 'rezipped.zip');
      // -9 deflates; -r adds folder entries; -X drops extra attributes; the order is zip's, not the server's.
      execFileSync('zip', ['-q', '-r', '-9', '-X', rezipped, 'screenshots', 'manifest.json', 'data', '.'], {
        cwd: out,
      });
      const container = await readFile(rezipped);
      expect(container.equals(bundle)).toBe(false);
      const names = [...(await entriesOf(rezipped)).keys()];
      expect(names).toContain('data/');
      expect(names[0]).not.toBe(PUBLIC_KEY_FILE);

      const result = await verifyBundle(rezipped, server.serverKeys.publicKey);
      expect(result.problems).toEqual([]);
      expect(result).toMatchObject({ ok: true, keySource: 'pinned' });
      const cli = await verifyCli([
        'verify-bundle',
        'rezipped.zip',
        '--public-key',
        Buffer.from(server.serverKeys.publicKey).toString('base64'),
      ]);
      expect(cli.code).toBe(0);
    });

    it('a changed file zipped again by zip fails', async () => {
      const out = join(dir, 'rezip-changed');
      execFileSync('unzip', ['-q', bundlePath, '-d', out]);
      const caseJson = join(out, 'case.json');
      await writeFile(
        caseJson,
        (await readFile(caseJson, 'utf8')).replace('USB leak on desk-a1', 'USB leak on desk-a2'),
      );
      const changed = join(dir, 'rezipped-changed.zip');
      execFileSync('zip', ['-q', '-r', '-9', '-X', changed, '.'], { cwd: out });
      const result = await verifyBundle(changed, server.serverKeys.publicKey);
      expect(result.ok).toBe(false);
      expect(result.problems).toEqual([
        'case.json does not match its SHA-256 in the manifest (it was changed)',
      ]);
    });

    it('another key fails', async () => {
      const other = new Uint8Array(32).fill(7);
      const result = await verifyBundle(bundlePath, other);
      expect(result.ok).toBe(false);
    });
  });

  describe('a forged bundle: changed content, re-signed by the server code with another key', () => {
    let forgedPath: string;
    const forger = generateKeyPair();

    beforeAll(async () => {
      const files = await entriesOf(bundlePath);
      const manifest = JSON.parse(files.get(MANIFEST_FILE)!.toString()) as BundleManifest;
      const made = new Set([MANIFEST_FILE, SIGNATURE_FILE, PUBLIC_KEY_FILE, CHECKSUM_FILE]);
      const entries = [...files]
        .filter(([name]) => !made.has(name))
        .map(([path, bytes]) => ({
          path,
          content: () =>
            path === 'case.json'
              ? bytes.toString('utf8').replace('Stick was a SanDisk.', 'No stick was seen.')
              : bytes,
        }));
      forgedPath = join(dir, 'forged.zip');
      await writeBundle(createWriteStream(forgedPath), {
        signer: tweetnaclSigner(forger.secretKey),
        head: {
          kind: manifest.kind,
          exportedAtMs: manifest.exportedAtMs,
          exportedBy: manifest.exportedBy,
          reason: manifest.reason,
          subject: manifest.subject,
          counts: manifest.counts,
        },
        entries,
      });
      // The forgery is whole: against its own key it verifies, which is why an unpinned check proves nothing.
      expect((await verifyBundle(forgedPath, forger.publicKey)).ok).toBe(true);
    });

    it('fails pinned to the server key, in the function and in the CLI', async () => {
      const result = await verifyBundle(forgedPath, server.serverKeys.publicKey);
      expect(result.ok).toBe(false);
      expect(result.problems.join('\n')).toContain('manifest.sig is not a valid signature');
      const cli = await verifyCli([
        'verify-bundle',
        'forged.zip',
        '--public-key',
        Buffer.from(server.serverKeys.publicKey).toString('base64'),
      ]);
      expect(cli.code).toBe(1);
      expect(cli.err).toContain('FAILED');
      const byFingerprint = await verifyCli([
        'verify-bundle',
        'forged.zip',
        '--fingerprint',
        keyFingerprint(server.serverKeys.publicKey),
      ]);
      expect(byFingerprint.code).toBe(1);
      expect(byFingerprint.err).toContain(
        `signed by key ${keyFingerprint(forger.publicKey)}, not by the pinned`,
      );
    });

    it("fails unpinned without --unpinned, and even with it names the forger's fingerprint, not the server's", async () => {
      const forgerFingerprint = keyFingerprint(forger.publicKey);
      const refused = await verifyCli(['verify-bundle', 'forged.zip']);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain(forgerFingerprint);
      const accepted = await verifyCli(['verify-bundle', 'forged.zip', '--unpinned']);
      expect(accepted.code).toBe(0);
      expect(accepted.out).toContain(`fingerprint ${forgerFingerprint}`);
      expect(accepted.out).not.toContain(keyFingerprint(server.serverKeys.publicKey));
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
});
