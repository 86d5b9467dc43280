#!/usr/bin/env bash
# Ensures a throwaway PostgreSQL for the sql-store tests [SLA-9]: installs the Debian
# `postgresql` package when initdb/pg_ctl are missing, creates a cluster in a temporary folder
# owned by the `postgres` user (initdb refuses root), starts it on 127.0.0.1:55432 with trust
# auth, creates database `centralino_test`, and prints the export line for the tests.
#
# Usage:  eval "$(bash tests/postgres.sh)"     # start (or reuse) and export CENTRALINO_TEST_PG
#         bash tests/postgres.sh stop          # stop the cluster and delete its folder
# Idempotent: a cluster already running on the port is reused. Log lines go to stderr.
set -euo pipefail

PORT="${CENTRALINO_PG_PORT:-55432}"
HOST=127.0.0.1
DB=centralino_test
DATA="${CENTRALINO_PG_DIR:-${TMPDIR:-/tmp}/centralino-pg-$PORT}"
RUN_USER=postgres
URL="postgres://postgres@$HOST:$PORT/$DB"

log() { echo "postgres.sh: $*" >&2; }

SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"

find_bin() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            echo "$dir"
            return 0
        fi
    done
    local initdb
    initdb=$(command -v initdb 2>/dev/null) || return 1
    command -v pg_ctl >/dev/null 2>&1 || return 1
    dirname "$(readlink -f "$initdb")"
}

# Runs a command as the cluster owner (root may not run initdb or postgres).
as_owner() {
    if [[ $(id -un) == "$RUN_USER" ]]; then
        "$@"
    elif [[ $(id -u) -eq 0 ]]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u "$RUN_USER" -- "$@"
        else
            su -s /bin/sh "$RUN_USER" -c "$(printf '%q ' "$@")"
        fi
    else
        sudo -u "$RUN_USER" -- "$@"
    fi
}

BIN=$(find_bin || true)
if [[ -z "$BIN" ]]; then
    log "initdb/pg_ctl missing: installing the Debian postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q >/dev/null
    $SUDO apt-get install -y -q postgresql >/dev/null
    BIN=$(find_bin) || { log "postgresql installed but initdb/pg_ctl not found"; exit 1; }
fi

if [[ "${1:-start}" == "stop" ]]; then
    if [[ -f "$DATA/PG_VERSION" ]]; then
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
        $SUDO rm -rf "$DATA"
        log "stopped and removed $DATA"
    else
        log "no cluster at $DATA"
    fi
    exit 0
fi

if ! id "$RUN_USER" >/dev/null 2>&1; then
    log "creating system user $RUN_USER"
    $SUDO useradd --system --home-dir /var/lib/postgresql --shell /bin/bash "$RUN_USER"
fi

ready() { "$BIN/pg_isready" -q -h "$HOST" -p "$PORT" -U postgres >/dev/null 2>&1; }

if ! ready; then
    if [[ ! -f "$DATA/PG_VERSION" ]]; then
        log "creating cluster in $DATA"
        $SUDO rm -rf "$DATA"
        $SUDO mkdir -p "$DATA"
        $SUDO chown "$RUN_USER" "$DATA"
        $SUDO chmod 700 "$DATA"
        as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 \
            --locale=C >/dev/null
    fi
    log "starting on $HOST:$PORT"
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
        -o "-c listen_addresses=$HOST -p $PORT -k $DATA -c fsync=off -c max_connections=200" start >/dev/null
    for _ in $(seq 1 60); do
        ready && break
        sleep 0.5
    done
    ready || { log "server did not become ready; see $DATA/server.log"; exit 1; }
else
    log "reusing the server already running on $HOST:$PORT"
fi

psql_admin() { "$BIN/psql" -X -q -h "$HOST" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }
if [[ -z $(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'") ]]; then
    psql_admin -c "CREATE DATABASE $DB" >/dev/null
    log "created database $DB"
fi

echo "export CENTRALINO_TEST_PG=$URL"
