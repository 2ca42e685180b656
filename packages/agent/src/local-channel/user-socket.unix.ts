/**
 * The machine service's end of the local channel on Linux and macOS: one
 * Unix socket per OS account, `<root>/<uid>/agent.sock`, in a folder the
 * service (root) creates owned by that account with mode 0700. Only that
 * account (and root) can reach the socket, so every connection accepted on
 * it is that account's: the service knows whose session it is from which
 * socket accepted it, and never asks the session part.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface SocketUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

export interface UserSocket {
  readonly path: string;
  close(): Promise<void>;
}

export const SOCKET_NAME = 'agent.sock';

/** The socket a session part of `uid` connects to under `root`. */
export function userSocketPath(root: string, uid: number): string {
  return path.join(root, String(uid), SOCKET_NAME);
}

export async function listenUserSocket(
  root: string,
  user: SocketUser,
  onConnection: (socket: net.Socket) => void,
): Promise<UserSocket> {
  const made = fs.mkdirSync(root, { recursive: true, mode: 0o755 });
  // The service runs with umask 0077 (its systemd unit, its LaunchDaemon), which would leave the folders it
  // makes 0700: every operator must pass through them to reach their own socket folder.
  for (let folder = root; made !== undefined; folder = path.dirname(folder)) {
    fs.chmodSync(folder, 0o755);
    if (folder === made || folder === path.dirname(folder)) break;
  }
  fs.chmodSync(root, 0o755);
  const dir = path.join(root, String(user.uid));
  // Whatever is there (a stale folder, or anything else) is replaced: root owns `root`, nobody else put it there.
  const found = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (found && (!found.isDirectory() || found.isSymbolicLink()))
    fs.rmSync(dir, { force: true, recursive: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chownSync(dir, user.uid, user.gid);
  fs.chmodSync(dir, 0o700);
  const file = path.join(dir, SOCKET_NAME);
  fs.rmSync(file, { force: true });
  const server = net.createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => {
      server.off('error', reject);
      resolve();
    });
  });
  fs.chownSync(file, user.uid, user.gid);
  fs.chmodSync(file, 0o600);
  return {
    path: file,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        fs.rmSync(file, { force: true });
      }),
  };
}
