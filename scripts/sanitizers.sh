#!/usr/bin/env bash
# The multi-thread tests under ThreadSanitizer and AddressSanitizer (nightly
# -Zsanitizer, std rebuilt instrumented with -Zbuild-std so its own atomics
# and Arc are understood; needs the rust-src component, installed here).
#
#   scripts/sanitizers.sh            # thread, then address
#   scripts/sanitizers.sh thread     # one of them
#
# The tests chosen are the ones where threads race with the backend: many
# short-lived threads registering and closing lanes, parallel capture
# scopes, DropNewest under a slow sink, and sinks that panic or stall.
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizers=("${@:-thread address}")
read -r -a sanitizers <<<"${sanitizers[*]}"
tests=(short_lived_threads_lose_nothing capture_isolates_parallel_tests
    drop_newest_counts_every_drop sink_panics_are_isolated_and_disabled)

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "no nightly toolchain: sanitizer runs skipped" >&2
    exit 1
fi
rustup component add rust-src --toolchain nightly >/dev/null 2>&1 || true
host=$(rustc -vV | sed -n 's/^host: //p')
args=()
for t in "${tests[@]}"; do args+=(--test "$t"); done

for san in "${sanitizers[@]}"; do
    echo "== -Zsanitizer=$san: ${tests[*]}"
    # Own target dir per sanitizer: instrumented builds must not mix.
    CARGO_TARGET_DIR="target/sanitizer-$san" \
        RUSTFLAGS="-Zsanitizer=$san" RUSTDOCFLAGS="-Zsanitizer=$san" \
        TSAN_OPTIONS="halt_on_error=1" ASAN_OPTIONS="detect_leaks=0" \
        cargo +nightly test -Zbuild-std --target "$host" --release -p narrate "${args[@]}"
done
