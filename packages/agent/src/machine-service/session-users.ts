/**
 * Which OS accounts get a session socket, and their uid and gid. The
 * service asks again every few seconds: an operator who logs in at the next
 * shift finds a socket ready before their session part starts (it retries
 * until it does).
 *
 * Two sources: the accounts named in the configuration (`sessionUsers`), or,
 * without that, everyone with a desktop session according to systemd-logind
 * (`loginctl list-users`). Names become ids through NSS (`getent passwd`),
 * so directory accounts (SSSD, LDAP) work as local ones do. macOS and
 * Windows have their own ways, below (the console user; quser).
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
    execFile(program, [...args], { timeout: 5000 }, (error, stdout, stderr) =>
      error ? reject(Object.assign(error, { stderr })) : resolve(stdout),
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

/**
 * `quser` (query user) on Windows: a header line and one line per session,
 * in columns. The first character is ">" for the session quser runs in, or a
 * space; the user name fills the first column, up to where the second header
 * word starts (the headers are translated, so their positions are used, not
 * their words; a name may hold spaces). A disconnected session has no
 * session name but keeps its account logged on.
 */
export function parseQuserOutput(output: string): string[] {
  const lines = output.split(/\r?\n/).filter((line) => line.trim().length > 0);
  const header = lines[0];
  if (header === undefined) return [];
  const second = /^\s*\S+\s+(?=\S)/.exec(header);
  if (!second) return [];
  const nameEnd = second[0].length;
  const names = lines
    .slice(1)
    .map((line) => line.slice(1, nameEnd).trim())
    .filter((name) => name.length > 0);
  return [...new Set(names)];
}

/** No session at all: quser says so on stderr and exits with 1. */
const NO_USER = /^No User exists for/i;

/**
 * Windows accounts with a session, from quser. Windows has no numeric uid:
 * the account name is the key, and uid and gid are -1 (the named-pipe
 * channel does not use them).
 */
export function quserSessionUsers(
  runQuser: () => Promise<string> = () => run('quser', []),
): SessionUsersSource {
  return async () => {
    let output: string;
    try {
      output = await runQuser();
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? '');
      if (NO_USER.test(stderr.trim())) return [];
      throw error;
    }
    return parseQuserOutput(output).map((name) => ({ name, uid: -1, gid: -1 }));
  };
}

/**
 * macOS: the account at the console, from `stat -f %Su /dev/console` (the
 * owner of the console device is whoever is logged in at the screen; root
 * while the login window shows). Accounts switched away from with fast user
 * switching are not listed: their session part waits until they are back
 * at the console. Names become ids with `id -u` and `id -g`, which ask
 * Directory Services, so network accounts work as local ones do (there is no
 * getent on macOS).
 */
export function parseConsoleUser(output: string): string | null {
  const name = output.trim();
  // root: the login window; _mbsetupuser: the setup assistant after an update.
  return name === '' || name === 'root' || name === '_mbsetupuser' ? null : name;
}

/** `id -u <name>` / `id -g <name>`: one number and a newline. */
export function parseIdNumber(output: string): number | null {
  const value = output.trim();
  return /^\d+$/.test(value) ? Number(value) : null;
}

export type RunCommand = (program: string, args: readonly string[]) => Promise<string>;

async function lookUpMac(names: readonly string[], runCommand: RunCommand): Promise<SocketUser[]> {
  const users: SocketUser[] = [];
  for (const name of names) {
    try {
      const uid = parseIdNumber(await runCommand('id', ['-u', name]));
      const gid = parseIdNumber(await runCommand('id', ['-g', name]));
      if (uid !== null && gid !== null && uid !== 0) users.push({ name, uid, gid });
    } catch {
      // Not (or no longer) an account: no socket for it.
    }
  }
  return users;
}

export function consoleSessionUsers(runCommand: RunCommand = run): SessionUsersSource {
  return async () => {
    const name = parseConsoleUser(await runCommand('stat', ['-f', '%Su', '/dev/console']));
    return name === null ? [] : lookUpMac([name], runCommand);
  };
}

export function namedMacUsers(names: readonly string[], runCommand: RunCommand = run): SessionUsersSource {
  return () => lookUpMac(names, runCommand);
}
