#!/usr/bin/env bash
# Debian's nginx for the package download benchmark (make bench): installs it when missing; safe to run again.
#   nginx.sh install      install the package when no nginx binary is found (needs root; apt-get)
set -euo pipefail

if command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; then
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "nginx.sh: nginx is not installed and installing it needs root (apt-get install nginx)" >&2
    exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
# The package starts a system-wide nginx on port 80; the bench runs its own on a loopback port.
if command -v systemctl >/dev/null 2>&1; then systemctl stop nginx >/dev/null 2>&1 || true; fi
/usr/sbin/nginx -s stop >/dev/null 2>&1 || true
[[ -x /usr/sbin/nginx ]] || { echo "nginx.sh: installed nginx but found no /usr/sbin/nginx" >&2; exit 1; }
