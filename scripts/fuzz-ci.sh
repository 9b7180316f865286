#!/usr/bin/env bash
# Builds the cargo-fuzz target over redact + sanitize and runs it for a fixed
# number of iterations (default 200 000; FUZZ_RUNS to change).
#
# cargo-fuzz needs a nightly toolchain (libFuzzer's sanitizer flags). Where
# one is installed, cargo-fuzz is installed from crates.io if missing and the
# coverage-guided target runs. Where there is none, the stable smoke runner
# (fuzz/run-smoke.sh: the same property over seeded random inputs, not
# coverage-guided) runs instead, and this script says so.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
runs=${FUZZ_RUNS:-200000}

if cargo +nightly --version >/dev/null 2>&1; then
    if ! cargo fuzz --version >/dev/null 2>&1; then
        echo "installing cargo-fuzz from crates.io"
        cargo install --locked cargo-fuzz
    fi
    echo "coverage-guided: cargo +nightly fuzz run redact_sanitize, $runs runs"
    cargo +nightly fuzz run redact_sanitize -- -runs="$runs" -max_len=4096
else
    echo "no nightly toolchain here: running the stable smoke fuzzer instead (not coverage-guided)"
    ./run-smoke.sh "$runs"
fi
