#!/usr/bin/env bash
# PgBouncer in transaction pooling mode in front of the PostgreSQL server on
# 127.0.0.1:5432, on its own port, for the tests: every transaction may run
# on a different server connection, so nothing may rely on session state.
#
#   .ci/pgbouncer.sh start            install Debian's pgbouncer if missing, start ours
#   .ci/pgbouncer.sh stop             stop ours, if this script started it
#   .ci/pgbouncer.sh run CMD ARGS...  start, run CMD with REMEMBERME_TEST_PG_PORT pointing at
#                                     PgBouncer, drop the test databases CMD made, stop
#
# Idempotent: its config, pid file and log live in a directory of its own
# ($REMEMBERME_CI_DIR/pgbouncer); a second start finds the running instance.
# Only the instance named by that pid file is ever stopped; Debian's own
# pgbouncer service, if any, is left alone.
set -euo pipefail

PORT=${REMEMBERME_PGBOUNCER_PORT:-6432}
PG_PORT=${REMEMBERME_PRIMARY_PORT:-5432}
DIR=${REMEMBERME_CI_DIR:-/var/lib/rememberme-ci}/pgbouncer
PIDFILE=$DIR/pgbouncer.pid
STARTED_BY_US=$DIR/started-by-ci

say() { echo "[pgbouncer] $*"; }
die() { echo "[pgbouncer] error: $*" >&2; exit 1; }
running() { [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
ready() { psql -X -w -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -Atqc "SELECT 1" >/dev/null 2>&1; }

install() {
    command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] && return
    say "installing Debian's pgbouncer"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
}

configure() {
    mkdir -p "$DIR"
    # Trust, as the server itself does on the loopback; PgBouncer still wants
    # the user listed.
    printf '"postgres" ""\n' >"$DIR/userlist.txt"
    cat >"$DIR/pgbouncer.ini" <<EOF
; Written by .ci/pgbouncer.sh.
[databases]
* = host=127.0.0.1 port=$PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = trust
auth_file = $DIR/userlist.txt
pool_mode = transaction
max_client_conn = 200
default_pool_size = 8
logfile = $DIR/pgbouncer.log
pidfile = $PIDFILE
admin_users = postgres
EOF
    chown -R postgres:postgres "$DIR"
}

start() {
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || die "no PostgreSQL on port $PG_PORT"
    install
    configure
    if running; then
        say "already running on port $PORT (pid $(cat "$PIDFILE"))"
    else
        if ready; then
            die "port $PORT answers, but not with the PgBouncer this script starts"
        fi
        # PgBouncer refuses to run as root.
        runuser -u postgres -- "$(command -v pgbouncer || echo /usr/sbin/pgbouncer)" -d -q \
            "$DIR/pgbouncer.ini"
        touch "$STARTED_BY_US"
    fi
    for _ in $(seq 40); do
        ready && break
        sleep 0.25
    done
    ready || die "PgBouncer does not answer on port $PORT; see $DIR/pgbouncer.log"
    say "transaction pooling on port $PORT in front of port $PG_PORT"
}

stop() {
    if [ -e "$STARTED_BY_US" ] && running; then
        say "stopping pid $(cat "$PIDFILE")"
        kill "$(cat "$PIDFILE")"
        for _ in $(seq 40); do
            running || break
            sleep 0.25
        done
    fi
    rm -f "$STARTED_BY_US"
}

drop_test_databases() {
    # Django cannot drop its test database through PgBouncer, which keeps
    # server connections to it open: the run keeps it (--reuse-db) and it is
    # dropped here, on the server itself.
    local name=$1
    for db in "test_$name" "test_${name}_replica"; do
        psql -X -w -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -Atqc \
            "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
    done
}

case "${1:-}" in
start) start ;;
stop) stop ;;
run)
    shift
    [ $# -gt 0 ] || die "usage: $0 run COMMAND [ARGS...]"
    was_running=no
    running && [ ! -e "$STARTED_BY_US" ] && was_running=yes
    start
    name=${REMEMBERME_TEST_PG_NAME:-rememberme_pgbouncer}
    drop_test_databases "$name"
    status=0
    REMEMBERME_TEST_PG_PORT=$PORT REMEMBERME_TEST_PG_TRANSACTION_POOLING=1 \
        REMEMBERME_TEST_PG_NAME=$name "$@" || status=$?
    drop_test_databases "$name"
    [ "$was_running" = yes ] || stop
    exit "$status"
    ;;
*)
    echo "usage: $0 start|stop|run COMMAND [ARGS...]" >&2
    exit 2
    ;;
esac
