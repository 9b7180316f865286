#!/usr/bin/env bash
# Installs rsyslog (the real syslog receiver the syslog sink's tests run
# against) from the distribution's packages. Idempotent: does nothing when
# `rsyslogd` is already on PATH or in /usr/sbin. Prints the binary's path.
set -euo pipefail

find_rsyslogd() {
    command -v rsyslogd 2>/dev/null && return 0
    [ -x /usr/sbin/rsyslogd ] && echo /usr/sbin/rsyslogd && return 0
    return 1
}

if find_rsyslogd >/dev/null; then
    find_rsyslogd
    exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
$SUDO apt-get install -y -q --no-install-recommends rsyslog >&2
find_rsyslogd
