#!/usr/bin/env bash
# Runs the loom models of the lane protocol (crates/loom-models).
#
#   scripts/loom.sh            # the models with the library's orderings: must pass
#   scripts/loom.sh --broken   # each deliberately weakened ordering: must FAIL
#
# LOOM_MAX_PREEMPTIONS bounds the search (default 3, loom's recommendation
# for CI); the models are small enough to explore in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
export LOOM_MAX_PREEMPTIONS=${LOOM_MAX_PREEMPTIONS:-3}
# Own target dir: --cfg loom must not invalidate the normal build.
export CARGO_TARGET_DIR=${LOOM_TARGET_DIR:-target/loom}

if [[ "${1:-}" != "--broken" ]]; then
    RUSTFLAGS="--cfg loom" cargo test --release -p loom-models --test lane_protocol
    exit 0
fi

# Each broken ordering must make at least one model fail.
status=0
for piece in closed flush_ticket; do
    echo "== loom_break=\"$piece\": expecting a failure"
    if RUSTFLAGS="--cfg loom --cfg loom_break=\"$piece\"" \
        cargo test --release -q -p loom-models --test lane_protocol >"$CARGO_TARGET_DIR/broken-$piece.log" 2>&1; then
        echo "NOT CAUGHT: the models pass with $piece weakened"
        status=1
    else
        echo "caught:"
        grep -E "^test .* FAILED|panicked at|assertion" "$CARGO_TARGET_DIR/broken-$piece.log" | head -6
    fi
done
exit $status
