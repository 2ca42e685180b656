/**
 * Linux/X11 foreground window from two long-lived `xprop -spy` processes
 * (x11-utils): one follows the root window's _NET_ACTIVE_WINDOW, the other
 * the focused window's title and class. X11 tells them about every change,
 * so sampling is a memory read instead of three program launches a second
 * (which is what polling with get-windows costs on Linux: about 25 ms of CPU
 * per sample here, 2.5% of a core at one sample a second).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type LineHelper, startLineHelper } from '../line-helper.js';
import { available, errorMessage, type Probe, unavailable, withTimeout } from '../probe.js';
import type { ActiveWindow, ActiveWindowPort } from './active-window.port.js';
import { parseXpropLine } from './xprop-output.js';

const run = promisify(execFile);

/** xprop prints a window's properties within milliseconds of starting; this bounds a read that waits for them. */
const FIRST_PROPS_MS = 1000;

export async function createXpropSpyActiveWindow(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Probe<ActiveWindowPort>> {
  if (!env.DISPLAY) {
    return unavailable(
      env.XDG_SESSION_TYPE === 'wayland'
        ? 'Wayland session without X11: the foreground window cannot be read'
        : 'no X11 display (DISPLAY is not set)',
    );
  }
  const xpropEnv = { ...env, LC_ALL: 'C.UTF-8' };
  try {
    await run('xprop', ['-root', '_NET_ACTIVE_WINDOW'], { env: xpropEnv, timeout: 5000 });
  } catch (error) {
    return unavailable(`xprop cannot read the active window: ${errorMessage(error)}`);
  }

  let activeId = 0;
  let windowSpy: LineHelper | null = null;
  let props = new Map<string, readonly string[]>();
  // Settles when the followed window's spy prints its first line or exits.
  let firstProps: Promise<unknown> = Promise.resolve();

  const followWindow = (id: number) => {
    if (id === activeId && windowSpy?.isRunning()) return;
    windowSpy?.close();
    activeId = id;
    const state = new Map<string, readonly string[]>();
    props = state;
    let answered: () => void = () => {};
    const firstLine = new Promise<void>((resolve) => {
      answered = resolve;
    });
    windowSpy =
      id === 0
        ? null
        : startLineHelper(
            'xprop',
            ['-id', `0x${id.toString(16)}`, '-spy', '_NET_WM_NAME', 'WM_NAME', 'WM_CLASS'],
            {
              env: xpropEnv,
              onLine: (line) => {
                const parsed = parseXpropLine(line);
                if (parsed) state.set(parsed.property, parsed.missing ? [] : parsed.strings);
                answered();
              },
            },
          );
    firstProps = windowSpy ? Promise.race([firstLine, windowSpy.exited]) : Promise.resolve();
  };

  const rootSpy = startLineHelper('xprop', ['-root', '-spy', '_NET_ACTIVE_WINDOW'], {
    env: xpropEnv,
    onLine: (line) => {
      const parsed = parseXpropLine(line);
      if (parsed?.property === '_NET_ACTIVE_WINDOW') followWindow(parsed.windowId ?? 0);
    },
  });

  const port: ActiveWindowPort = {
    name: 'xprop-spy',
    async current(): Promise<ActiveWindow | null> {
      if (!rootSpy.isRunning()) {
        const { code, stderr } = await rootSpy.exited;
        throw new Error(`xprop stopped (exit ${code}): ${stderr || 'the X server went away'}`);
      }
      if (activeId !== 0 && props.size === 0) {
        // A window has just come to the front and its spy has not printed yet: "no window" would
        // be wrong here (a screenshot decided on it could show a privacy-listed window, issue #12).
        const id = activeId;
        await withTimeout(firstProps, FIRST_PROPS_MS, 'xprop on the focused window');
        if (id !== activeId) return port.current();
      }
      if (activeId === 0 || props.size === 0) return null;
      const title = props.get('_NET_WM_NAME')?.[0] ?? props.get('WM_NAME')?.[0] ?? '';
      const wmClass = props.get('WM_CLASS') ?? [];
      return { app: wmClass[wmClass.length - 1] ?? '', title };
    },
    close() {
      rootSpy.close();
      windowSpy?.close();
    },
  };
  return available(port);
}
