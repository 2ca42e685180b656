/**
 * Which OS accounts get a session socket, and their uid and gid. The
 * service asks again every few seconds: an operator who logs in at the next
 * shift finds a socket ready before their session part starts (it retries
 * until it does).
 *
 * Two sources: the accounts named in the configuration (`sessionUsers`), or,
 * without that, everyone with a desktop session according to systemd-logind
 * (`loginctl list-users`). Names become ids through NSS (`getent passwd`),
 * so directory accounts (SSSD, LDAP) work as local ones do.
 */
import { execFile } from 'node:child_process';
import type { SocketUser } from '../local-channel/user-socket.unix.js';

export type SessionUsersSource = () => Promise<SocketUser[]>;

/** One line of `getent passwd`: name:password:uid:gid:gecos:home:shell. */
export function parsePasswdLine(line: string): SocketUser | null {
  const [name, , uid, gid] = line.trim().split(':');
  if (!name || uid === undefined || gid === undefined || !/^\d+$/.test(uid) || !/^\d+$/.test(gid))
    return null;
  return { name, uid: Number(uid), gid: Number(gid) };
}

/** `loginctl list-users --no-legend`: "UID USER [LINGER] [STATE]" per line. */
export function parseLoginctlUsers(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 2 && /^\d+$/.test(fields[0]!))
    .map((fields) => fields[1]!);
}

function run(program: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(program, [...args], { timeout: 5000 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
}

async function lookUp(names: readonly string[]): Promise<SocketUser[]> {
  const users: SocketUser[] = [];
  for (const name of names) {
    try {
      const user = parsePasswdLine(await run('getent', ['passwd', name]));
      // root has every socket already; a session part of root is not an operator's.
      if (user && user.uid !== 0) users.push(user);
    } catch {
      // Not (or no longer) an account: no socket for it.
    }
  }
  return users;
}

export function namedSessionUsers(names: readonly string[]): SessionUsersSource {
  return () => lookUp(names);
}

export function logindSessionUsers(): SessionUsersSource {
  return async () => lookUp(parseLoginctlUsers(await run('loginctl', ['list-users', '--no-legend'])));
}
