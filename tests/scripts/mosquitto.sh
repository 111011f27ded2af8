#!/usr/bin/env bash
# Debian's Mosquitto for the wake benchmark (make bench): installs it when missing; safe to run again. The bench
# starts its own broker on a free loopback port with a configuration of its own; the system-wide broker the package
# starts on port 1883 (where `make run` serves the embedded one) is stopped and disabled.
set -euo pipefail

if [[ -x /usr/sbin/mosquitto ]]; then
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "mosquitto.sh: Mosquitto is not installed and installing it needs root (apt-get install mosquitto)" >&2
    exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mosquitto >/dev/null
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now mosquitto >/dev/null 2>&1 || true; fi
if command -v service >/dev/null 2>&1; then service mosquitto stop >/dev/null 2>&1 || true; fi
[[ -x /usr/sbin/mosquitto ]] || { echo "mosquitto.sh: installed mosquitto but found no /usr/sbin/mosquitto" >&2; exit 1; }
