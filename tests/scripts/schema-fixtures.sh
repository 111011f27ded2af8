#!/usr/bin/env bash
# Writes the databases the upgrade tests start from: one per migration level a server has shipped, as that level left
# it. For the appliance tests/EdgeMdm.Edge.Tests/testdata/schemas/edge-NNNN.db.gz (edge/.../Storage/Migrations); for the
# SQLite hub tests/EdgeMdm.Cloud.Tests/testdata/schemas/hub-NNNN.db.gz (cloud/.../Storage/Sqlite/Migrations and
# PortableMigrations). Level N is migrations 1..N applied as the server did (each recorded in schema_migrations, WAL
# mode), each migration K followed by the fixture folder's seeds/K.sql when there is one: rows valid at level K (a site,
# tokens, enrolled devices with known secrets, statuses, commands, outbox rows...) that the later migrations carry
# forward. Shipped migrations never change, so a new migration only adds its level's file.
# Needs sqlite3 and gzip. Usage: schema-fixtures.sh [edge|hub]...   (default: both)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# build PREFIX OUT SEEDS TIME_TYPE MIGRATION_FILE...: one PREFIX-NNNN.db.gz in OUT per level of the (numbered) migration
# files; TIME_TYPE is the type of schema_migrations.applied_at as the server declares it.
build() {
    local prefix=$1 out=$2 seeds=$3 time_type=$4
    shift 4
    local files=("$@") level
    for ((level = 1; level <= ${#files[@]}; level++)); do
        local db="$work/$prefix.db" file name version
        rm -f "$db"
        {
            echo "PRAGMA journal_mode=WAL;"
            echo "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at $time_type NOT NULL);"
            for file in "${files[@]:0:level}"; do
                name=$(basename "$file" .sql)
                version=$((10#${name%%_*}))
                echo "BEGIN IMMEDIATE;"
                cat "$file"
                echo ";"
                if [[ -f "$seeds/${name%%_*}.sql" ]]; then cat "$seeds/${name%%_*}.sql"; fi
                echo "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($version, '${name#*_}', $((1764000000000 + version * 1000)));"
                echo "COMMIT;"
            done
        } | sqlite3 -bail "$db" >/dev/null
        sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE); VACUUM;" >/dev/null
        gzip -9 -n -c "$db" >"$out/$prefix-$(printf %04d "$level").db.gz"
    done
}

# The migration files of a server in number order (the hub's two folders interleave).
numbered() { for file in "$@"; do echo "$(basename "$file") $file"; done | sort | cut -d' ' -f2; }

for server in "${@:-edge hub}"; do
    for server in $server; do
        case $server in
        edge)
            out=$root/tests/EdgeMdm.Edge.Tests/testdata/schemas
            mapfile -t files < <(numbered "$root"/edge/EdgeMdm.Edge/Storage/Migrations/*.sql)
            build edge "$out" "$out/seeds" INTEGER "${files[@]}" ;;
        hub)
            out=$root/tests/EdgeMdm.Cloud.Tests/testdata/schemas
            mapfile -t files < <(numbered "$root"/cloud/EdgeMdm.Cloud/Storage/Sqlite/Migrations/*.sql "$root"/cloud/EdgeMdm.Cloud/Storage/PortableMigrations/*.sql)
            build hub "$out" "$out/seeds" BIGINT "${files[@]}" ;;
        *) echo "schema-fixtures.sh: unknown server '$server' (edge or hub)" >&2; exit 2 ;;
        esac
    done
done
