#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests, from Debian's `postgresql` package.
#
#   postgres.sh install          install the package when no initdb is found (needs root; apt-get)
#   postgres.sh start DIR PORT   initdb in DIR/data and start a server on 127.0.0.1:PORT (socket in DIR);
#                                connect with Host=127.0.0.1;Port=PORT;Username=postgres (trust auth)
#   postgres.sh stop DIR         stop it (the caller removes DIR)
#   postgres.sh createdb PORT NAME [TEMPLATE]
#                                create database NAME (a copy of TEMPLATE when given; NAME is dropped first then)
#   postgres.sh dump PORT NAME FILE      pg_dump --format=custom of NAME into FILE (an operator's backup, README)
#   postgres.sh restore PORT NAME FILE   pg_restore --clean --if-exists --no-owner of FILE over NAME (the hub stopped)
#
# initdb and postgres refuse to run as root, so as root they run as the `postgres` user on a DIR it owns.
# Trust authentication is safe enough here: the server listens on loopback only, for the length of a test
# run, and holds nothing but test data.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

pg_bin() {
    local initdb
    initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
    [[ -n "$initdb" ]] && dirname "$initdb"
}

install() {
    if [[ -n "$(pg_bin)" ]]; then return 0; fi
    apt_install postgres.sh PostgreSQL postgresql || return 1
    [[ -n "$(pg_bin)" ]] || { echo "postgres.sh: installed postgresql but found no initdb under /usr/lib/postgresql/*/bin" >&2; return 1; }
}

# Runs a command as the postgres user when we are root, as ourselves otherwise.
as_pg() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
    local dir=$1 port=$2 bin
    install
    bin=$(pg_bin)
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$dir"; fi
    # --no-sync and fsync=off: a test server that is thrown away needs no durability, and starts faster.
    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; return 1; }
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null \
        || { cat "$dir/server.log" >&2; return 1; }
}

stop() {
    local dir=$1 bin
    bin=$(pg_bin)
    [[ -n "$bin" && -d "$dir/data" ]] || return 0
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
}

# The server's own client tools: they quote the names themselves, so no SQL is put together from them anywhere.
createdb() {
    local port=$1 name=$2 template=${3:-} bin
    bin=$(pg_bin)
    if [[ -n "$template" ]]; then
        "$bin/dropdb" -h 127.0.0.1 -p "$port" -U postgres --if-exists "$name"
        "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres -T "$template" "$name"
    else
        "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$name"
    fi
}

# An operator's backup and restore of a hub's database, as the README's "Backing up the hub" writes them.
dump() {
    local port=$1 name=$2 file=$3 bin
    bin=$(pg_bin)
    "$bin/pg_dump" --format=custom --file="$file" "host=127.0.0.1 port=$port user=postgres dbname=$name"
}

restore() {
    local port=$1 name=$2 file=$3 bin
    bin=$(pg_bin)
    "$bin/pg_restore" --clean --if-exists --no-owner --dbname "host=127.0.0.1 port=$port user=postgres dbname=$name" "$file"
}

case "${1:-}" in
    install) install ;;
    start) [[ $# -eq 3 ]] || { echo "usage: postgres.sh start DIR PORT" >&2; exit 2; }; start "$2" "$3" ;;
    stop) [[ $# -eq 2 ]] || { echo "usage: postgres.sh stop DIR" >&2; exit 2; }; stop "$2" ;;
    createdb) [[ $# -eq 3 || $# -eq 4 ]] || { echo "usage: postgres.sh createdb PORT NAME [TEMPLATE]" >&2; exit 2; }; createdb "$2" "$3" "${4:-}" ;;
    dump) [[ $# -eq 4 ]] || { echo "usage: postgres.sh dump PORT NAME FILE" >&2; exit 2; }; dump "$2" "$3" "$4" ;;
    restore) [[ $# -eq 4 ]] || { echo "usage: postgres.sh restore PORT NAME FILE" >&2; exit 2; }; restore "$2" "$3" "$4" ;;
    *) echo "usage: postgres.sh install | start DIR PORT | stop DIR | createdb PORT NAME [TEMPLATE] | dump PORT NAME FILE | restore PORT NAME FILE" >&2; exit 2 ;;
esac
