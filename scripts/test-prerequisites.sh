#!/usr/bin/env bash
# Makes sure what the test suite talks to is here and running, on Debian:
#  - PostgreSQL on 127.0.0.1:5432 with trust auth for local test databases;
#  - Xvfb, openbox, xterm, xdotool, x11-utils (real screenshots,
#    real windows for the agent's collectors);
#  - chromium (dashboard end-to-end tests through playwright-core);
#  - debootstrap and dpkg-deb (the agent's packages installed into a clean Debian),
#    systemd-nspawn and Xvfb (that Debian booted with systemd, a desktop session in it);
#  - haproxy (the db tier's scale-out test puts three collectors behind it).
# Installs only what is missing (apt-get, as root or with sudo) and prints what it does.
#
# Usage: test-prerequisites.sh [all|db|desktop|browser|packaging]   (default: all)
# A test tier (see test/README.md) needs only its own part: db PostgreSQL;
# desktop the X11 tools and PostgreSQL; browser chromium, the X11 tools and
# PostgreSQL (the dashboard end-to-end test also drives a seat desktop); packaging
# debootstrap, systemd-nspawn, Xvfb and PostgreSQL (its tests run as root). db also haproxy.
set -euo pipefail

log() { printf '[prerequisites] %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

tier=${1:-all}
case "$tier" in
  all) x11=1 chromium=1 packaging=1 ;;
  browser) x11=1 chromium=1 packaging=0 ;;
  desktop) x11=1 chromium=0 packaging=0 ;;
  db) x11=0 chromium=0 packaging=0 ;;
  packaging) x11=0 chromium=0 packaging=1 ;;
  *) log "unknown tier '$tier' (all, db, desktop, browser or packaging)"; exit 2 ;;
esac

need=()
if [ "$x11" = 1 ]; then
  command -v Xvfb >/dev/null || need+=(xvfb)
  command -v openbox >/dev/null || need+=(openbox)
  command -v xterm >/dev/null || need+=(xterm)
  command -v xdotool >/dev/null || need+=(xdotool)
  command -v xprop >/dev/null || need+=(x11-utils)
  # ip netns, veth and tc: the network cut and stall test (test/resilience/network-cut.desktop.test.ts).
  command -v ip >/dev/null && command -v tc >/dev/null || need+=(iproute2)
fi
# SEATWATCH_CHROMIUM points the tests at another Chromium (packages/testkit/src/browser/chromium.ts): then none is installed.
if [ "$chromium" = 1 ] && [ -z "${SEATWATCH_CHROMIUM:-}" ]; then
  command -v chromium >/dev/null || need+=(chromium)
fi
if [ "$packaging" = 1 ]; then
  command -v debootstrap >/dev/null || need+=(debootstrap)
  command -v dpkg-deb >/dev/null || need+=(dpkg)
  # The .deb under a real systemd: a booted container, and an X display for its desktop session.
  command -v systemd-nspawn >/dev/null || need+=(systemd-container)
  command -v Xvfb >/dev/null || need+=(xvfb)
fi
# The scale-out test (test/scale-out/, db tier) runs Debian's haproxy, which lives in /usr/sbin.
if [ "$tier" = all ] || [ "$tier" = db ]; then
  command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
fi
command -v pg_ctlcluster >/dev/null || need+=(postgresql)

if [ ${#need[@]} -gt 0 ]; then
  log "installing with apt-get: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

pg_ready() { pg_isready -h 127.0.0.1 -p 5432 -q; }
if ! pg_ready; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  conf=/etc/postgresql/$version/main/pg_hba.conf
  # Local test databases only: trust on loopback, as on the project's CI machines.
  if ! as_root grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$conf"; then
    log "allowing trust auth on 127.0.0.1 in $conf"
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$conf"
  fi
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
fi
pg_ready || { log "PostgreSQL is not reachable on 127.0.0.1:5432"; exit 1; }
ready="PostgreSQL is up"
[ "$x11" = 1 ] && ready+=", X11 tools are present"
[ "$chromium" = 1 ] && ready+=", chromium: ${SEATWATCH_CHROMIUM:-$(command -v chromium)}"
[ "$packaging" = 1 ] && ready+=", debootstrap and systemd-nspawn are present"
log "$tier: $ready"
