#!/usr/bin/env bash
# Builds every cargo-fuzz target and runs each for a fixed number of
# iterations (default 200 000 each; FUZZ_RUNS to change), starting from its
# committed corpus in fuzz/corpus/<target>/ (read-only: new inputs the run
# finds go to a scratch directory, so CI never grows the committed corpus).
#
# Targets: redact_sanitize, record_decode, filter_parse,
# config_parse. (The audit reader / `narrate verify` and the daemon frame
# decoder get theirs when those parsers land.)
#
# cargo-fuzz needs a nightly toolchain (libFuzzer's sanitizer flags). Where
# one is installed, cargo-fuzz is installed from crates.io if missing and the
# coverage-guided targets run. Where there is none, the stable smoke runner
# (fuzz/run-smoke.sh: the same properties over seeded random inputs, not
# coverage-guided) runs instead, and this script says so.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
runs=${FUZZ_RUNS:-200000}
targets=(redact_sanitize record_decode filter_parse config_parse)

if cargo +nightly --version >/dev/null 2>&1; then
    if ! cargo fuzz --version >/dev/null 2>&1; then
        echo "installing cargo-fuzz from crates.io"
        cargo install --locked cargo-fuzz
    fi
    echo "coverage-guided: building ${#targets[@]} targets"
    cargo +nightly fuzz build
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    for target in "${targets[@]}"; do
        mkdir -p "$scratch/$target"
        echo "cargo +nightly fuzz run $target, $runs runs"
        cargo +nightly fuzz run "$target" "$scratch/$target" "corpus/$target" -- \
            -runs="$runs" -max_len=4096
    done
else
    echo "no nightly toolchain here: running the stable smoke fuzzer instead (not coverage-guided)"
    ./run-smoke.sh "$runs"
fi
