#!/usr/bin/env bash
# Runs the anomaly engine overhead benchmark (bench/anomalies/engine-overhead.ts).
# Every simulated agent holds a socket in a generator process and the server child,
# so the open-file limit is raised first (as in bench/load/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -Hn 1048576 2>/dev/null || true
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
exec node --conditions=seatwatch-source --import tsx anomalies/engine-overhead.ts "$@"
