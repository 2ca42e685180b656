/**
 * Where the agent keeps its state: --state-dir, else SEATWATCH_AGENT_HOME,
 * else the OS convention for per-user application state.
 */
import path from 'node:path';

export function defaultStateDir(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, home: string): string {
  switch (platform) {
    case 'win32':
      return path.win32.join(
        env.LOCALAPPDATA ?? path.win32.join(home, 'AppData', 'Local'),
        'Seatwatch',
        'Agent',
      );
    case 'darwin':
      return path.posix.join(home, 'Library', 'Application Support', 'Seatwatch Agent');
    default:
      return path.posix.join(
        env.XDG_STATE_HOME || path.posix.join(home, '.local', 'state'),
        'seatwatch-agent',
      );
  }
}

export function resolveStateDir(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
  home: string,
): string {
  const chosen = flag ?? env.SEATWATCH_AGENT_HOME;
  return chosen ? path.resolve(chosen) : defaultStateDir(platform, env, home);
}

export const STATE_FILES = {
  identity: 'agent.json',
  secretKey: 'agent.key',
  notice: 'notice.json',
  devices: 'devices.json',
  status: 'status.json',
  outbox: 'outbox',
  lastScreenshot: 'last-screenshot',
  pageToken: 'page-token',
  /** The machine service's record of which notice version each OS account confirmed (issue #14). */
  sessionNotices: 'session-notices.json',
  /** The notice text a dialog program reads (`notice-dialog.txt`). */
  noticeDialog: 'notice-dialog',
  /** The helper processes of the running agent, for the next run to end any a kill left behind. */
  helpers: 'helpers.json',
} as const;
