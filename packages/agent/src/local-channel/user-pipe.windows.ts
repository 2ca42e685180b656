/**
 * The machine service's end of the local channel on Windows (issue #14):
 * one named pipe for every session, `\\.\pipe\seatwatch-agent`, because
 * Node cannot give a pipe an ACL of its own; and per logged-on account a
 * random secret in `<root>\<account>\session.key` that only the account,
 * SYSTEM and Administrators can read, set with the built-in `icacls`. A
 * connection is that account's when its first line is that secret
 * (session-secret.ts); any other connection is closed before a byte of the
 * channel is read. A secret is new at every start of the service, so a
 * copy someone kept from before is worthless.
 *
 * `listen` has the signature of the Unix adapter (user-socket.unix.ts), so
 * the machine service opens a "socket" per account the same way; the pipe
 * server behind them is one, opened with the first account and closed with
 * the last. NOT RUN on Windows: the handshake and this adapter run in the
 * tests over a Unix socket path in place of the pipe, and the icacls command
 * lines are checked as written.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { errorMessage } from '../collectors/probe.js';
import { newSecret, readHandshake, SecretRegistry } from './session-secret.js';
import type { SocketUser, UserSocket } from './user-socket.unix.js';

export const WINDOWS_PIPE = '\\\\.\\pipe\\seatwatch-agent';
export const SECRET_FILE = 'session.key';

/** Well-known SIDs, not names: "SYSTEM" and "Administrators" are translated on non-English Windows. */
const SYSTEM_SID = '*S-1-5-18';
const ADMINISTRATORS_SID = '*S-1-5-32-544';
const USERS_SID = '*S-1-5-32-545';

/** Runs a program to the end; rejects with its output when it fails. */
export type RunProgram = (program: string, args: readonly string[]) => Promise<void>;

/** The icacls calls that make `<root>` and the account's folder and secret file readable by the account only. */
export function secretAclCommands(root: string, dir: string, file: string, account: string): string[][] {
  return [
    // The folder of every account's folder: the service's; accounts may only pass through it.
    [
      'icacls',
      root,
      '/inheritance:r',
      '/grant:r',
      `${SYSTEM_SID}:(OI)(CI)F`,
      `${ADMINISTRATORS_SID}:(OI)(CI)F`,
      `${USERS_SID}:(X)`,
    ],
    [
      'icacls',
      dir,
      '/inheritance:r',
      '/grant:r',
      `${account}:(RX)`,
      `${SYSTEM_SID}:F`,
      `${ADMINISTRATORS_SID}:F`,
    ],
    [
      'icacls',
      file,
      '/inheritance:r',
      '/grant:r',
      `${account}:R`,
      `${SYSTEM_SID}:F`,
      `${ADMINISTRATORS_SID}:F`,
    ],
  ];
}

/** The secret file a session part of `account` reads under `root`. */
export function userSecretPath(root: string, account: string): string {
  return path.join(root, account, SECRET_FILE);
}

/** An account name usable as a folder name; anything else (a path, "..") gets no secret. */
const safeAccount = (name: string) =>
  /^[^\\/:*?"<>|]+$/.test(name) &&
  name !== '.' &&
  name !== '..' &&
  [...name].every((c) => c.charCodeAt(0) >= 0x20);

export interface PipeChannelOptions {
  /** The pipe (a Unix socket path in tests). */
  readonly pipePath?: string;
  /** Runs icacls. */
  readonly run: RunProgram;
  readonly handshakeTimeoutMs?: number;
  /** Told why a connection was closed at the handshake (logged by the service). */
  readonly onRefused?: (reason: string) => void;
}

export type ListenUser = (
  root: string,
  user: SocketUser,
  onConnection: (socket: net.Socket) => void,
) => Promise<UserSocket>;

/** A `listen` for the machine service that hands out secrets and serves them all on one pipe. */
export function createPipeChannel(options: PipeChannelOptions): ListenUser {
  const pipePath = options.pipePath ?? WINDOWS_PIPE;
  const registry = new SecretRegistry<{ account: string; onConnection: (socket: net.Socket) => void }>();
  let server: net.Server | null = null;
  let opening: Promise<net.Server> | null = null;

  const accept = async (socket: net.Socket) => {
    socket.on('error', () => socket.destroy());
    const handshake = await readHandshake(socket, options.handshakeTimeoutMs);
    const entry = handshake.ok ? registry.match(handshake.secret) : null;
    if (!entry) {
      options.onRefused?.(handshake.ok ? 'a secret no account holds' : handshake.reason);
      socket.destroy();
      return;
    }
    entry.onConnection(socket);
    socket.resume();
  };

  const open = () => {
    opening ??= new Promise<net.Server>((resolve, reject) => {
      const created = net.createServer((socket) => void accept(socket));
      created.once('error', (error) => {
        // Taken by another process (a pipe made before the service started): the next account's try opens it anew.
        opening = null;
        reject(error);
      });
      created.listen(pipePath, () => {
        created.removeAllListeners('error');
        server = created;
        resolve(created);
      });
    });
    return opening;
  };

  return async (root, user, onConnection) => {
    if (!safeAccount(user.name))
      throw new Error(`the account name ${JSON.stringify(user.name)} cannot name a folder`);
    fs.mkdirSync(root, { recursive: true });
    const dir = path.join(root, user.name);
    const file = path.join(dir, SECRET_FILE);
    // Whatever is there is replaced: a folder left from the last start, or planted before the ACL was set.
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
    const [rootAcl, dirAcl, fileAcl] = secretAclCommands(root, dir, file, user.name);
    const secret = newSecret();
    try {
      for (const command of [rootAcl!, dirAcl!]) await options.run(command[0]!, command.slice(1));
      // Written only into a folder the account alone may read, then the file's own ACL.
      fs.writeFileSync(file, secret, { flag: 'wx', mode: 0o600 });
      await options.run(fileAcl![0]!, fileAcl!.slice(1));
      await open();
    } catch (error) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`no secret for ${user.name}: ${errorMessage(error)}`);
    }
    registry.add(secret, { account: user.name, onConnection });
    return {
      path: `${pipePath} (${file})`,
      async close() {
        registry.remove(secret);
        fs.rmSync(dir, { recursive: true, force: true });
        if (registry.size > 0 || !server) return;
        const closing = server;
        server = null;
        opening = null;
        await new Promise<void>((resolve) => closing.close(() => resolve()));
      },
    };
  };
}

/** `run` for createPipeChannel: the program to its end, its output in the error when it fails. */
export const runProgram: RunProgram = (program, args) =>
  new Promise((resolve, reject) => {
    execFile(program, [...args], { timeout: 15_000, windowsHide: true }, (error, stdout, stderr) => {
      if (!error) return resolve();
      const said = `${String(stderr).trim()} ${String(stdout).trim()}`.trim();
      reject(
        new Error(`${program} failed (${error.code ?? error.signal ?? 'error'})${said ? `: ${said}` : ''}`),
      );
    });
  });
