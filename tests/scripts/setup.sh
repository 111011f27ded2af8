#!/usr/bin/env bash
# Installs what the tests need when it is missing; safe to run again. `make test` runs it first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# PostgreSQL for the cloud store's conformance suite (tests/EdgeMdm.Cloud.Tests).
if ! "$here/postgres.sh" install; then
    if [[ "${CI:-}" == "true" ]]; then exit 1; fi
    echo "setup.sh: PostgreSQL unavailable; its tests will be skipped (they fail under CI=true)" >&2
fi

# Installs Debian packages, running 'apt-get update' once per run of this script.
apt_updated=""
apt_install() {
    if [[ -z "$apt_updated" ]]; then apt-get update -qq || return 1; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Debian's MQTT clients and broker, for the tests with clients nobody here wrote and the external-broker test
# (tests/EdgeMdm.EndToEnd/MosquittoClientTests.cs, ExternalMosquittoTests.cs). The tests start their own broker.
if ! command -v mosquitto_sub >/dev/null 2>&1 || ! command -v mosquitto_pub >/dev/null 2>&1 || [[ ! -x /usr/sbin/mosquitto ]]; then
    if ! apt_install mosquitto-clients mosquitto; then
        if [[ "${CI:-}" == "true" ]]; then exit 1; fi
        echo "setup.sh: mosquitto/mosquitto-clients unavailable; the tests that use them will be skipped (they fail under CI=true)" >&2
    fi
fi
