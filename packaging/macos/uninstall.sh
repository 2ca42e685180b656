#!/bin/sh
# Removes the Seatwatch seat agent from macOS. Keeps the seat's state and agent.conf
# unless --purge is given. NOT RUN on a real Mac yet (docs/agent.md).
#   sudo /opt/seatwatch-agent/uninstall.sh [--purge]
set -eu
[ "$(id -u)" = 0 ] || { echo "uninstall.sh: run as root (sudo)" >&2; exit 2; }
daemon=/Library/LaunchDaemons/com.seatwatch.agent.service.plist
agent=/Library/LaunchAgents/com.seatwatch.agent.session.plist
console_user=$(stat -f %Su /dev/console)
[ "$console_user" != root ] && launchctl bootout "gui/$(id -u "$console_user")" "$agent" 2>/dev/null || true
launchctl bootout system "$daemon" 2>/dev/null || true
rm -f "$daemon" "$agent" /usr/local/bin/seatwatch-agent
rm -rf /opt/seatwatch-agent
if [ "${1:-}" = --purge ]; then
  rm -rf /var/lib/seatwatch-agent
  rm -f /etc/seatwatch/agent.conf
  rmdir /etc/seatwatch 2>/dev/null || true
  # The logs the launchd jobs write (packages/agent/service/macos): root's, and each operator's own.
  rm -f /var/log/seatwatch-agent.log
  for home in /Users/*; do rm -rf "$home/Library/Logs/Seatwatch"; done
fi
echo "Seatwatch agent removed."
