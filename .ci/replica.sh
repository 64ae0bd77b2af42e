#!/usr/bin/env bash
# A real read replica for the tests: a second PostgreSQL cluster on this
# machine, a streaming standby of the one on 127.0.0.1:5432, that applies
# what it receives only after REMEMBERME_REPLICA_DELAY, so replication lag
# is real and the same on every run.
#
#   .ci/replica.sh start            create the standby if missing, start it, wait for it
#   .ci/replica.sh stop             remove it, if this script started it
#   .ci/replica.sh status           print its state and configured delay
#   .ci/replica.sh run CMD ARGS...  start, run CMD with REMEMBERME_TEST_PG_REPLICA_PORT
#                                   set, then remove the standby again unless it was
#                                   already running
#
# Idempotent: a second start finds the standby and only starts it if it is
# down, rebuilding it if it can no longer follow the primary. The standby
# streams through a physical replication slot of its own, created with its
# base backup: on a busy primary (test databases created and dropped, each
# drop a checkpoint) the WAL between the end of the backup and the
# standby's first connection is otherwise recycled within seconds. A slot
# makes the primary keep WAL for as long as it exists, so "stop" removes
# the standby this script started together with its slot, and "start"
# drops a slot left behind by an interrupted run. The primary
# is never stopped or restarted: if it refuses replication connections from
# 127.0.0.1, one pg_hba.conf line is added and the configuration reloaded.
# Only the cluster this script created (marked in its configuration
# directory) is ever stopped or rebuilt.
set -euo pipefail

PRIMARY_PORT=${REMEMBERME_PRIMARY_PORT:-5432}
PORT=${REMEMBERME_REPLICA_PORT:-5433}
DELAY=${REMEMBERME_REPLICA_DELAY:-2s}
CLUSTER=rememberme_replica
SLOT=rememberme_ci_replica
VERSION=${REMEMBERME_PG_VERSION:-$(ls /etc/postgresql | sort -V | tail -n 1)}
CONF_DIR=/etc/postgresql/$VERSION/$CLUSTER
DATA_DIR=/var/lib/postgresql/$VERSION/$CLUSTER
MARKER=$CONF_DIR/rememberme-ci
STARTED_BY_US=/run/postgresql/$CLUSTER.started-by-ci

say() { echo "[replica] $*"; }
die() { echo "[replica] error: $*" >&2; exit 1; }
as_postgres() { runuser -u postgres -- "$@"; }
primary() { psql -X -w -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres -Atqc "$1"; }
standby() { psql -X -w -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -Atqc "$1"; }
exists() { pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c' | grep -q .; }
online() { pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $4}' | grep -q online; }

allow_replication() {
    # Trust for "all" databases does not cover replication connections: those
    # match only lines whose database field says "replication".
    if psql -X -w "host=127.0.0.1 port=$PRIMARY_PORT user=postgres replication=true" \
        -Atqc "IDENTIFY_SYSTEM" >/dev/null 2>&1; then
        return
    fi
    local hba
    hba=$(primary "SHOW hba_file")
    say "allowing replication connections from 127.0.0.1 in $hba (reload, no restart)"
    printf '%s\n' "host replication postgres 127.0.0.1/32 trust  # rememberme CI standby" >>"$hba"
    primary "SELECT pg_reload_conf()" >/dev/null
    for _ in $(seq 20); do
        psql -X -w "host=127.0.0.1 port=$PRIMARY_PORT user=postgres replication=true" \
            -Atqc "IDENTIFY_SYSTEM" >/dev/null 2>&1 && return
        sleep 0.25
    done
    die "the primary still refuses replication connections from 127.0.0.1"
}

configure() {
    # conf.d comes last in postgresql.conf, so these settings win.
    cat >"$CONF_DIR/conf.d/90-rememberme-replica.conf" <<EOF
# Written by .ci/replica.sh: a delayed hot standby for the replica tests.
listen_addresses = '127.0.0.1'
port = $PORT
ssl = off
hot_standby = on
recovery_min_apply_delay = '$DELAY'
# Queries on the standby are short; cancel none of them for replay.
max_standby_streaming_delay = -1
hot_standby_feedback = off
EOF
    # The same access as the primary's test setup: trust on the loopback.
    cat >"$CONF_DIR/pg_hba.conf" <<EOF
# Written by .ci/replica.sh.
local all all trust
host all all 127.0.0.1/32 trust
EOF
    chown postgres:postgres "$CONF_DIR/conf.d/90-rememberme-replica.conf" "$CONF_DIR/pg_hba.conf"
}

create() {
    say "creating cluster $VERSION/$CLUSTER on port $PORT as a standby of port $PRIMARY_PORT"
    pg_createcluster "$VERSION" "$CLUSTER" -p "$PORT" --start-conf=manual >/dev/null
    touch "$MARKER"
    configure
    rm -rf "${DATA_DIR:?}"/*
    drop_slot
    # -R writes standby.signal, primary_conninfo and primary_slot_name; -C -S
    # create the slot; -X stream copies the WAL the backup needs.
    as_postgres pg_basebackup -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$DATA_DIR" \
        -R -X stream -C -S "$SLOT" -c fast
}

drop_slot() {
    # Ours only, and only once no standby uses it (its walsender may take a
    # moment to exit after the standby stops).
    for _ in $(seq 40); do
        case "$(primary "SELECT active FROM pg_replication_slots WHERE slot_name = '$SLOT'")" in
        "") return ;;
        f)
            primary "SELECT pg_drop_replication_slot('$SLOT')" >/dev/null && return
            ;;
        esac
        sleep 0.25
    done
    die "replication slot $SLOT is still in use"
}

destroy() {
    [ -e "$MARKER" ] || die "$VERSION/$CLUSTER was not created by this script: not touching it"
    say "rebuilding $VERSION/$CLUSTER: it does not stream from the primary (WAL recycled?)"
    pg_dropcluster --stop "$VERSION" "$CLUSTER"
    drop_slot
}

streaming() {
    [ "$(standby "SELECT pg_is_in_recovery()" 2>/dev/null)" = t ] &&
        [ "$(standby "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null)" = streaming ]
}

LOG=/var/log/postgresql/postgresql-$VERSION-$CLUSTER.log

wait_streaming() {
    # Up to two minutes (a base backup of a busy cluster replays for a
    # while), but give up at once if the primary no longer has its WAL.
    local from=$1
    for _ in $(seq 480); do
        streaming && return 0
        if [ -e "$LOG" ] && tail -c "+$from" "$LOG" | grep -q "has already been removed"; then
            return 1
        fi
        sleep 0.25
    done
    return 1
}

log_size() { stat -c %s "$LOG" 2>/dev/null || echo 0; }

start() {
    pg_isready -q -h 127.0.0.1 -p "$PRIMARY_PORT" || die "no PostgreSQL on port $PRIMARY_PORT"
    [ "$(primary "SHOW wal_level")" != minimal ] || die "the primary runs with wal_level=minimal"
    [ "$(primary "SHOW max_wal_senders")" -gt 0 ] || die "the primary has max_wal_senders=0"
    allow_replication
    if exists && [ ! -e "$MARKER" ]; then
        die "a cluster $VERSION/$CLUSTER exists that this script did not create"
    fi
    exists || create
    configure
    local from
    from=$(($(log_size) + 1))
    if online; then
        as_postgres pg_ctlcluster "$VERSION" "$CLUSTER" reload
    else
        say "starting $VERSION/$CLUSTER"
        # A standby that lost its WAL may fail to start: rebuilt below.
        pg_ctlcluster "$VERSION" "$CLUSTER" start || true
        touch "$STARTED_BY_US"
    fi
    if ! wait_streaming "$from"; then
        # Down too long: the WAL it needs is gone from the primary. Rebuild.
        destroy
        create
        from=$(($(log_size) + 1))
        pg_ctlcluster "$VERSION" "$CLUSTER" start || true
        touch "$STARTED_BY_US"
        wait_streaming "$from" || die "the standby does not stream; see /var/log/postgresql/postgresql-$VERSION-$CLUSTER.log"
    fi
    say "streaming on port $PORT, recovery_min_apply_delay = $(standby "SHOW recovery_min_apply_delay")"
}

stop() {
    if [ -e "$STARTED_BY_US" ] && [ -e "$MARKER" ] && exists; then
        say "stopping and removing $VERSION/$CLUSTER and its replication slot"
        pg_dropcluster --stop "$VERSION" "$CLUSTER"
        drop_slot
    fi
    rm -f "$STARTED_BY_US"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status)
    if exists && online; then
        say "online on port $PORT, in recovery: $(standby "SELECT pg_is_in_recovery()" 2>&1)," \
            "delay $(standby "SHOW recovery_min_apply_delay" 2>&1)"
    else
        say "not running"
    fi
    ;;
run)
    shift
    [ $# -gt 0 ] || die "usage: $0 run COMMAND [ARGS...]"
    was_running=no
    exists && online && [ ! -e "$STARTED_BY_US" ] && was_running=yes
    start
    status=0
    REMEMBERME_TEST_PG_REPLICA_PORT=$PORT "$@" || status=$?
    [ "$was_running" = yes ] || stop
    exit "$status"
    ;;
*)
    echo "usage: $0 start|stop|status|run COMMAND [ARGS...]" >&2
    exit 2
    ;;
esac
