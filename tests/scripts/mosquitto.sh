#!/usr/bin/env bash
# Debian's Mosquitto for the wake benchmark (make bench): installs it when missing; safe to run again. The bench
# starts its own broker on a free loopback port with a configuration of its own; the system-wide broker the package
# starts on port 1883 (where `make run` serves the embedded one) is stopped and disabled.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

if [[ -x /usr/sbin/mosquitto ]]; then
    exit 0
fi
apt_install mosquitto.sh Mosquitto mosquitto
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now mosquitto >/dev/null 2>&1 || true; fi
if command -v service >/dev/null 2>&1; then service mosquitto stop >/dev/null 2>&1 || true; fi
[[ -x /usr/sbin/mosquitto ]] || { echo "mosquitto.sh: installed mosquitto but found no /usr/sbin/mosquitto" >&2; exit 1; }
