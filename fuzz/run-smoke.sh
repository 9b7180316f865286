#!/bin/sh
# Stable-toolchain smoke test for the fuzz property in src/lib.rs.
#
# What it does: builds the `smoke` binary WITHOUT libFuzzer and runs
# `narrate_redact_fuzz::check` on the seed corpus plus N pseudo-random inputs
# (random bytes, and random mixes of detector fragments) from a fixed seed.
# What it does NOT do: coverage-guided fuzzing. It finds shallow bugs only.
# For real fuzzing use cargo-fuzz with a nightly toolchain:
#     cargo install cargo-fuzz
#     cargo +nightly fuzz run redact_sanitize -- -max_total_time=300
#
# Usage: ./run-smoke.sh [ITERATIONS] [SEED]
set -eu
cd "$(dirname "$0")"
exec cargo run --release --quiet --no-default-features --bin smoke -- "$@"
