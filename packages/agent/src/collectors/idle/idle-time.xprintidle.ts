/**
 * Linux/X11 input-idle time from xprintidle (Debian package xprintidle),
 * which asks the X server's MIT-SCREEN-SAVER extension. The screen lock comes
 * from systemd-logind's LockedHint for this session where there is one
 * (checked every 5 s; desktop lockers set it), else it is "unknown".
 */
import { type Probe, unavailable } from '../probe.js';
import { startIdleLoop } from './idle-loop.js';
import type { IdleTimePort } from './idle-time.port.js';

const LOOP = `
n=0; lock=-
while :; do
  idle=$(xprintidle) || exit 3
  if [ -n "$XDG_SESSION_ID" ] && [ $((n % 5)) -eq 0 ]; then
    case "$(loginctl show-session "$XDG_SESSION_ID" -p LockedHint --value 2>/dev/null)" in
      yes) lock=1 ;; no) lock=0 ;; *) lock=- ;;
    esac
  fi
  echo "$idle $lock"
  n=$((n + 1))
  sleep 1
done`;

export async function createXprintidleIdleTime(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Probe<IdleTimePort>> {
  if (!env.DISPLAY) return unavailable('no X11 display (DISPLAY is not set)');
  return startIdleLoop('xprintidle', '/bin/sh', ['-c', LOOP], env);
}
