/**
 * How the browser tests and the dashboard bench start Chromium (through
 * playwright-core, which downloads no browser of its own): the one place
 * that reads which Chromium to run.
 *
 *   const browser = await chromium.launch(chromiumLaunchOptions());
 *
 * SEATWATCH_CHROMIUM names the executable; without it, Debian's
 * /usr/bin/chromium (what scripts/test-prerequisites.sh installs).
 */
import { existsSync } from 'node:fs';
import type { LaunchOptions } from 'playwright-core';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/**
 * --no-sandbox: test machines and CI containers often run as root, where
 * Chromium's sandbox refuses to start. --disable-background-networking: no
 * update or safe-browsing traffic, so the run talks only to the collector.
 */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
]);

export function chromiumLaunchOptions(env: NodeJS.ProcessEnv = process.env): LaunchOptions {
  const executablePath = env.SEATWATCH_CHROMIUM || DEFAULT_CHROMIUM;
  // Said here rather than as playwright's generic launch failure, so the fix is in the message.
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: install it (Debian: apt-get install chromium, ` +
        'or scripts/test-prerequisites.sh) or set SEATWATCH_CHROMIUM to a Chromium executable',
    );
  }
  return Object.freeze({ executablePath, args: [...CHROMIUM_ARGS] });
}
