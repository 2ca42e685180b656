/**
 * Desktop notifications through the OS's own command: notify-send (libnotify,
 * Linux), a PowerShell toast (Windows), osascript (macOS). The texts travel
 * as arguments or environment variables, never spliced into a script. Only
 * notify-send is tested here; the other two are NOT TESTED in this
 * repository's CI (Linux only).
 */
import { execFile } from 'node:child_process';
import type { DesktopNotifier } from './desktop-notification.port.js';

function runs(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 10_000, windowsHide: true, env: env ?? process.env }, (error) =>
      resolve(!error),
    );
  });
}

export function notifySendNotifier(): DesktopNotifier {
  return {
    name: 'notify-send',
    notify: (title, body) =>
      runs('notify-send', ['--app-name=Seatwatch', '--urgency=normal', '--expire-time=0', title, body]),
  };
}

const TOAST = `
$xml = New-Object Windows.Data.Xml.Dom.XmlDocument
$t = [Security.SecurityElement]::Escape($env:SEATWATCH_TITLE)
$b = [Security.SecurityElement]::Escape($env:SEATWATCH_BODY)
[void][Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime]
$xml.LoadXml("<toast duration='long'><visual><binding template='ToastGeneric'><text>$t</text><text>$b</text></binding></visual></toast>")
$toast = [Windows.UI.Notifications.ToastNotification]::new($xml)
$app = '{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}\\WindowsPowerShell\\v1.0\\powershell.exe'
[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier($app).Show($toast)`;

export function powershellToastNotifier(): DesktopNotifier {
  return {
    name: 'powershell-toast',
    notify: (title, body) =>
      runs('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', TOAST], {
        ...process.env,
        SEATWATCH_TITLE: title,
        SEATWATCH_BODY: body,
      }),
  };
}

export function osascriptNotifier(): DesktopNotifier {
  return {
    name: 'osascript',
    notify: (title, body) =>
      runs('osascript', [
        '-e',
        'on run argv',
        '-e',
        'display notification (item 2 of argv) with title (item 1 of argv)',
        '-e',
        'end run',
        title,
        body,
      ]),
  };
}

export function desktopNotifierFor(platform: NodeJS.Platform): DesktopNotifier | null {
  if (platform === 'win32') return powershellToastNotifier();
  if (platform === 'darwin') return osascriptNotifier();
  if (platform === 'linux') return notifySendNotifier();
  return null;
}
