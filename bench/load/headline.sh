#!/usr/bin/env bash
# The headline collector-load figures of docs/benchmarks.md in one go (issue #15), for a quiet machine:
#   1. 5,000 agents on one server process, 5 min hold, then a restart of the process (the connect storm);
#   2. the same load spread over two server processes on the same PostgreSQL.
# Then one summary of both (bench/load/summary.ts). Needs `pnpm build` first (the server under test is
# packages/server/dist) and PostgreSQL on 127.0.0.1:5432. AGENTS and MINUTES override the size.
set -euo pipefail
cd "$(dirname "$0")/.."
agents=${AGENTS:-5000}
minutes=${MINUTES:-5}
stamp=$(date -u +%Y-%m-%dT%H-%M-%SZ)
one=results/headline-${stamp}-1-process.json
two=results/headline-${stamp}-2-processes.json
bash load/run.sh --agents "$agents" --minutes "$minutes" --db postgres --storm --out "$one"
bash load/run.sh --agents "$agents" --minutes "$minutes" --db postgres --processes 2 --no-ceilings --out "$two"
exec node --conditions=seatwatch-source --import tsx load/summary.ts "$one" "$two"
