#!/usr/bin/env bash
# Installs what the tests need when it is missing; safe to run again. `make test` runs it first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# PostgreSQL for the cloud store's conformance suite (tests/EdgeMdm.Cloud.Tests).
if ! "$here/postgres.sh" install; then
    if [[ "${CI:-}" == "true" ]]; then exit 1; fi
    echo "setup.sh: PostgreSQL unavailable; its tests will be skipped (they fail under CI=true)" >&2
fi
