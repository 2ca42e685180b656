/**
 * `seatwatch-server verify-bundle FILE`: checks an evidence bundle offline,
 * by its content, never by the zip container's bytes.
 *
 * 1. manifest.sig is a valid Ed25519 signature of manifest.json by the
 *    server key: the pinned key when given; or the bundle's own
 *    server-public-key.pem when its SHA-256 fingerprint is the pinned one;
 *    else the bundle's own key, reported as unpinned (anyone can re-sign a
 *    bundle with a key of their own, so only the fingerprint compared with
 *    the server's published one says whose it is).
 * 2. Every file the manifest lists is there with its SHA-256 and size; no
 *    file is there that the manifest does not list; no name twice.
 * 3. The seats' own signatures (frame-verify.ts): each signed frame
 *    verifies with its agent's enrolled key in the bundle, and the events
 *    and screenshots the frames carried are what the bundle holds.
 *
 * The container itself is not evidence (issue #11): a bundle unpacked and
 * zipped again by a court's IT, deflated, reordered or with folder entries,
 * holds the same files and verifies; a changed file does not.
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createNodeCryptoVerifier } from '@seatwatch/shared/node-crypto';
import yauzl from 'yauzl';
import {
  BUNDLE_FORMAT,
  type BundleManifest,
  keyFingerprint,
  MANIFEST_FILE,
  PUBLIC_KEY_FILE,
  publicKeyFromPem,
  SIGNATURE_FILE,
} from './bundle-format.js';
import { checkSignedFrames, type FrameCheck } from './frame-verify.js';

export interface BundleVerification {
  ok: boolean;
  problems: string[];
  manifest: BundleManifest | null;
  /** pinned: checked against the key the caller gave; bundle: only against the key inside the bundle. */
  keySource: 'pinned' | 'bundle' | null;
  fingerprint: string | null;
  files: number;
  /** What the agents' own signatures back (null: the bundle holds no signed frames). */
  signedFrames: Omit<FrameCheck, 'problems'> | null;
}

const MAX_SMALL_FILE = 64 * 1024 * 1024;
const FRAMES_FILE = 'data/signed_frames.json';

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(
      path,
      { lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true },
      (error, zip) => (error ? reject(error) : resolve(zip)),
    ),
  );
}

function listEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', reject);
    zip.readEntry();
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) => (error ? reject(error) : resolve(stream))),
  );
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  if (entry.uncompressedSize > MAX_SMALL_FILE) throw new Error(`${entry.fileName} is too large`);
  const chunks: Buffer[] = [];
  for await (const chunk of await openEntry(zip, entry)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The rows of a data/*.json file, one at a time: a project's events need
 * not fit in memory. The writer puts one row on each line after a "[" line
 * (export-tables.ts); a file laid out otherwise (changed and signed again,
 * say) is read whole, within the small-file limit, and checked all the same.
 */
async function* jsonRows(zip: yauzl.ZipFile, entry: yauzl.Entry): AsyncIterable<Record<string, unknown>> {
  const lines = createInterface({ input: await openEntry(zip, entry), crlfDelay: Number.POSITIVE_INFINITY });
  let first = true;
  let whole: string[] | null = null;
  for await (const line of lines) {
    if (first && line !== '[') {
      if (entry.uncompressedSize > MAX_SMALL_FILE) throw new Error(`${entry.fileName} is too large`);
      whole = [];
    }
    first = false;
    if (whole) {
      whole.push(line);
      continue;
    }
    const row = line.endsWith(',') ? line.slice(0, -1) : line;
    if (row === '[' || row === ']' || row === '') continue;
    yield JSON.parse(row) as Record<string, unknown>;
  }
  if (whole) yield* JSON.parse(whole.join('\n')) as Array<Record<string, unknown>>;
}

async function hashEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of await openEntry(zip, entry)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** What a bundle must be signed with: a key, or the SHA-256 fingerprint (64 hex digits) of one. */
export type BundlePin = Uint8Array | { fingerprint: string };

export async function verifyBundle(path: string, pin: BundlePin | null = null): Promise<BundleVerification> {
  const pinnedKey = pin instanceof Uint8Array ? pin : null;
  const pinnedFingerprint = pin && !(pin instanceof Uint8Array) ? pin.fingerprint.toLowerCase() : null;
  const result: BundleVerification = {
    ok: false,
    problems: [],
    manifest: null,
    keySource: null,
    fingerprint: null,
    files: 0,
    signedFrames: null,
  };
  const problem = (text: string) => result.problems.push(text);
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(path);
  } catch (error) {
    problem(`not a readable zip archive: ${(error as Error).message}`);
    return result;
  }
  try {
    // Folder entries (zip -r writes them) hold nothing; only files are content.
    const entries = (await listEntries(zip)).filter((entry) => !entry.fileName.endsWith('/'));
    const byName = new Map<string, yauzl.Entry>();
    for (const entry of entries) {
      if (byName.has(entry.fileName)) problem(`${entry.fileName} appears twice`);
      byName.set(entry.fileName, entry);
    }
    const manifestEntry = byName.get(MANIFEST_FILE);
    const signatureEntry = byName.get(SIGNATURE_FILE);
    if (!manifestEntry || !signatureEntry) {
      problem(`${MANIFEST_FILE} or ${SIGNATURE_FILE} is missing`);
      return result;
    }
    const manifestBytes = await readEntry(zip, manifestEntry);
    const signature = await readEntry(zip, signatureEntry);

    let key = pinnedKey;
    result.keySource = 'pinned';
    if (!key) {
      const pemEntry = byName.get(PUBLIC_KEY_FILE);
      key = pemEntry ? publicKeyFromPem((await readEntry(zip, pemEntry)).toString('utf8')) : null;
      result.keySource = pinnedFingerprint ? 'pinned' : 'bundle';
      if (!key) {
        problem(`no key to check with: ${PUBLIC_KEY_FILE} is missing or not an Ed25519 key`);
        return result;
      }
    }
    result.fingerprint = keyFingerprint(key);
    if (pinnedFingerprint && result.fingerprint !== pinnedFingerprint) {
      problem(`the bundle is signed by key ${result.fingerprint}, not by the pinned ${pinnedFingerprint}`);
      return result;
    }
    if (!createNodeCryptoVerifier().verify(manifestBytes, signature, key)) {
      problem(`${SIGNATURE_FILE} is not a valid signature of ${MANIFEST_FILE} by key ${result.fingerprint}`);
      return result;
    }

    let manifest: BundleManifest;
    try {
      manifest = JSON.parse(manifestBytes.toString('utf8')) as BundleManifest;
    } catch {
      problem(`${MANIFEST_FILE} is not JSON`);
      return result;
    }
    result.manifest = manifest;
    if (manifest.format !== BUNDLE_FORMAT || !Array.isArray(manifest.files)) {
      problem(`${MANIFEST_FILE} is not a ${BUNDLE_FORMAT} manifest`);
      return result;
    }
    if (manifest.server?.publicKey !== Buffer.from(key).toString('base64')) {
      problem('the manifest names another server key than the one that signed it');
    }

    const listed = new Set<string>();
    for (const file of manifest.files) {
      listed.add(file.path);
      const entry = byName.get(file.path);
      if (!entry) {
        problem(`${file.path} is listed in the manifest but missing`);
        continue;
      }
      const actual = await hashEntry(zip, entry);
      if (actual.sha256 !== file.sha256 || actual.size !== file.size) {
        problem(`${file.path} does not match its SHA-256 in the manifest (it was changed)`);
      }
      result.files++;
    }
    for (const name of byName.keys()) {
      if (name !== MANIFEST_FILE && name !== SIGNATURE_FILE && !listed.has(name)) {
        problem(`${name} is in the archive but not in the manifest`);
      }
    }
    const frames = byName.get(FRAMES_FILE);
    if (frames && listed.has(FRAMES_FILE)) {
      const rows = (path: string) => {
        const entry = byName.get(path);
        return entry && listed.has(path) ? jsonRows(zip, entry) : [];
      };
      const { problems, ...backed } = await checkSignedFrames({
        frames: rows(FRAMES_FILE),
        agents: rows('data/agents.json'),
        events: rows('data/events.json'),
        screenshots: rows('data/screenshots.json'),
        files: manifest.files,
        verifier: createNodeCryptoVerifier(),
      });
      result.problems.push(...problems);
      result.signedFrames = backed;
    }
    result.ok = result.problems.length === 0;
    return result;
  } catch (error) {
    problem(`could not read the archive: ${(error as Error).message}`);
    return result;
  } finally {
    zip.close();
  }
}
