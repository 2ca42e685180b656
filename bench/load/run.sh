#!/usr/bin/env bash
# Runs the collector load benchmark (bench/load/main.ts; options: --help).
# Every simulated agent holds a socket, and the server child inherits this
# shell's limits, so the open-file limit is raised first (as root the hard
# limit can be raised too; otherwise up to the hard limit).
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -Hn 1048576 2>/dev/null || true
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
exec node --conditions=seatwatch-source --import tsx load/main.ts "$@"
