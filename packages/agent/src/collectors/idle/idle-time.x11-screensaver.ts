/**
 * Linux/X11 input-idle time from the X server's MIT-SCREEN-SAVER extension
 * (the same QueryInfo that xprintidle makes), asked in-process over one X11
 * connection with the pure-JavaScript x11 client. Launching xprintidle once
 * a second costs about 2 % of a core on this kind of machine (a shell loop
 * forking it), a QueryInfo round trip a fraction of a millisecond.
 *
 * Screen lock: X11 has no lock flag of its own; where the session is known to
 * systemd-logind (XDG_SESSION_ID), its LockedHint is asked while the seat
 * has been idle for 10 s (an operator typing is not locked out), at most
 * every 15 s, and every 2 s while locked. Elsewhere the lock is "unknown".
 */
import { execFile } from 'node:child_process';
import type { IdleReading } from '../../core/idle-machine.js';
import { available, errorMessage, type Probe, unavailable } from '../probe.js';
import type { IdleTimePort } from './idle-time.port.js';

const LOCK_CHECK_AFTER_IDLE_MS = 10_000;
const LOCK_CHECK_EVERY_MS = 15_000;
const LOCK_RECHECK_WHILE_LOCKED_MS = 2000;

interface SaverInfo {
  idle: number;
}
interface X11Display {
  client: X11Client;
  screen: { root: number }[];
}
interface X11Client {
  require(
    name: 'screen-saver',
    cb: (
      error: Error | null,
      ext: { QueryInfo(drawable: number, cb: (error: Error | null, info: SaverInfo) => void): void },
    ) => void,
  ): void;
  on(event: 'error' | 'end', listener: (error?: Error) => void): void;
  terminate(): void;
}
interface X11Module {
  createClient(
    options: { display: string },
    cb: (error: Error | null, display: X11Display) => void,
  ): X11Client;
}

function loginctlLockedHint(sessionId: string): Promise<boolean | null> {
  return new Promise((resolve) => {
    execFile(
      'loginctl',
      ['show-session', sessionId, '-p', 'LockedHint', '--value'],
      { timeout: 3000 },
      (error, stdout) => {
        const value = String(stdout).trim();
        resolve(error ? null : value === 'yes' ? true : value === 'no' ? false : null);
      },
    );
  });
}

export async function createX11ScreensaverIdleTime(
  env: NodeJS.ProcessEnv = process.env,
  now: () => number = Date.now,
): Promise<Probe<IdleTimePort>> {
  const displayName = env.DISPLAY;
  if (!displayName) return unavailable('no X11 display (DISPLAY is not set)');
  let x11: X11Module;
  try {
    x11 = ((await import('x11')) as unknown as { default: X11Module }).default;
  } catch (error) {
    return unavailable(`the x11 client cannot load: ${errorMessage(error)}`);
  }
  let client: X11Client | null = null;
  let query: ((cb: (error: Error | null, info: SaverInfo) => void) => void) | null = null;
  let broken: string | null = null;
  try {
    await new Promise<void>((resolve, reject) => {
      client = x11.createClient({ display: displayName }, (error, display) => {
        if (error) return reject(error);
        const root = display.screen[0]!.root;
        display.client.require('screen-saver', (extError, saver) => {
          if (extError)
            return reject(new Error(`the X server has no MIT-SCREEN-SAVER extension: ${extError.message}`));
          query = (cb) => saver.QueryInfo(root, cb);
          resolve();
        });
      });
      client.on('error', (error) => {
        broken = error?.message ?? 'X11 connection error';
        reject(error);
      });
      client.on('end', () => {
        broken = 'the X server closed the connection';
      });
    });
  } catch (error) {
    closeQuietly(client);
    return unavailable(`cannot ask the X server for the idle time: ${errorMessage(error)}`);
  }

  const sessionId = env.XDG_SESSION_ID;
  let locked: boolean | null = null;
  let lockCheckedAt = 0;
  let lockCheck: Promise<void> | null = null;

  return available({
    name: 'x11-screensaver',
    read(): Promise<IdleReading> {
      return new Promise((resolve, reject) => {
        if (broken || !query) return reject(new Error(broken ?? 'X11 connection not ready'));
        query((error, info) => {
          if (error) return reject(error);
          const idleMs = info.idle;
          // Ask logind while the seat is idle (it may have been locked), and often while it is
          // locked (input at the lock screen may be the unlock).
          const due = locked === true ? LOCK_RECHECK_WHILE_LOCKED_MS : LOCK_CHECK_EVERY_MS;
          const worthAsking = idleMs >= LOCK_CHECK_AFTER_IDLE_MS || locked === true;
          if (sessionId && worthAsking && !lockCheck && now() - lockCheckedAt >= due) {
            lockCheckedAt = now();
            lockCheck = loginctlLockedHint(sessionId).then((value) => {
              locked = value;
              lockCheck = null;
            });
          }
          resolve({ idleMs, locked: sessionId ? locked : null });
        });
      });
    },
    close() {
      closeQuietly(client);
    },
  });
}

/** terminate() throws on a connection that never opened; closing must not. */
function closeQuietly(client: X11Client | null): void {
  try {
    client?.terminate();
  } catch {
    // Nothing was open.
  }
}
