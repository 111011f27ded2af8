#!/usr/bin/env bash
# Debian's nginx for the package download benchmark (make bench): installs it when missing; safe to run again.
#   nginx.sh install      install the package when no nginx binary is found (needs root; apt-get)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

if command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; then
    exit 0
fi
apt_install nginx.sh nginx nginx
# The package starts a system-wide nginx on port 80; the bench runs its own on a loopback port.
if command -v systemctl >/dev/null 2>&1; then systemctl stop nginx >/dev/null 2>&1 || true; fi
/usr/sbin/nginx -s stop >/dev/null 2>&1 || true
[[ -x /usr/sbin/nginx ]] || { echo "nginx.sh: installed nginx but found no /usr/sbin/nginx" >&2; exit 1; }
