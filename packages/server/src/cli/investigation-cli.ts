/**
 * The CLI commands of issues #7 and #11, for `seatwatch-server`:
 *
 *   verify-audit [--checkpoints FILE]... [--head SEQ:HASH]... [--public-key K] [--tsa-ca PEM]
 *                                        check the audit log's hash chain, and against signed checkpoints
 *                                        or noted heads; names the first broken entry
 *   db-roles --owner NAME --app NAME --database NAME
 *                                        print the SQL that makes the two database roles
 *   verify-bundle FILE (--public-key K | --fingerprint HEX | --unpinned)
 *                                        check an evidence bundle offline against a key named on the
 *                                        command line (K: base64 key or a PEM file; HEX: its SHA-256
 *                                        fingerprint); with neither it fails unless --unpinned accepts that
 *   server-key                           print this server's public key and its fingerprint, to publish
 *   offboard --project ID --out FILE --confirm NAME --by PERSON [--reason TEXT]
 *                                        export a project's data to a signed bundle, then purge it
 *
 * verify-audit and offboard open the database themselves (on the embedded
 * database, stop the server first: PGlite is one process's database);
 * verify-audit opens it read-only and never migrates it.
 * Exit codes: 0 fine, 1 verification failed or refused, 2 usage.
 */
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fromBase64, keyPairFromSeed, SeatwatchError } from '@seatwatch/shared';
import { createNodeCryptoVerifier } from '@seatwatch/shared/node-crypto';
import {
  type ChainAnchor,
  checkpointMessage,
  parseCheckpoints,
  parseHead,
} from '../audit/audit-checkpoint.js';
import { verifyTimestamp } from '../audit/timestamp-authority.js';
import { describeVerification, NoAuditLogError, verifyAuditLog } from '../audit/verify-audit.js';
import { ROLE_NAME_PATTERN, type ServerConfig } from '../config.js';
import { databaseRolesScript } from '../db/audit-protection.js';
import { keyFingerprint, publicKeyFromPem } from '../evidence/bundle-format.js';
import { type BundleVerification, verifyBundle } from '../evidence/bundle-verify.js';
import { findProject, offboardProject } from '../offboarding/offboard-project.js';
import { loadSecrets, SERVER_KEY_FILE } from '../secrets/secret-files.js';
import { NoDatabaseError, openBlobStore, withDatabase, withReadOnlyDatabase } from '../startup/startup.js';
import { INVESTIGATION_USAGE } from './investigation-commands.js';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  readConfig: () => ServerConfig;
  cwd: string;
  /** The operating-system account running the command (default: this process's), named on what it records. */
  osUser?: () => string;
}

/** The actor of a CLI command: the OS account behind it, not just "cli" (issue #11). */
function cliActor(io: CliIo): string {
  let name: string;
  try {
    name = io.osUser ? io.osUser() : userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers): say so rather than guess.
    name = `uid-${process.getuid?.() ?? 'unknown'}`;
  }
  return `cli:${name}`;
}

class UsageError extends Error {}

/**
 * The person a destructive command is run for (--by), required: an OS
 * account is often shared (root, a deploy user), and the audit log and the
 * bundle must name who decided (issue #11).
 */
function personNamed(by: string | undefined): string {
  const name = by?.trim() ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (name.length < 2 || name.length > 200 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new UsageError('offboard needs --by NAME: the person who runs it (2 to 200 characters)');
  }
  return name;
}

/** A key to check bundles with, and where it came from (printed, so a key picked up by accident shows). */
interface PinnedKey {
  key: Uint8Array;
  source: string;
}

/** --public-key: a base64 key, or a PEM file (its absolute path is named wherever the key is). */
function keyOption(option: string, io: CliIo): PinnedKey {
  if (/^[A-Za-z0-9+/]{43}=$/.test(option)) return { key: fromBase64(option, 32), source: '--public-key' };
  const path = isAbsolute(option) ? option : resolve(io.cwd, option);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--public-key: cannot read ${path}: ${(error as Error).message}`);
  }
  const key = publicKeyFromPem(pem);
  if (!key) throw new UsageError(`${path} is not an Ed25519 public key (PEM)`);
  return { key, source: `--public-key ${path}` };
}

/** This server's own key and where it came from: its configuration, or the key file in its data folder. */
function ownServerKey(io: CliIo): PinnedKey {
  const config = io.readConfig();
  const keyFile = join(config.dataDir, SERVER_KEY_FILE);
  const seed = config.serverKey ?? readFileSync(keyFile, 'utf8').trim();
  return {
    key: keyPairFromSeed(fromBase64(seed, 32)).publicKey,
    source: `this server's own key, from ${config.serverKey ? 'its configuration (serverKey)' : keyFile}`,
  };
}

/** The key verify-audit checks checkpoints with: --public-key, else this server's own when it has one. */
function pinnedKey(option: string | undefined, io: CliIo): PinnedKey | null {
  if (option) return keyOption(option, io);
  try {
    return ownServerKey(io);
  } catch {
    return null;
  }
}

/** What verify-bundle checks against, from the command line only. */
type BundleKeyChoice =
  | { kind: 'key'; pinned: PinnedKey }
  | { kind: 'fingerprint'; fingerprint: string; source: string }
  /** accepted: --unpinned; without it the bundle is checked against its own key and refused. */
  | { kind: 'unpinned'; accepted: boolean };

/**
 * The key a bundle must be signed with, named on the command line and
 * nowhere else: an explicit key, the published fingerprint, or --unpinned.
 * Never a key file found by itself: a bundle is checked wherever it was
 * received, and a key file planted beside it (a ./.data/server-key, the
 * default data folder's) would otherwise "pin" a forger's key.
 */
function bundleKeyChoice(
  values: { 'public-key'?: string; fingerprint?: string; unpinned?: boolean },
  io: CliIo,
) {
  const given = [
    values['public-key'] !== undefined,
    values.fingerprint !== undefined,
    values.unpinned === true,
  ];
  if (given.filter(Boolean).length > 1) {
    throw new UsageError('--public-key, --fingerprint and --unpinned exclude each other');
  }
  if (values['public-key'] !== undefined)
    return { kind: 'key', pinned: keyOption(values['public-key'], io) } as BundleKeyChoice;
  if (values.fingerprint !== undefined) {
    const fingerprint = values.fingerprint.replaceAll(':', '').toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(fingerprint)) {
      throw new UsageError("--fingerprint must be the key's SHA-256 fingerprint: 64 hex digits");
    }
    return { kind: 'fingerprint', fingerprint, source: '--fingerprint' } as BundleKeyChoice;
  }
  return { kind: 'unpinned', accepted: values.unpinned === true } as BundleKeyChoice;
}

function bundleVerdict(
  result: BundleVerification,
  pinned: Pick<PinnedKey, 'source'> | null,
  unpinnedAccepted: boolean,
  io: CliIo,
): number {
  const fingerprint = result.fingerprint
    ? `key SHA-256 fingerprint ${result.fingerprint} (${pinned ? pinned.source : 'the key inside the bundle'})`
    : 'no key to check with';
  if (!result.ok) {
    io.err(
      `bundle FAILED verification:\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n${fingerprint}`,
    );
    return 1;
  }
  const m = result.manifest!;
  const frames = result.signedFrames;
  const summary =
    `${m.kind} bundle, ${result.files} files, exported ${m.exportedAt} by ${m.exportedBy}` +
    (frames
      ? `\nthe seats' own signatures: ${frames.frames} signed frames verify with their agents' enrolled keys and back ${frames.events} events and ${frames.screenshots} screenshots`
      : '');
  if (pinned) {
    io.out(`bundle OK: ${summary}\nsigned by the expected server key: ${fingerprint}`);
    return 0;
  }
  // Anyone can make a bundle that verifies against the key it carries: without a pinned key only
  // the fingerprint, compared by a person, says whose it is (issue #11).
  const warning =
    `signed by the key inside the bundle, ${fingerprint}: NOT PINNED — anyone can sign a bundle with a key of their own. ` +
    "Compare the fingerprint with the server's published one (`seatwatch-server server-key` prints it on the server), " +
    'or pass --fingerprint HEX or --public-key K';
  if (unpinnedAccepted) {
    io.out(`bundle OK (unpinned): ${summary}\n${warning}`);
    return 0;
  }
  io.err(
    `bundle NOT VERIFIED: its content matches its own signature, but ${warning}; --unpinned accepts it after you compared the fingerprint`,
  );
  return 1;
}

interface AnchorOptions {
  checkpoints?: string[] | undefined;
  head?: string[] | undefined;
  'public-key'?: string | undefined;
}

/**
 * The heads verify-audit checks the log against: --head given by hand,
 * --checkpoints files, or else the server's own checkpoint file when it is
 * there. Checkpoint signatures are checked with the pinned key (--public-key,
 * else this server's own key); with none, with the key each line names.
 */
function readAnchors(
  values: AnchorOptions,
  config: ServerConfig,
  io: CliIo,
): { anchors: ChainAnchor[]; problems: string[]; notes: string[] } {
  const anchors: ChainAnchor[] = [];
  const problems: string[] = [];
  const notes: string[] = [];
  for (const text of values.head ?? []) {
    const head = parseHead(text);
    if (!head) throw new UsageError(`--head must be SEQ:HASH (64 lowercase hex digits), got "${text}"`);
    anchors.push(head);
  }
  let files = (values.checkpoints ?? []).map((file) => resolve(io.cwd, file));
  if (files.length === 0 && anchors.length === 0 && existsSync(config.auditCheckpoints.file)) {
    files = [config.auditCheckpoints.file];
  }
  if (files.length === 0) return { anchors, problems, notes };
  const pinned = pinnedKey(values['public-key'], io);
  const verifier = createNodeCryptoVerifier();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      problems.push(`cannot read ${file}: ${(error as Error).message}`);
      continue;
    }
    const parsed = parseCheckpoints(text, file, verifier, pinned?.key ?? null);
    anchors.push(...parsed.anchors);
    problems.push(...parsed.problems);
    notes.push(
      `checking against ${parsed.anchors.length} checkpoints from ${file}, ` +
        (pinned
          ? `signed by ${pinned.source}`
          : 'each signed by the key it names (NOT PINNED: pass --public-key)'),
    );
  }
  return { anchors, problems, notes };
}

/** --tsa-ca: every checkpoint's RFC 3161 token must verify, chained to that CA, over its checkpoint's bytes. */
async function checkTimestamps(
  anchors: readonly ChainAnchor[],
  caFile: string,
): Promise<{ problems: string[]; notes: string[] }> {
  const pem = readFileSync(caFile, 'utf8');
  const problems: string[] = [];
  const stamped = anchors.filter((anchor) => anchor.checkpoint?.tst !== undefined);
  for (const anchor of stamped) {
    const checkpoint = anchor.checkpoint!;
    try {
      await verifyTimestamp(Buffer.from(checkpoint.tst!, 'base64'), checkpointMessage(checkpoint), pem);
    } catch (error) {
      problems.push(`${anchor.source}: its time stamp: ${(error as Error).message}`);
    }
  }
  const checkpoints = anchors.filter((anchor) => anchor.checkpoint).length;
  return {
    problems,
    notes: [
      `${stamped.length} of ${checkpoints} checkpoints carry an RFC 3161 time stamp, checked against ${caFile}`,
    ],
  };
}

export async function runInvestigationCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      'public-key': { type: 'string' },
      fingerprint: { type: 'string' },
      unpinned: { type: 'boolean' },
      project: { type: 'string' },
      out: { type: 'string' },
      confirm: { type: 'string' },
      reason: { type: 'string' },
      by: { type: 'string' },
      checkpoints: { type: 'string', multiple: true },
      'tsa-ca': { type: 'string' },
      head: { type: 'string', multiple: true },
      owner: { type: 'string' },
      app: { type: 'string' },
      database: { type: 'string' },
    },
    allowPositionals: true,
  });
  const [command, ...rest] = positionals;
  try {
    switch (command) {
      case 'verify-bundle': {
        const file = rest[0];
        if (!file || rest.length > 1) throw new UsageError('verify-bundle takes one FILE');
        const choice = bundleKeyChoice(values, io);
        const path = resolve(io.cwd, file);
        if (choice.kind === 'key') {
          return bundleVerdict(await verifyBundle(path, choice.pinned.key), choice.pinned, false, io);
        }
        if (choice.kind === 'fingerprint') {
          const result = await verifyBundle(path, { fingerprint: choice.fingerprint });
          return bundleVerdict(result, { source: choice.source }, false, io);
        }
        return bundleVerdict(await verifyBundle(path, null), null, choice.accepted, io);
      }
      case 'server-key': {
        if (rest.length > 0) throw new UsageError('server-key takes no arguments');
        let own: PinnedKey;
        try {
          own = ownServerKey(io);
        } catch (error) {
          throw new SeatwatchError('not_found', `this server has no key yet: ${(error as Error).message}`);
        }
        io.out(
          [
            `public key (base64): ${Buffer.from(own.key).toString('base64')}`,
            `SHA-256 fingerprint: ${keyFingerprint(own.key)}`,
            `read from ${own.source.replace("this server's own key, from ", '')}`,
            'Publish these; whoever checks a bundle passes one: verify-bundle FILE --public-key KEY or --fingerprint FINGERPRINT',
          ].join('\n'),
        );
        return 0;
      }
      case 'verify-audit': {
        const config = io.readConfig();
        const { anchors, problems, notes } = readAnchors(values, config, io);
        if (values['tsa-ca']) {
          const checked = await checkTimestamps(anchors, resolve(io.cwd, values['tsa-ca']));
          problems.push(...checked.problems);
          notes.push(...checked.notes);
        }
        for (const note of notes) io.out(note);
        if (problems.length > 0) {
          io.err(`audit checkpoints FAILED:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
          return 1;
        }
        // Never migrates: a check must not change what it examines, and an auditor's role can only read.
        const result = await withReadOnlyDatabase(config, (database) =>
          verifyAuditLog(database.db, { anchors }),
        );
        (result.ok ? io.out : io.err)(describeVerification(result));
        if (anchors.length === 0) {
          io.out(
            `no checkpoints (none given, none at ${config.auditCheckpoints.file}): entries cut off the end, ` +
              'or a log rewritten with every later hash recomputed, cannot be seen (--checkpoints FILE or --head SEQ:HASH)',
          );
        }
        return result.ok ? 0 : 1;
      }
      case 'db-roles': {
        const { owner, app, database } = values;
        if (!owner || !app || !database || rest.length > 0) {
          throw new UsageError('db-roles needs --owner NAME --app NAME --database NAME');
        }
        const pattern = new RegExp(ROLE_NAME_PATTERN);
        for (const [flag, name] of [
          ['owner', owner],
          ['app', app],
          ['database', database],
        ] as const) {
          if (!pattern.test(name)) throw new UsageError(`--${flag} must be a plain lower-case SQL name`);
        }
        if (owner === app) throw new UsageError('--owner and --app must be two different roles');
        io.out(
          [
            `-- As a PostgreSQL superuser, connected to the database ${database} (psql -d ${database}):`,
            ...databaseRolesScript({ owner, app, database }).map((statement) => `${statement};`),
            `-- Then set their passwords (\\password ${owner}, \\password ${app}) and run, as the owner:`,
            `--   DATABASE_URL=postgres://${owner}:…@host/${database} SEATWATCH_DATABASE_APP_ROLE=${app} seatwatch-server migrate`,
            `-- and the server as the application role: DATABASE_URL=postgres://${app}:…@host/${database}`,
          ].join('\n'),
        );
        return 0;
      }
      case 'offboard': {
        const projectId = values.project;
        const out = values.out;
        if (!projectId || !out) throw new UsageError('offboard needs --project ID and --out FILE');
        const actor = `${cliActor(io)} (by ${personNamed(values.by)})`;
        const config = io.readConfig();
        const secrets = loadSecrets(config);
        const report = await withDatabase(config, async (database) => {
          const project = await findProject(database.db, projectId);
          if (!project) throw new SeatwatchError('not_found', `no project ${projectId}`);
          if (values.confirm !== project.name) {
            throw new UsageError(`to purge "${project.name}", repeat its name: --confirm "${project.name}"`);
          }
          return offboardProject(
            {
              db: database.db,
              blobs: openBlobStore(config, secrets.blobKey),
              signer: secrets.serverSigner,
              now: Date.now,
            },
            { projectId, outFile: resolve(io.cwd, out), actor, reason: values.reason ?? null },
          );
        });
        io.out(JSON.stringify(report, null, 2));
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`seatwatch-server: ${error.message}\n\n${INVESTIGATION_USAGE}`);
      return 2;
    }
    if (
      error instanceof SeatwatchError ||
      error instanceof NoDatabaseError ||
      error instanceof NoAuditLogError
    ) {
      io.err(`seatwatch-server: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
