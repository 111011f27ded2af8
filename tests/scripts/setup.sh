#!/usr/bin/env bash
# Installs what the tests need when it is missing; safe to run again. `make test` runs it first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# PostgreSQL for the cloud store's conformance suite (tests/EdgeMdm.Cloud.Tests).
if ! "$here/postgres.sh" install; then
    if [[ "${CI:-}" == "true" ]]; then exit 1; fi
    echo "setup.sh: PostgreSQL unavailable; its tests will be skipped (they fail under CI=true)" >&2
fi

# Debian packages for the tests that use programs nobody here wrote: dig (dnsutils) queries the appliance's mDNS
# responder inside network namespaces that `ip` (iproute2) creates (tests/scripts/netns.sh); mosquitto_sub and
# mosquitto_pub (mosquitto-clients) talk to the embedded broker, and Debian's Mosquitto is the external broker
# (tests/EdgeMdm.EndToEnd/MosquittoClientTests.cs, ExternalMosquittoTests.cs; the tests start their own).
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
# openssl s_client checks the chain the appliance serves against its site CA (tests/EdgeMdm.EndToEnd/SiteTlsTests.cs).
need_package openssl openssl
need_package ip iproute2
need_package mosquitto_sub mosquitto-clients
need_package mosquitto_pub mosquitto-clients
# zbarimg (zbar-tools) reads the staging sheet's QR codes back (tests/EdgeMdm.Edge.Tests/StagingBatchTests.cs).
need_package zbarimg zbar-tools
if ! command -v /usr/sbin/mosquitto >/dev/null 2>&1; then
    need_package /usr/sbin/mosquitto mosquitto
    # The package starts a system-wide broker on port 1883, where `make run` serves the embedded one.
    if command -v systemctl >/dev/null 2>&1; then systemctl disable --now mosquitto >/dev/null 2>&1 || true; fi
    if command -v service >/dev/null 2>&1; then service mosquitto stop >/dev/null 2>&1 || true; fi
fi
# Debian's Chromium, which Playwright drives in the browser tests (tests/EdgeMdm.Browser; never `playwright install`: the
# browser comes from Debian), and NSS's certutil (libnss3-tools), which puts the tests' site CA in that browser's trust.
need_package /usr/bin/chromium chromium
need_package certutil libnss3-tools
# faketime (libfaketime) moves one process's wall clock for the clock-jump drill (tests/EdgeMdm.Drills/ClockJumpDrill.cs:
# FAKETIME_TIMESTAMP_FILE with FAKETIME_NO_CACHE=1, so the drill moves it while the appliance runs).
need_package faketime faketime
