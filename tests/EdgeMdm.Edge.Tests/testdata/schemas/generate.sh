#!/usr/bin/env bash
# Writes edge-NNNN.db.gz: the appliance's database as an appliance at migration level NNNN left it, for every level in
# edge/EdgeMdm.Edge/Storage/Migrations. Each level is built by applying migrations 1..NNNN as EdgeDatabase.Migrate
# did (recorded in schema_migrations, WAL mode), each migration K followed by seeds/K.sql when there is one: rows
# valid at level K (a site, a token, enrolled devices with known secrets, statuses, commands, outbox rows...), which
# the later migrations then carry forward. Migrations never change once shipped, so re-running this only adds the
# newest level. Needs sqlite3 and gzip. Usage: generate.sh [LEVEL...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
migrations=$(cd "$here/../../../../edge/EdgeMdm.Edge/Storage/Migrations" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build_level() {
    local level=$1 db="$work/edge.db"
    rm -f "$db"
    {
        echo "PRAGMA journal_mode=WAL;"
        echo "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);"
        for file in "$migrations"/*.sql; do
            local name version
            name=$(basename "$file" .sql)
            version=$((10#${name%%_*}))
            ((version <= level)) || continue
            echo "BEGIN IMMEDIATE;"
            cat "$file"
            echo ";"
            [[ -f "$here/seeds/${name%%_*}.sql" ]] && cat "$here/seeds/${name%%_*}.sql"
            echo "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($version, '${name#*_}', $((1764000000000 + version * 1000)));"
            echo "COMMIT;"
        done
    } | sqlite3 -bail "$db" >/dev/null
    sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE); VACUUM;" >/dev/null
    gzip -9 -n -c "$db" >"$here/edge-$(printf %04d "$level").db.gz"
}

if (($# == 0)); then
    set -- $(for file in "$migrations"/*.sql; do n=$(basename "$file"); echo $((10#${n%%_*})); done)
fi
for level in "$@"; do
    build_level "$level"
done
