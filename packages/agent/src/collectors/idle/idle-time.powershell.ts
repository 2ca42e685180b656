/**
 * Windows input-idle time from GetLastInputInfo (user32), in one long-lived
 * PowerShell loop; the screen counts as locked while LogonUI.exe runs in the
 * session (the lock screen). NOT RUN on Windows in this repository's CI
 * (Linux only): test/collectors/os-adapters-recorded.test.ts feeds the
 * adapter a transcript of this loop's output recorded on Windows (CRLF).
 */
import { startIdleLoop } from './idle-loop.js';

const SCRIPT = `
Add-Type @'
using System; using System.Runtime.InteropServices;
public static class SeatwatchIdle {
  [StructLayout(LayoutKind.Sequential)] struct LASTINPUTINFO { public uint cbSize; public uint dwTime; }
  [DllImport("user32.dll")] static extern bool GetLastInputInfo(ref LASTINPUTINFO plii);
  public static uint IdleMs() {
    var info = new LASTINPUTINFO(); info.cbSize = (uint)Marshal.SizeOf(info);
    if (!GetLastInputInfo(ref info)) { return 0; }
    return (uint)Environment.TickCount - info.dwTime;
  }
}
'@
while ($true) {
  $locked = if (Get-Process -Name LogonUI -ErrorAction SilentlyContinue) { 1 } else { 0 }
  [Console]::Out.WriteLine("$([SeatwatchIdle]::IdleMs()) $locked")
  [Console]::Out.Flush()
  Start-Sleep -Seconds 1
}`;

export function createPowershellIdleTime(env: NodeJS.ProcessEnv = process.env) {
  return startIdleLoop(
    'powershell GetLastInputInfo',
    'powershell.exe',
    ['-NoProfile', '-NonInteractive', '-Command', SCRIPT],
    env,
  );
}
