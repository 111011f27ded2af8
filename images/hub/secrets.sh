#!/bin/sh
# Makes the database password compose.yaml hands to PostgreSQL and, in pgpass form, to the hub. Run once, from
# images/hub/; it never overwrites an existing password.
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
if [ ! -s secrets/postgres_password ]; then
	head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > secrets/postgres_password
fi
printf 'postgres:5432:edgemdm:edgemdm:%s\n' "$(cat secrets/postgres_password)" > secrets/hub_pgpass
# The hub runs as uid 1654 and must read its file; compose mounts secrets with the host file's owner and mode.
if ! chown 1654:1654 secrets/hub_pgpass 2>/dev/null; then
	echo "secrets.sh: cannot give secrets/hub_pgpass to uid 1654 (the hub's user): run it with sudo" >&2
	exit 1
fi
echo "secrets in $(pwd)/secrets (owner-only; keep them out of version control)"
