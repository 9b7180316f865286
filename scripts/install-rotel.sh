#!/usr/bin/env bash
# Installs the OTLP peers the narrate-otlp tests run against, into a venv
# outside the tracked files (default ~/.cache/narrate/otlp-venv, override
# with NARRATE_OTLP_VENV):
#   * rotel, a real OpenTelemetry collector written in Rust (PyPI `rotel`);
#   * `opentelemetry-proto` + `protobuf`, the official protobuf definitions
#     the scripted receiver (crates/narrate-otlp/tests/scripted_receiver.py)
#     decodes with.
# Idempotent: a venv that already imports both and holds rotel-agent is kept.
# Prints the venv's path on stdout.
set -euo pipefail

VENV="${NARRATE_OTLP_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/narrate/otlp-venv}"
ROTEL_VERSION="0.0.1a15"

agent_path() {
    ls "$VENV"/lib/python3*/site-packages/rotel/rotel-agent 2>/dev/null | head -n1
}

ready() {
    [ -x "$VENV/bin/python" ] || return 1
    [ -n "$(agent_path)" ] || return 1
    "$VENV/bin/python" -c 'import opentelemetry.proto.collector.logs.v1.logs_service_pb2' 2>/dev/null
}

if ! ready; then
    mkdir -p "$(dirname "$VENV")"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install -q --disable-pip-version-check --pre \
        "rotel==$ROTEL_VERSION" opentelemetry-proto protobuf >&2
    ready || { echo "install-rotel.sh: venv $VENV incomplete after install" >&2; exit 1; }
fi
echo "$VENV"
