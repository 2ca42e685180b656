#!/bin/sh
# Installs the Seatwatch seat agent on macOS from this folder (docs/agent.md, "Rollout"):
# /opt/seatwatch-agent (Node runtime included), /etc/seatwatch/agent.conf (kept if
# present), the LaunchDaemon (machine part, as root) and the LaunchAgent (each
# operator's session). Installing over an older version keeps the seat's state.
# NOT RUN on a real Mac yet (docs/agent.md).
#   sudo ./install.sh [--server URL --token TOKEN [--seat NAME]]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root (sudo)" >&2; exit 2; }
server="" token="" seat=""
while [ $# -gt 0 ]; do
  case "$1" in
    --server) server=$2; shift 2 ;;
    --token) token=$2; shift 2 ;;
    --seat) seat=$2; shift 2 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
daemon=/Library/LaunchDaemons/com.seatwatch.agent.service.plist
agent=/Library/LaunchAgents/com.seatwatch.agent.session.plist
launchctl bootout system "$daemon" 2>/dev/null || true

rm -rf /opt/seatwatch-agent.new
mkdir -p /opt/seatwatch-agent.new
cp -R "$here/app" "$here/node" "$here/bin" "$here/VERSION" "$here/uninstall.sh" /opt/seatwatch-agent.new/
rm -rf /opt/seatwatch-agent
mv /opt/seatwatch-agent.new /opt/seatwatch-agent
# Downloaded files carry the quarantine flag, which would stop node from starting.
xattr -dr com.apple.quarantine /opt/seatwatch-agent 2>/dev/null || true
mkdir -p /usr/local/bin
ln -sf /opt/seatwatch-agent/bin/seatwatch-agent /usr/local/bin/seatwatch-agent

mkdir -p /etc/seatwatch
[ -e /etc/seatwatch/agent.conf ] || install -m 0600 "$here/agent.conf" /etc/seatwatch/agent.conf
set_conf() { # key value: replaces the key's line (set or commented out), keeps the file's mode
  grep -v -E "^#?[[:space:]]*$1[[:space:]]*=" /etc/seatwatch/agent.conf >/etc/seatwatch/agent.conf.new || true
  echo "$1 = $2" >>/etc/seatwatch/agent.conf.new
  cat /etc/seatwatch/agent.conf.new >/etc/seatwatch/agent.conf
  rm -f /etc/seatwatch/agent.conf.new
}
[ -n "$server" ] && set_conf server "$server"
[ -n "$token" ] && set_conf token "$token"
[ -n "$seat" ] && set_conf seat "$seat"

install -m 0644 "$here/service/com.seatwatch.agent.service.plist" "$daemon"
install -m 0644 "$here/service/com.seatwatch.agent.session.plist" "$agent"
launchctl bootstrap system "$daemon"
# The LaunchAgent starts at each login; start it now in the session of whoever is logged in.
console_user=$(stat -f %Su /dev/console)
if [ "$console_user" != root ]; then
  launchctl bootout "gui/$(id -u "$console_user")" "$agent" 2>/dev/null || true
  launchctl bootstrap "gui/$(id -u "$console_user")" "$agent" || true
fi
echo "Seatwatch agent $(cat /opt/seatwatch-agent/VERSION) installed."
