#!/bin/sh
# Installs the Seatwatch seat agent from this folder on a Linux distribution without
# dpkg: the same files, places and services as the .deb (docs/agent.md, "Rollout").
# Run as root from the unpacked folder. Installing over an older version keeps the
# seat's identity and queued data (/var/lib/seatwatch-agent) and agent.conf.
#   sudo ./install.sh [--server URL --token TOKEN [--seat NAME]]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root" >&2; exit 2; }
server="" token="" seat=""
while [ $# -gt 0 ]; do
  case "$1" in
    --server) server=$2; shift 2 ;;
    --token) token=$2; shift 2 ;;
    --seat) seat=$2; shift 2 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
systemd=no
[ -d /run/systemd/system ] && systemd=yes
[ $systemd = yes ] && systemctl stop seatwatch-agent.service 2>/dev/null || true

# The new tree is complete before it replaces the old one.
rm -rf /opt/seatwatch-agent.new
mkdir -p /opt/seatwatch-agent.new
cp -a "$here/opt/seatwatch-agent/." /opt/seatwatch-agent.new/
rm -rf /opt/seatwatch-agent.old
[ -d /opt/seatwatch-agent ] && mv /opt/seatwatch-agent /opt/seatwatch-agent.old
mv /opt/seatwatch-agent.new /opt/seatwatch-agent
rm -rf /opt/seatwatch-agent.old
ln -sf /opt/seatwatch-agent/bin/seatwatch-agent /usr/local/bin/seatwatch-agent

install -d -m 0700 /var/lib/seatwatch-agent
install -d -m 0755 /etc/seatwatch
if [ ! -e /etc/seatwatch/agent.conf ]; then
  install -m 0600 "$here/etc/seatwatch/agent.conf" /etc/seatwatch/agent.conf
fi
set_conf() { # key value: replaces the key's line (set or commented out), keeps the file's mode
  grep -v -E "^#?[[:space:]]*$1[[:space:]]*=" /etc/seatwatch/agent.conf >/etc/seatwatch/agent.conf.new || true
  echo "$1 = $2" >>/etc/seatwatch/agent.conf.new
  cat /etc/seatwatch/agent.conf.new >/etc/seatwatch/agent.conf
  rm -f /etc/seatwatch/agent.conf.new
}
[ -n "$server" ] && set_conf server "$server"
[ -n "$token" ] && set_conf token "$token"
[ -n "$seat" ] && set_conf seat "$seat"

install -D -m 0644 "$here/lib/systemd/system/seatwatch-agent.service" /etc/systemd/system/seatwatch-agent.service
install -D -m 0644 "$here/lib/systemd/user/seatwatch-agent-session.service" \
  /etc/systemd/user/seatwatch-agent-session.service
install -D -m 0644 "$here/etc/xdg/autostart/seatwatch-agent-session.desktop" \
  /etc/xdg/autostart/seatwatch-agent-session.desktop
if command -v systemctl >/dev/null 2>&1; then
  systemctl enable seatwatch-agent.service >/dev/null 2>&1 || true
  systemctl --global enable seatwatch-agent-session.service >/dev/null 2>&1 || true
fi
if [ $systemd = yes ]; then
  systemctl daemon-reload
  systemctl start seatwatch-agent.service
fi
echo "Seatwatch agent $(cat /opt/seatwatch-agent/VERSION) installed."
