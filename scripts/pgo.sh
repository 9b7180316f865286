#!/usr/bin/env bash
# Builds the `narrate` binary with profile-guided optimisation and reports
# the gain, measured side by side in one run against the plain release build:
#   1. a plain release build (fat LTO, one codegen unit: the workspace profile);
#   2. an instrumented build, trained on `narrate demo`, `narrate profile` and
#      `narrate bench --quick --loggers narrate`;
#   3. an optimised build from the merged profile;
#   4. `narrate profile` and `narrate bench --quick` with both binaries,
#      alternating, and the ratios.
# Needs llvm-profdata matching rustc's LLVM: the rustup component llvm-tools,
# installed here if missing. Not part of CI (three release builds).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/target/pgo
rm -rf "$work/profiles" && mkdir -p "$work/profiles"

if ! ls "$(rustc --print sysroot)"/lib/rustlib/*/bin/llvm-profdata >/dev/null 2>&1; then
    rustup component add llvm-tools
fi
profdata=$(ls "$(rustc --print sysroot)"/lib/rustlib/*/bin/llvm-profdata | head -1)

echo "== plain release build"
cargo build -q --release -p narrate-cli --target-dir "$work/plain"
echo "== instrumented build"
RUSTFLAGS="-Cprofile-generate=$work/profiles" cargo build -q --release -p narrate-cli --target-dir "$work/gen"
echo "== training"
gen=$work/gen/release/narrate
"$gen" demo --events 200000 --out "$work/demo" --terminal-level error >/dev/null
"$gen" profile --events 300000 >/dev/null 2>&1
"$gen" bench --quick --loggers narrate,narrate-drop >/dev/null 2>&1
"$profdata" merge -o "$work/merged.profdata" "$work/profiles"
echo "== optimised build"
RUSTFLAGS="-Cprofile-use=$work/merged.profdata" cargo build -q --release -p narrate-cli --target-dir "$work/use"

plain=$work/plain/release/narrate
pgo=$work/use/release/narrate
echo "== measuring, alternating the two binaries"
for round in 1 2; do
    "$plain" profile --events 500000 --json "$work/plain-profile-$round.json" >/dev/null 2>&1
    "$pgo" profile --events 500000 --json "$work/pgo-profile-$round.json" >/dev/null 2>&1
    "$plain" bench --quick --loggers narrate --scenarios caller_latency --json "$work/plain-bench-$round.json" >/dev/null 2>&1
    "$pgo" bench --quick --loggers narrate --scenarios caller_latency --json "$work/pgo-bench-$round.json" >/dev/null 2>&1
done
python3 - "$work" <<'PY'
import json, sys, statistics
work = sys.argv[1]
def profile(kind):
    return statistics.median(json.load(open(f"{work}/{kind}-profile-{r}.json"))["total_ns"] for r in (1, 2))
def caller(kind):
    vals = []
    for r in (1, 2):
        rows = json.load(open(f"{work}/{kind}-bench-{r}.json"))["results"]
        vals += [row["median_ns"] for row in rows if row["logger"] == "narrate" and row["scenario"] == "caller_latency"]
    return statistics.median(vals)
p_plain, p_pgo = profile("plain"), profile("pgo")
c_plain, c_pgo = caller("plain"), caller("pgo")
print(f"CPU per event through the pipeline (narrate profile TOTAL): plain {p_plain:.1f} ns, PGO {p_pgo:.1f} ns ({p_plain / p_pgo:.2f}x)")
print(f"caller latency median (narrate bench --quick):               plain {c_plain:.1f} ns, PGO {c_pgo:.1f} ns ({c_plain / c_pgo:.2f}x)")
PY
ls -l "$plain" "$pgo" | awk '{print $5, $9}'
