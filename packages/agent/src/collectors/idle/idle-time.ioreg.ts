/**
 * macOS input-idle time from IOHIDSystem's HIDIdleTime (nanoseconds) via
 * ioreg, and the lock from CGSSessionScreenIsLocked in the console session
 * dictionary, in one long-lived shell loop. The lock counts only when that
 * key is true, not merely present. NOT RUN on macOS in this repository's CI
 * (Linux only): test/collectors/os-adapters-recorded.test.ts runs this loop
 * under sh with an `ioreg` that prints outputs recorded on a Mac.
 */
import { startIdleLoop } from './idle-loop.js';

const LOOP = `
while :; do
  ns=$(ioreg -c IOHIDSystem -d 4 | awk '/HIDIdleTime/ {print $NF; exit}') || exit 3
  [ -n "$ns" ] || exit 4
  if ioreg -n Root -d 1 -a | grep -A1 '<key>CGSSessionScreenIsLocked</key>' | grep -q '<true/>'; then lock=1; else lock=0; fi
  echo "$((ns / 1000000)) $lock"
  sleep 1
done`;

export function createIoregIdleTime(env: NodeJS.ProcessEnv = process.env) {
  return startIdleLoop('ioreg HIDIdleTime', '/bin/sh', ['-c', LOOP], env);
}
