/**
 * macOS input-idle time from IOHIDSystem's HIDIdleTime (nanoseconds) via
 * ioreg, and the lock from CGSSessionScreenIsLocked in the console session
 * dictionary, in one long-lived shell loop. NOT TESTED on macOS in this
 * repository's CI (Linux only); the line format is tested through idle-loop.ts.
 */
import { startIdleLoop } from './idle-loop.js';

const LOOP = `
while :; do
  ns=$(ioreg -c IOHIDSystem -d 4 | awk '/HIDIdleTime/ {print $NF; exit}') || exit 3
  [ -n "$ns" ] || exit 4
  if ioreg -n Root -d 1 -a | grep -q '<key>CGSSessionScreenIsLocked</key>'; then lock=1; else lock=0; fi
  echo "$((ns / 1000000)) $lock"
  sleep 1
done`;

export function createIoregIdleTime(env: NodeJS.ProcessEnv = process.env) {
  return startIdleLoop('ioreg HIDIdleTime', '/bin/sh', ['-c', LOOP], env);
}
