#!/usr/bin/env bash
# Lints the hub's container recipe without a container engine (none runs on the build machines): dockerfile-utils (npm)
# for the Dockerfile's syntax, docker-compose's own parser (Debian) for compose.yaml, then the rules hadolint would hold
# us to and the ones this recipe promises (non-root, read-only root filesystem, no capabilities). One line per problem;
# exit 1 if any. `make image-lint` runs it, and so does `make test`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../tests/scripts/apt.sh"
dockerfile=$here/Dockerfile
compose=$here/compose.yaml
problems=0
problem() { echo "images/hub: $*" >&2; problems=$((problems + 1)); }

if [[ ! -x $here/lint/node_modules/.bin/dockerfile-utils ]]; then
    (cd "$here/lint" && npm ci --silent --no-audit --no-fund >/dev/null)
fi
if ! command -v docker-compose >/dev/null 2>&1; then
    apt_install images/hub/lint.sh docker-compose docker-compose
fi

# Syntax and the deprecated or misplaced instructions dockerfile-utils knows (it exits 0 on findings: any output is one).
findings=$("$here/lint/node_modules/.bin/dockerfile-utils" lint "$dockerfile" 2>&1 || true)
[[ -z $findings ]] || problem "Dockerfile: $(echo "$findings" | tr '\n' ' ')"

# Rules of our own (hadolint's DL3006/DL3007, DL3020, DL3025, DL3002, DL3015, DL3004, DL3000). each_line PATTERN
# EXCEPT MESSAGE: every Dockerfile line matching PATTERN but not EXCEPT is a problem.
each_line() {
    local line
    while read -r line; do problem "Dockerfile:${line%%:*}: $3"; done < <(grep -nE -e "$1" "$dockerfile" | grep -vE -e "$2" || true)
}
each_line '^FROM ' '^[0-9]+:FROM [^ :]+:[^ ]+( AS [a-z]+)?$' "every FROM names a tag"
each_line '^FROM [^ ]+:latest' '^$' "no :latest base"
each_line '^ADD ' '^$' "COPY, not ADD"
each_line '^(ENTRYPOINT|CMD) ' '^[0-9]+:(ENTRYPOINT|CMD) \[' "ENTRYPOINT and CMD in exec (JSON) form"
each_line 'apt-get install' '--no-install-recommends' "apt-get install --no-install-recommends"
each_line '\bsudo\b' '^$' "no sudo"
each_line '^WORKDIR ' '^[0-9]+:WORKDIR /' "WORKDIR is absolute"
last_user=$(grep -E '^USER ' "$dockerfile" | tail -n 1 | awk '{print $2}')
if [[ -z $last_user || $last_user == root || $last_user == 0 || $last_user == 0:* ]]; then problem "Dockerfile: the image must end as a non-root USER"; fi

# compose.yaml: parsed by docker-compose (with stand-in secrets, as a user's would be), then the hub's promises.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp "$compose" "$scratch/compose.yaml"
mkdir -p "$scratch/secrets" && echo stand-in > "$scratch/secrets/postgres_password" && echo stand-in > "$scratch/secrets/hub_pgpass"
if ! config=$(cd "$scratch" && docker-compose -f compose.yaml config 2>&1); then
    problem "compose.yaml: $(echo "$config" | head -n 3 | tr '\n' ' ')"
else
    hub=$(echo "$config" | awk '/^  hub:/{on=1; next} /^  [a-z]/{on=0} on')
    echo "$hub" | grep -qE '^ +read_only: true' || problem "compose.yaml: the hub runs with read_only: true"
    echo "$hub" | grep -qE '^ +- ALL' || problem "compose.yaml: the hub drops every capability (cap_drop: [ALL])"
    echo "$hub" | grep -qE 'no-new-privileges:true' || problem "compose.yaml: the hub runs with no-new-privileges"
    if echo "$hub" | grep -qiE 'Password='; then problem "compose.yaml: no password in the hub's connection string (Passfile)"; fi
fi

if [[ $problems -gt 0 ]]; then
    echo "images/hub: $problems problem(s) in the hub's container recipe" >&2
    exit 1
fi
echo "images/hub: Dockerfile and compose.yaml pass the lint"
