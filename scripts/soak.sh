#!/usr/bin/env bash
# Soak run (not in CI): 8 threads, random levels and sizes, the log file
# rotated from outside every minute, counts reconciled, RSS start and end.
#
#   scripts/soak.sh                 # 30 minutes
#   SOAK_SECS=300 scripts/soak.sh   # shorter
#
# Writes the report to docs/performance/soak-<date>.txt and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${SOAK_SECS:-1800}
out=docs/performance/soak-$(date -u +%Y%m%d-%H%M).txt
mkdir -p docs/performance
cargo build --release -q -p narrate --example soak
{
    echo "# narrate soak run, $(date -u +%FT%TZ), $(nproc) cores, commit $(git rev-parse --short HEAD)"
    echo "# command: SOAK_SECS=$secs scripts/soak.sh"
    SOAK_SECS=$secs ./target/release/examples/soak
} | tee "$out"
