/**
 * A real X11 session for tests: Xvfb on a display number it picks itself
 * (-displayfd), openbox as window manager, and xterm windows with known
 * titles focused through xdotool.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface X11Session {
  readonly display: string;
  readonly env: NodeJS.ProcessEnv;
  /** Opens an xterm titled `title`, focuses it, and returns its window id. */
  openWindow(title: string): Promise<string>;
  xdotool(...args: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function startX11Session(width = 1920, height = 1080): Promise<X11Session> {
  const children: ChildProcess[] = [];
  const xvfb = spawn(
    'Xvfb',
    // -noreset: otherwise the server resets when our xprop polling, as its only client, disconnects
    // before openbox has connected, and drops openbox's connection ("Failed to open the display").
    ['-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp', '-noreset'],
    {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    },
  );
  children.push(xvfb);
  // Xvfb writes the display number to fd 3 once it accepts connections.
  const number = await new Promise<string>((resolve, reject) => {
    let text = '';
    xvfb.stdio[3]!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.trim());
    });
    xvfb.on('exit', (code) => reject(new Error(`Xvfb exited (${code})`)));
    xvfb.on('error', reject);
  });
  const display = `:${number}`;
  const env: NodeJS.ProcessEnv = { ...process.env, DISPLAY: display, LC_ALL: 'C.UTF-8' };
  // An X11 session, even when the tests run from a Wayland desktop: the agent takes these as a Wayland session.
  delete env.WAYLAND_DISPLAY;
  delete env.XDG_SESSION_TYPE;
  const openbox = spawn('openbox', [], { env, stdio: 'ignore' });
  children.push(openbox);
  // openbox announces itself on the root window once it manages windows.
  await waitUntil(async () =>
    (await run('xprop', ['-root', '_NET_SUPPORTING_WM_CHECK'], { env })).stdout.includes('window id'),
  );

  const xdotool = async (...args: string[]) =>
    (await run('xdotool', args, { env, timeout: 15_000 })).stdout.trim();
  return {
    display,
    env,
    xdotool,
    async openWindow(title) {
      children.push(spawn('xterm', ['-T', title, '-geometry', '100x30+50+50'], { env, stdio: 'ignore' }));
      const id = (await xdotool('search', '--sync', '--name', `^${title}$`)).split('\n')[0]!;
      await xdotool('windowactivate', '--sync', id);
      return id;
    },
    async close() {
      for (const child of children.reverse()) {
        if (child.exitCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill();
          await exited;
        }
      }
    },
  };
}

/** Polls an X11 condition that has no event we can subscribe to from here. */
export async function waitUntil(
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await condition()) return;
    } catch {
      // Not ready yet (the X server or window manager is still starting).
    }
    if (Date.now() > deadline) throw new Error('X11 condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
