/**
 * The seat's desktop: Xvfb on a display number it picks itself (-displayfd),
 * openbox as window manager, and xterm windows with known titles focused
 * through xdotool. Every process goes into the caller's Children at spawn.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { type Children, hasExited } from '../children.js';
import { until } from '../poll.js';

const run = promisify(execFile);

export interface SeatDesktop {
  readonly display: string;
  /** DISPLAY and nothing from this process's session bus or Wayland. */
  readonly env: Record<string, string>;
  /**
   * Opens an xterm titled `title` (large and in reverse video with `big`, so
   * the screen visibly changes), focuses it, and returns its window id.
   */
  openWindow(title: string, options?: { big?: boolean }): Promise<string>;
  /** The title of the focused window, as X11 reports it. */
  focusedTitle(): Promise<string>;
}

export async function startSeatDesktop(children: Children, width = 1280, height = 800): Promise<SeatDesktop> {
  // -noreset: by default an X server resets when its last client leaves, and drops the connections
  // that arrive meanwhile. Our own xprop polling is that last client whenever it comes and goes before
  // openbox has connected; openbox's connection then falls into the reset and it exits with
  // "Failed to open the display" (seen about once in 40 starts).
  const xvfb = children.add(
    spawn(
      'Xvfb',
      ['-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp', '-noreset'],
      {
        stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      },
    ),
  );
  // Xvfb writes its display number to fd 3 once it accepts connections.
  const number = await new Promise<string>((resolve, reject) => {
    let text = '';
    xvfb.stdio[3]!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.trim());
    });
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited (${code}) before giving a display`)));
    xvfb.once('error', reject);
  });
  const display = `:${number}`;
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    DISPLAY: display,
    // No session bus here: notify-send fails at once instead of looking for one.
    DBUS_SESSION_BUS_ADDRESS: 'disabled:',
  };
  const openbox = children.add(spawn('openbox', [], { env, stdio: ['ignore', 'ignore', 'pipe'] }));
  let openboxSaid = '';
  openbox.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    openboxSaid += chunk;
  });
  // 'exit' can come before the last of stderr is read; 'close' comes after it.
  const openboxClosed = new Promise<void>((resolve) => openbox.once('close', () => resolve()));
  // openbox announces itself on the root window once it manages windows; if it exits instead,
  // waiting on is pointless, and what it printed is the only clue.
  const why = () => `openbox on ${display} said: ${JSON.stringify(openboxSaid.trim())}`;
  const outcome = await until(
    'openbox to manage the display',
    async () => {
      if (hasExited(openbox)) return `exited (${openbox.exitCode ?? openbox.signalCode})`;
      const root = await run('xprop', ['-root', '_NET_SUPPORTING_WM_CHECK'], { env, timeout: 10_000 });
      return root.stdout.includes('window id') && 'managing';
    },
    30_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; ${why()}`);
  });
  if (outcome !== 'managing') {
    await openboxClosed;
    throw new Error(`openbox ${outcome} before managing the display; ${why()}`);
  }
  const xdotool = async (...args: string[]) =>
    (await run('xdotool', args, { env, timeout: 30_000 })).stdout.trim();

  return {
    display,
    env,
    async openWindow(title, options = {}) {
      const look = options.big
        ? ['-geometry', '160x50+0+0', '-rv', '-fa', 'Monospace', '-fs', '14']
        : ['-geometry', '100x30+50+50'];
      children.add(spawn('xterm', ['-T', title, ...look], { env, stdio: 'ignore' }));
      const id = (await xdotool('search', '--sync', '--name', `^${regexLiteral(title)}$`)).split('\n')[0]!;
      await xdotool('windowactivate', '--sync', id);
      return id;
    },
    focusedTitle: () => xdotool('getactivewindow', 'getwindowname'),
  };
}

/** xdotool matches names as POSIX extended regular expressions; a title with `(` or `.` must match as written. */
function regexLiteral(text: string): string {
  return text.replace(/[.[\]()*+?{}|^$\\]/g, '\\$&');
}
