#!/usr/bin/env bash
# Installs what the tests need when it is missing; safe to run again. `make test` runs it first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# PostgreSQL for the cloud store's conformance suite (tests/EdgeMdm.Cloud.Tests).
if ! "$here/postgres.sh" install; then
    if [[ "${CI:-}" == "true" ]]; then exit 1; fi
    echo "setup.sh: PostgreSQL unavailable; its tests will be skipped (they fail under CI=true)" >&2
fi

# dig (Debian dnsutils) queries the appliance's mDNS responder in the tests that run it inside a network namespace
# (tests/scripts/netns.sh); `ip` (iproute2) creates those namespaces.
apt_updated=false
need_package() {
    local command=$1 package=$2
    if command -v "$command" >/dev/null 2>&1; then return 0; fi
    if [[ $(id -u) -eq 0 ]]; then
        if [[ $apt_updated == false ]]; then apt-get update -qq && apt_updated=true; fi
        if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null \
            && command -v "$command" >/dev/null 2>&1; then return 0; fi
    fi
    if [[ "${CI:-}" == "true" ]]; then
        echo "setup.sh: could not install $package (for $command)" >&2
        exit 1
    fi
    echo "setup.sh: $package unavailable; the tests that need $command will be skipped (they fail under CI=true)" >&2
}
need_package dig dnsutils
need_package ip iproute2
