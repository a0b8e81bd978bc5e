#!/usr/bin/env bash
# Shared helpers for scripts/run.sh and scripts/test.sh: private PostgreSQL and
# Redis servers for local runs and tests. Source this file; do not execute it.
#
#   conductor_log MSG...                  progress line on stderr ("[conductor] MSG")
#   conductor_die MSG...                  error line on stderr, then exit 1
#   conductor_ensure_command CMD PKG      install Debian package PKG if CMD is missing
#   conductor_ensure_redis                install redis-server if it is missing
#   conductor_ensure_postgres             install postgresql if no server binaries are found
#   conductor_find_pg_bin                 print the PostgreSQL bin dir (initdb, pg_ctl, ...)
#   conductor_start_postgres DIR PORT [EXTRA_SERVER_OPTIONS]
#   conductor_stop_postgres DIR
#   conductor_start_redis DIR PORT
#   conductor_stop_redis PORT
#   conductor_ensure_job_user             as root: create the "conductor-job" system user jobs run as
#   conductor_make_traversable DIR        as root: let that user traverse DIR and its parents (o+x)
#
# After conductor_start_postgres / conductor_start_redis, CONDUCTOR_PG_STARTED /
# CONDUCTOR_REDIS_STARTED is 1 if that call started the server and 0 if it
# reused one that was already running (so callers stop only what they started).
# Call the start functions directly, not inside $(...), or those flags are lost.
#
# PostgreSQL refuses to run as root. When these helpers run as root, the cluster
# directory is chowned to the "postgres" OS user and initdb/pg_ctl run as that
# user. If postgres cannot reach DIR (a parent directory is not traversable),
# the cluster is put in /tmp/conductor-pg-<checksum of DIR> instead, with a
# warning. Set CONDUCTOR_PG_BIN to force a PostgreSQL bin directory.

CONDUCTOR_PG_STARTED=${CONDUCTOR_PG_STARTED:-0}
CONDUCTOR_REDIS_STARTED=${CONDUCTOR_REDIS_STARTED:-0}

conductor_log() {
    printf '[conductor] %s\n' "$*" >&2
}

conductor_die() {
    printf '[conductor] ERROR: %s\n' "$*" >&2
    exit 1
}

_conductor_is_root() {
    [[ $(id -u) -eq 0 ]]
}

# Print the last lines of a log file to stderr (used when a server fails).
_conductor_tail_log() {
    local file=$1
    if [[ -r $file ]]; then
        conductor_log "last lines of $file:"
        tail -n 20 "$file" | sed 's/^/    /' >&2 || true
    fi
}

# Install Debian packages as root, or through passwordless sudo. apt is kept
# from starting the packages' own services (a redis on 6379, a cluster on 5432)
# with a temporary policy-rc.d, unless the machine already has one.
_conductor_apt_install() {
    local -a prefix=()
    if ! _conductor_is_root; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
            prefix=(sudo -n)
        else
            conductor_die "$* is not installed and this user cannot install it (not root, no passwordless sudo). Install it with: sudo apt-get install -y $*"
        fi
    fi
    command -v apt-get >/dev/null 2>&1 \
        || conductor_die "$* is not installed and apt-get is not available; install $* with your package manager"
    conductor_log "installing $* with apt-get"
    # shellcheck disable=SC2016 # the script below is expanded by the inner sh
    "${prefix[@]}" sh -c '
        if [ ! -e /usr/sbin/policy-rc.d ]; then
            printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d
            chmod 755 /usr/sbin/policy-rc.d
            trap "rm -f /usr/sbin/policy-rc.d" EXIT
        fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q "$@" || { apt-get update -q && apt-get install -y -q "$@"; }
    ' sh "$@" >&2 || conductor_die "apt-get could not install $*; install it by hand (apt-get install -y $*)"
}

conductor_ensure_command() {
    local cmd=$1 pkg=$2
    command -v "$cmd" >/dev/null 2>&1 && return 0
    conductor_log "$cmd not found"
    _conductor_apt_install "$pkg"
    command -v "$cmd" >/dev/null 2>&1 || conductor_die "$cmd is still not on PATH after installing $pkg"
}

conductor_ensure_redis() {
    conductor_ensure_command redis-server redis-server
    conductor_ensure_command redis-cli redis-tools
}

# Print the PostgreSQL bin dir, or return 1 quietly when there is none.
_conductor_locate_pg_bin() {
    local dir
    if [[ -n ${CONDUCTOR_PG_BIN:-} ]]; then
        [[ -x $CONDUCTOR_PG_BIN/initdb && -x $CONDUCTOR_PG_BIN/pg_ctl ]] || return 1
        printf '%s\n' "$CONDUCTOR_PG_BIN"
        return 0
    fi
    if command -v pg_config >/dev/null 2>&1; then
        dir=$(pg_config --bindir 2>/dev/null || true)
        if [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl ]]; then
            printf '%s\n' "$dir"
            return 0
        fi
    fi
    # Newest Debian-style install (/usr/lib/postgresql/<version>/bin).
    dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl ]]; then
        printf '%s\n' "$dir"
        return 0
    fi
    # Other layouts with the server binaries on PATH.
    if command -v initdb >/dev/null 2>&1; then
        dir=$(dirname "$(command -v initdb)")
        if [[ -x $dir/pg_ctl ]]; then
            printf '%s\n' "$dir"
            return 0
        fi
    fi
    return 1
}

conductor_find_pg_bin() {
    _conductor_locate_pg_bin \
        || conductor_die "PostgreSQL server binaries (initdb, pg_ctl) not found: install them (apt-get install -y postgresql) or set CONDUCTOR_PG_BIN to their directory"
}

conductor_ensure_postgres() {
    _conductor_locate_pg_bin >/dev/null && return 0
    conductor_log "PostgreSQL server binaries not found"
    _conductor_apt_install postgresql
    _conductor_locate_pg_bin >/dev/null || conductor_die "PostgreSQL server binaries still not found after installing postgresql"
}

# Run a PostgreSQL server tool from inside DIR: as the postgres OS user when we
# are root (initdb and pg_ctl refuse to run as root), directly otherwise.
_conductor_as_pg_owner() {
    local dir=$1
    shift
    if _conductor_is_root; then
        if command -v runuser >/dev/null 2>&1; then
            (cd "$dir" && runuser -u postgres -- "$@")
        else
            local cmd
            cmd=$(printf '%q ' "$@")
            (cd "$dir" && su postgres -s /bin/bash -c "$cmd")
        fi
    else
        (cd "$dir" && "$@")
    fi
}

# Print the directory that really holds the cluster for DIR. That is DIR itself,
# except when running as root and the postgres user cannot traverse DIR's parent
# directory; then it is a fixed directory under /tmp derived from DIR's path.
_conductor_pg_home() {
    local dir=$1 parent sum
    if ! _conductor_is_root; then
        printf '%s\n' "$dir"
        return 0
    fi
    parent=$(dirname "$dir")
    if _conductor_as_pg_owner / test -x "$parent" 2>/dev/null; then
        printf '%s\n' "$dir"
        return 0
    fi
    sum=$(printf '%s' "$dir" | cksum | cut -d ' ' -f 1)
    printf '%s\n' "/tmp/conductor-pg-$sum"
}

# A postmaster killed with SIGKILL stays a zombie until init reaps it, and
# meanwhile looks alive to pg_ctl and to a new postmaster. Wait (up to 10 s)
# for such a zombie to disappear. Linux only; a no-op elsewhere.
_conductor_pg_wait_zombie() {
    local data=$1 pid stat deadline
    pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    deadline=$((SECONDS + 10))
    while stat=$(cat "/proc/$pid/stat" 2>/dev/null); do
        stat=${stat##*) }
        [[ ${stat%% *} == Z ]] || return 0
        (( SECONDS < deadline )) || return 0
        sleep 0.2
    done
    return 0
}

# Private ports (25432.., 26379..) sit below Linux's ephemeral range (32768-60999), so a busy
# machine's outgoing connections can never hold the port a restarted server needs.
conductor_start_postgres() {
    local dir=${1:?usage: conductor_start_postgres DIR PORT [EXTRA_SERVER_OPTIONS]}
    local port=${2:?usage: conductor_start_postgres DIR PORT [EXTRA_SERVER_OPTIONS]}
    local extra=${3:-}
    local bin home data logfile sock opts deadline rc started_at
    CONDUCTOR_PG_STARTED=0

    bin=$(conductor_find_pg_bin)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    home=$dir

    if _conductor_is_root; then
        id postgres >/dev/null 2>&1 \
            || conductor_die "running as root, but there is no 'postgres' OS user to run PostgreSQL as (install the postgresql package, or run as an ordinary user)"
        home=$(_conductor_pg_home "$dir")
        if [[ $home != "$dir" ]]; then
            conductor_log "WARNING: the postgres OS user cannot traverse the parent directories of $dir (make them world-executable, e.g. chmod o+x, to keep the cluster there); using $home instead"
            if [[ -e $home && ! -d $home ]] || [[ -L $home ]]; then
                conductor_die "$home exists and is not a directory; remove it"
            fi
            mkdir -p "$home"
        fi
        chown postgres:postgres "$home"
        chmod 700 "$home"
        if [[ -d $home/data ]]; then
            chown -R postgres:postgres "$home/data"
        fi
        _conductor_as_pg_owner / test -w "$home" \
            || conductor_die "the postgres OS user cannot write to $home: make its parent directories traversable by postgres (chmod o+x on each), or set ConnectionStrings__Postgres to an existing server"
    fi

    data=$home/data
    logfile=$home/postgres.log
    # Unix socket paths are limited to ~107 bytes; fall back to /tmp for long paths.
    sock=$home
    if (( ${#sock} + 20 > 100 )); then
        conductor_log "path $home is too long for a unix socket; putting the socket in /tmp"
        sock=/tmp
    fi

    local running=0
    if [[ -s $data/PG_VERSION ]]; then
        _conductor_pg_wait_zombie "$data"
        if _conductor_as_pg_owner "$home" "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
            conductor_log "PostgreSQL from $data is already running; reusing it"
            running=1
        fi
    fi

    if (( ! running )); then
        rc=0
        "$bin/pg_isready" -h 127.0.0.1 -p "$port" -U conductor -d postgres -q >/dev/null 2>&1 || rc=$?
        if (( rc == 0 || rc == 1 )); then
            conductor_log "WARNING: another PostgreSQL server already listens on 127.0.0.1:$port; reusing it (stop it to get a server from $data)"
            running=1
        fi
    fi

    if (( ! running )); then
        if [[ ! -s $data/PG_VERSION ]]; then
            if [[ -d $data ]]; then
                conductor_log "removing incomplete cluster in $data"
                rm -rf "$data"
            fi
            conductor_log "initialising PostgreSQL cluster in $data"
            if ! _conductor_as_pg_owner "$home" "$bin/initdb" -D "$data" -U conductor --auth=trust -E UTF8 --no-locale \
                >"$home/initdb.log" 2>&1; then
                _conductor_tail_log "$home/initdb.log"
                conductor_die "initdb failed (see $home/initdb.log)"
            fi
        fi
        conductor_log "starting PostgreSQL on 127.0.0.1:$port (log: $logfile)"
        opts="-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$sock' -c max_connections=300"
        if [[ -n $extra ]]; then
            opts+=" $extra"
        fi
        if ! _conductor_as_pg_owner "$home" "$bin/pg_ctl" -D "$data" -l "$logfile" -o "$opts" -W start >/dev/null 2>&1; then
            _conductor_tail_log "$logfile"
            conductor_die "pg_ctl start failed (see $logfile)"
        fi
        CONDUCTOR_PG_STARTED=1
    fi

    started_at=$SECONDS
    deadline=$((SECONDS + 30))
    until "$bin/pg_isready" -h 127.0.0.1 -p "$port" -U conductor -d postgres -q >/dev/null 2>&1; do
        if (( SECONDS >= deadline )); then
            _conductor_tail_log "$logfile"
            conductor_die "PostgreSQL did not become ready on 127.0.0.1:$port within 30 s (see $logfile)"
        fi
        # The server stopped by itself (bad option, port taken, ...): fail fast.
        if (( CONDUCTOR_PG_STARTED == 1 && SECONDS - started_at >= 2 )) \
            && ! _conductor_as_pg_owner "$home" "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
            _conductor_tail_log "$logfile"
            conductor_die "PostgreSQL exited during start-up (see $logfile)"
        fi
        sleep 0.2
    done
    conductor_log "PostgreSQL is ready on 127.0.0.1:$port"

    local -a conn=(-h 127.0.0.1 -p "$port" -U conductor)
    local exists
    exists=$("$bin/psql" "${conn[@]}" -d postgres -X -q -t -A \
        -c "SELECT 1 FROM pg_database WHERE datname = 'conductor'") \
        || conductor_die "cannot connect to PostgreSQL on 127.0.0.1:$port as user conductor"
    if [[ $exists != 1 ]]; then
        conductor_log "creating database conductor"
        "$bin/createdb" "${conn[@]}" conductor || conductor_die "createdb conductor failed"
    fi
}

conductor_stop_postgres() {
    local dir=${1:?usage: conductor_stop_postgres DIR}
    local bin home data
    if [[ ! -d $dir ]]; then
        return 0
    fi
    dir=$(cd "$dir" && pwd -P)
    home=$(_conductor_pg_home "$dir")
    data=$home/data
    if [[ ! -f $data/postmaster.pid ]]; then
        return 0
    fi
    bin=$(conductor_find_pg_bin)
    if _conductor_as_pg_owner "$home" "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        conductor_log "stopping PostgreSQL ($data)"
        _conductor_as_pg_owner "$home" "$bin/pg_ctl" -D "$data" stop -m fast -w -t 30 >/dev/null 2>&1 \
            || conductor_log "WARNING: could not stop PostgreSQL in $data"
    fi
    return 0
}

# True if a Redis server answers PONG on 127.0.0.1:PORT.
_conductor_redis_ping() {
    local port=$1 out
    out=$(timeout 5 redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null || true)
    [[ $out == PONG ]]
}

conductor_start_redis() {
    local dir=${1:?usage: conductor_start_redis DIR PORT}
    local port=${2:?usage: conductor_start_redis DIR PORT}
    local deadline
    CONDUCTOR_REDIS_STARTED=0
    command -v redis-server >/dev/null 2>&1 || conductor_die "redis-server not found (install redis-server)"
    command -v redis-cli >/dev/null 2>&1 || conductor_die "redis-cli not found (install redis-tools)"

    if _conductor_redis_ping "$port"; then
        conductor_log "Redis already answers on 127.0.0.1:$port; reusing it"
        return 0
    fi

    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    conductor_log "starting Redis on 127.0.0.1:$port (log: $dir/redis.log)"
    if ! redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no \
        --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null 2>&1; then
        _conductor_tail_log "$dir/redis.log"
        conductor_die "redis-server failed to start (see $dir/redis.log)"
    fi
    CONDUCTOR_REDIS_STARTED=1

    deadline=$((SECONDS + 10))
    until _conductor_redis_ping "$port"; do
        if (( SECONDS >= deadline )); then
            _conductor_tail_log "$dir/redis.log"
            conductor_die "Redis did not answer PING on 127.0.0.1:$port within 10 s (see $dir/redis.log)"
        fi
        sleep 0.1
    done
    conductor_log "Redis is ready on 127.0.0.1:$port"
}

conductor_stop_redis() {
    local port=${1:?usage: conductor_stop_redis PORT}
    local deadline
    if ! command -v redis-cli >/dev/null 2>&1 || ! _conductor_redis_ping "$port"; then
        return 0
    fi
    conductor_log "stopping Redis on 127.0.0.1:$port"
    timeout 10 redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
    deadline=$((SECONDS + 10))
    while _conductor_redis_ping "$port" && (( SECONDS < deadline )); do
        sleep 0.1
    done
    return 0
}

# Jobs never run as root: a root worker drops to this unprivileged user for each job.
conductor_ensure_job_user() {
    _conductor_is_root || return 0
    id conductor-job >/dev/null 2>&1 && return 0
    conductor_log "creating the system user conductor-job (jobs run as this user, never as root)"
    useradd --system --no-create-home --shell /usr/sbin/nologin conductor-job \
        || conductor_die "could not create the conductor-job user (useradd failed)"
}

# The job user must reach its job directory under the data dir: add o+x (traverse, not list)
# to DIR and each parent that lacks it.
conductor_make_traversable() {
    local dir
    _conductor_is_root || return 0
    dir=$(cd "$1" && pwd -P)
    while [[ $dir != / ]]; do
        [[ $(stat -c %A "$dir") == *x ]] || chmod o+x "$dir"
        dir=$(dirname "$dir")
    done
}
