#!/usr/bin/env bash
# Proves that `production` compiles trace!/debug! out entirely:
#  1. the probe's tests pass with and without `production` (a panicking
#     argument is not evaluated when compiled out, and is when not);
#  2. in the production build, callgrind counts exactly the same instructions
#     in `probe_loop` for 1 000 000 iterations with trace!/debug! as for the
#     empty loop;
#  3. nm finds no narrate call-site statics of the loop in the production build.
# Prints both counts; exits non-zero when they differ.
set -euo pipefail
cd "$(dirname "$0")/.."
probe=probes/compile-out
manifest=$probe/Cargo.toml
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR_PROBE:-$PWD/target/compile-out-probe}

if ! command -v valgrind >/dev/null; then
    echo "installing valgrind (Debian package)"
    apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
fi

echo "== probe tests, normal and production builds"
cargo test -q --manifest-path "$manifest"
cargo test -q --manifest-path "$manifest" --features production

count() { # $1 binary → instructions executed inside probe_loop
    local out
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect='*probe_loop*' "$1" >/dev/null 2>&1
    # "summary: N" is the total of the collected (toggled) part.
    grep -E '^(summary|totals):' "$out" | head -1 | awk '{print $2}'
    rm -f "$out"
}

echo "== release builds"
cargo build -q --release --manifest-path "$manifest" --bins
normal_logging=$(count "$CARGO_TARGET_DIR/release/probe_logging")
normal_symbols=$(nm -C "$CARGO_TARGET_DIR/release/probe_logging" | grep -c 'probe_loop::__NARRATE_CALLSITE' || true)
cargo build -q --release --manifest-path "$manifest" --bins --features production
prod_logging=$(count "$CARGO_TARGET_DIR/release/probe_logging")
prod_empty=$(count "$CARGO_TARGET_DIR/release/probe_empty")

echo "instructions in probe_loop, 1 000 000 iterations:"
echo "  normal build, trace!+debug! enabled: $normal_logging"
echo "  production, trace!+debug!:           $prod_logging"
echo "  production, empty loop:              $prod_empty"

status=0
if [ "$prod_logging" != "$prod_empty" ]; then
    echo "FAIL: the production loop with trace!/debug! differs from the empty loop"
    status=1
fi
symbols=$(nm -C "$CARGO_TARGET_DIR/release/probe_logging" | grep -c 'probe_loop::__NARRATE_CALLSITE' || true)
echo "call-site statics of probe_loop (nm): normal build $normal_symbols, production build $symbols"
if [ "$normal_symbols" = "0" ]; then
    echo "FAIL: nm found no call sites even in the normal build; the symbol check is broken"
    status=1
fi
if [ "$symbols" != "0" ]; then
    echo "FAIL: production binary still holds trace/debug call sites"
    status=1
fi
if [ "$status" = 0 ]; then echo "OK: trace!/debug! compile out completely"; fi
exit $status
