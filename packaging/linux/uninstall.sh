#!/bin/sh
# Removes the Seatwatch seat agent installed by install.sh. Keeps the seat's state
# (/var/lib/seatwatch-agent) and agent.conf unless --purge is given, as apt does.
#   sudo /opt/seatwatch-agent/uninstall.sh [--purge]
set -eu
[ "$(id -u)" = 0 ] || { echo "uninstall.sh: run as root" >&2; exit 2; }
purge=no
[ "${1:-}" = --purge ] && purge=yes
if command -v systemctl >/dev/null 2>&1; then
  [ -d /run/systemd/system ] && systemctl stop seatwatch-agent.service 2>/dev/null || true
  systemctl disable seatwatch-agent.service >/dev/null 2>&1 || true
  systemctl --global disable seatwatch-agent-session.service >/dev/null 2>&1 || true
fi
rm -f /etc/systemd/system/seatwatch-agent.service /etc/systemd/user/seatwatch-agent-session.service \
  /etc/xdg/autostart/seatwatch-agent-session.desktop /usr/local/bin/seatwatch-agent
[ -d /run/systemd/system ] && systemctl daemon-reload || true
rm -rf /opt/seatwatch-agent
if [ $purge = yes ]; then
  rm -rf /var/lib/seatwatch-agent
  rm -f /etc/seatwatch/agent.conf
  rmdir /etc/seatwatch 2>/dev/null || true
fi
echo "Seatwatch agent removed$([ $purge = yes ] && echo ', with its state and configuration')."
