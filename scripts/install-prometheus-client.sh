#!/usr/bin/env bash
# Installs the Python Prometheus client, whose text-format parser the tests
# use to check narrate's metrics exposition. Idempotent.
set -euo pipefail
if python3 -c 'import prometheus_client' 2>/dev/null; then
    exit 0
fi
python3 -m pip install --quiet --disable-pip-version-check 'prometheus_client>=0.17'
python3 -c 'import prometheus_client'
