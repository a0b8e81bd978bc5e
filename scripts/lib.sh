#!/usr/bin/env bash
# Shared helpers for scripts/run.sh, scripts/test.sh and scripts/bench.sh: private PostgreSQL
# and Redis servers for local runs, tests and benchmarks. Source this file; do not execute it.
#
#   conductor_log MSG...                  progress line on stderr ("[conductor] MSG")
#   conductor_die MSG...                  error line on stderr, then exit 1
#   conductor_ensure_command CMD PKG      install Debian package PKG if CMD is missing
#   conductor_ensure_redis                install redis-server if it is missing
#   conductor_ensure_postgres             install postgresql if no server binaries are found
#   conductor_find_pg_bin                 print the PostgreSQL bin dir (initdb, pg_ctl, ...)
#   conductor_start_postgres DIR PORT [EXTRA_SERVER_OPTIONS]
#   conductor_stop_postgres DIR
#   conductor_postgres_connection_string DIR PORT   the services' string (service role, password)
#   conductor_start_redis DIR PORT
#   conductor_stop_redis DIR PORT
#   conductor_redis_connection_string DIR PORT      the services' string (with password=)
#   conductor_secrets_dir DIR             where the secrets of the servers under DIR live
#   conductor_ensure_job_user             as root: create the "conductor-job" system user jobs run as
#   conductor_make_traversable DIR        as root: let that user traverse DIR and its parents (o+x)
#   conductor_use_private_postgres / conductor_use_private_redis, conductor_trap_exit,
#   conductor_load_run_settings ...       see their sections at the end of this file
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
#
# Service credentials (why: jobs are hostile tenants, and they reach loopback):
#  - Nothing logs in without a password. PostgreSQL is initialised with
#    --auth=scram-sha-256 and a generated superuser password (--pwfile); its pg_hba.conf is
#    rewritten to scram-sha-256 lines only (Unix socket, 127.0.0.1, ::1; no trust, no peer, no
#    replication). Redis gets requirepass, fed on stdin with its whole configuration, so the
#    password is never on a command line.
#  - Two PostgreSQL roles. "conductor" is the bootstrap superuser (the name earlier versions
#    used, so an old cluster keeps it); only these scripts log in as it, to set things up.
#    "conductor_service" is what the API and the worker use: LOGIN NOSUPERUSER NOCREATEROLE
#    NOREPLICATION NOBYPASSRLS, owner of the database "conductor" (and of everything in it),
#    CONNECT revoked from PUBLIC there. It has CREATEDB only when CONDUCTOR_PG_CREATEDB=1
#    (test.sh and bench.sh: the tests create one database per test class, the bench one per
#    scenario); otherwise it is set to NOCREATEDB.
#  - Secrets are generated (24 random bytes, hex) on first use into the secrets directory
#    next to DIR: $(dirname DIR)/secrets (e.g. .data/secrets for run.sh, .data/test/secrets
#    for test.sh), mode 0700, files 0600 owned by the user running the script (root under
#    run.sh/test.sh as root): postgres-superuser.password, postgres-service.password,
#    redis.password. Jobs run as other users and cannot read them. A non-root run.sh runs jobs
#    as itself, so there the files are only as safe as that user (the worker says so at start).
#  - The services get their credentials in the environment (ConnectionStrings__Postgres with
#    Password=, ConnectionStrings__Redis with ,password=), never on a command line (ps shows
#    argv to everyone; /proc/PID/environ only to the same user and root). psql gets PGPASSWORD
#    and redis-cli REDISCLI_AUTH the same way; SQL that sets passwords goes through stdin.
#  - An existing cluster from an earlier version (trust) is migrated in place on the next start:
#    passwords set while trust still lets us in, database and tables handed to the service
#    role, pg_hba.conf rewritten, configuration reloaded. A Redis of this directory that still
#    runs without a password gets one with CONFIG SET. A server on the port that belongs to
#    another directory, or does not accept these secrets, is refused rather than reused.
#  - If the secrets directory is lost while the cluster is kept, the scripts cannot log in:
#    they say so; delete the cluster directory (DIR) to start afresh.

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
        # A fresh machine (or image) has empty package lists: update first rather than let
        # apt-get install fail with "Unable to locate package". A stale list that names a
        # version the mirror no longer has is updated on failure.
        if ! apt-cache show "$@" >/dev/null 2>&1; then
            apt-get update -q
        fi
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

CONDUCTOR_PG_SUPERUSER=conductor
CONDUCTOR_PG_SERVICE_ROLE=conductor_service

# The secrets directory of the servers kept under DIR (an absolute path; DIR need not exist).
conductor_secrets_dir() {
    local dir=${1:?usage: conductor_secrets_dir DIR} parent
    parent=$(dirname "$dir")
    mkdir -p "$parent"
    printf '%s/secrets\n' "$(cd "$parent" && pwd -P)"
}

# Print the secret kept in FILE, generating it first if missing. The directory is made 0700
# and the file 0600, both owned by the current user (a copy left with looser modes by hand
# is tightened). Only [0-9a-f] secrets are generated; anything else that would need quoting
# in a connection string or in SQL is refused.
_conductor_secret() {
    local file=$1 dir value
    dir=$(dirname "$file")
    if [[ -L $dir || -L $file ]]; then
        conductor_die "$file or its directory is a symbolic link; refusing to use it as a secret"
    fi
    (umask 077 && mkdir -p "$dir")
    chmod 700 "$dir"
    if [[ ! -s $file ]]; then
        value=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
        (umask 077 && printf '%s\n' "$value" >"$file.new.$$" && mv -f "$file.new.$$" "$file") \
            || conductor_die "could not write $file"
    fi
    if _conductor_is_root; then
        chown root:root "$dir" "$file"
    fi
    chmod 600 "$file"
    IFS= read -r value <"$file" || true
    [[ $value =~ ^[A-Za-z0-9._~-]{16,}$ ]] \
        || conductor_die "$file does not hold a usable secret (16+ characters of [A-Za-z0-9._~-]); delete it to have one generated"
    printf '%s' "$value"
}

# Run psql as the bootstrap superuser over TCP, SQL from stdin (so no password is on a command
# line). PGPASSWORD is ignored by a trust cluster, which is how an old cluster is first reached.
_conductor_pg_admin_sql() {
    local bin=$1 port=$2 secrets=$3 db=$4 password
    password=$(_conductor_secret "$secrets/postgres-superuser.password")
    PGPASSWORD=$password PGCONNECT_TIMEOUT=10 "$bin/psql" -h 127.0.0.1 -p "$port" -U "$CONDUCTOR_PG_SUPERUSER" \
        -d "$db" -X -q -t -A -w -v ON_ERROR_STOP=1
}

# The pg_hba.conf every cluster of these scripts gets: password (SCRAM) logins only.
_conductor_pg_hba() {
    cat <<'HBA'
# Written by scripts/lib.sh: every login needs a password (SCRAM), on the Unix socket and on
# loopback; no trust, no peer, no replication. Jobs share the machine and reach loopback.
local   all   all                 scram-sha-256
host    all   all   127.0.0.1/32  scram-sha-256
host    all   all   ::1/128       scram-sha-256
HBA
}

# Give the running server on PORT (data directory DATA) its passwords, the service role and
# the scram-only pg_hba.conf. Idempotent: run on every start, it also migrates a trust cluster
# of an earlier version in place.
_conductor_pg_secure() {
    local bin=$1 port=$2 home=$3 data=$4 secrets=$5
    local su_pw svc_pw actual createdb=NOCREATEDB
    su_pw=$(_conductor_secret "$secrets/postgres-superuser.password")
    svc_pw=$(_conductor_secret "$secrets/postgres-service.password")
    [[ ${CONDUCTOR_PG_CREATEDB:-0} == 1 ]] && createdb=CREATEDB

    actual=$(printf 'SHOW data_directory;\n' | _conductor_pg_admin_sql "$bin" "$port" "$secrets" postgres 2>/dev/null) \
        || conductor_die "cannot log in to PostgreSQL on 127.0.0.1:$port as $CONDUCTOR_PG_SUPERUSER with the password in $secrets/postgres-superuser.password (another server on that port, or the secrets of this cluster were lost: then delete $data to start afresh)"
    if [[ $(cd "$actual" 2>/dev/null && pwd -P) != "$(cd "$data" 2>/dev/null && pwd -P)" ]]; then
        conductor_die "the PostgreSQL server on 127.0.0.1:$port serves $actual, not $data: stop it or use another port"
    fi

    # The service role runs migrations (ALTER TABLE): it owns the database and every object in it.
    _conductor_pg_admin_sql "$bin" "$port" "$secrets" postgres >/dev/null <<SQL || conductor_die "could not set up the PostgreSQL roles"
SET password_encryption = 'scram-sha-256';
ALTER ROLE $CONDUCTOR_PG_SUPERUSER WITH PASSWORD '$su_pw';
SELECT 'CREATE ROLE $CONDUCTOR_PG_SERVICE_ROLE' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$CONDUCTOR_PG_SERVICE_ROLE') \\gexec
ALTER ROLE $CONDUCTOR_PG_SERVICE_ROLE WITH LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS $createdb PASSWORD '$svc_pw';
SELECT 'CREATE DATABASE conductor OWNER $CONDUCTOR_PG_SERVICE_ROLE' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'conductor') \\gexec
ALTER DATABASE conductor OWNER TO $CONDUCTOR_PG_SERVICE_ROLE;
REVOKE ALL ON DATABASE conductor FROM PUBLIC;
SQL
    _conductor_pg_admin_sql "$bin" "$port" "$secrets" conductor >/dev/null <<SQL || conductor_die "could not hand the objects of database conductor to $CONDUCTOR_PG_SERVICE_ROLE"
DO \$\$
DECLARE r record;
BEGIN
    -- Tables first: ALTER TABLE also moves the sequences they own (identity, serial).
    FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relowner = '$CONDUCTOR_PG_SUPERUSER'::regrole AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
             ORDER BY c.relkind = 'S'
    LOOP
        CONTINUE WHEN r.relkind = 'S' AND NOT EXISTS (SELECT FROM pg_class WHERE oid = r.name AND relowner = '$CONDUCTOR_PG_SUPERUSER'::regrole);
        EXECUTE format('ALTER %s %s OWNER TO $CONDUCTOR_PG_SERVICE_ROLE',
            CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
                           WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.name);
    END LOOP;
    FOR r IN SELECT nspname FROM pg_namespace WHERE nspowner = '$CONDUCTOR_PG_SUPERUSER'::regrole
             AND nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND nspname NOT LIKE 'pg\_%'
    LOOP
        EXECUTE format('ALTER SCHEMA %I OWNER TO $CONDUCTOR_PG_SERVICE_ROLE', r.nspname);
    END LOOP;
END
\$\$;
SQL

    # Only now that the passwords are set: drop trust (an old cluster) and reload.
    if ! _conductor_pg_hba | cmp -s - "$data/pg_hba.conf"; then
        conductor_log "PostgreSQL: password (scram-sha-256) logins only from now on (rewriting $data/pg_hba.conf)"
        _conductor_pg_hba >"$data/pg_hba.conf.new" || conductor_die "could not write $data/pg_hba.conf"
        if _conductor_is_root; then
            chown postgres:postgres "$data/pg_hba.conf.new"
        fi
        chmod 600 "$data/pg_hba.conf.new"
        mv -f "$data/pg_hba.conf.new" "$data/pg_hba.conf"
        printf 'SELECT pg_reload_conf();\n' | _conductor_pg_admin_sql "$bin" "$port" "$secrets" postgres >/dev/null \
            || conductor_die "could not reload the PostgreSQL configuration"
    fi

    printf 'SELECT 1;\n' | PGPASSWORD=$svc_pw PGCONNECT_TIMEOUT=10 "$bin/psql" -h 127.0.0.1 -p "$port" \
        -U "$CONDUCTOR_PG_SERVICE_ROLE" -d conductor -X -q -t -A -w >/dev/null \
        || conductor_die "the service role $CONDUCTOR_PG_SERVICE_ROLE cannot log in to PostgreSQL on 127.0.0.1:$port"
}

# The connection string of the services for the cluster under DIR on PORT (stdout; capture it
# with $(...) into an exported variable, never pass it as an argument).
conductor_postgres_connection_string() {
    local dir=${1:?usage: conductor_postgres_connection_string DIR PORT}
    local port=${2:?usage: conductor_postgres_connection_string DIR PORT}
    _conductor_pg_service_string "$port" "$(_conductor_secret "$(conductor_secrets_dir "$dir")/postgres-service.password")"
}

_conductor_pg_service_string() {
    printf 'Host=127.0.0.1;Port=%s;Username=%s;Password=%s;Database=conductor\n' "$1" "$CONDUCTOR_PG_SERVICE_ROLE" "$2"
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
    local bin home data logfile sock opts deadline rc started_at secrets pwfile
    CONDUCTOR_PG_STARTED=0

    bin=$(conductor_find_pg_bin)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    home=$dir
    secrets=$(conductor_secrets_dir "$dir")

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
            conductor_log "another PostgreSQL server already listens on 127.0.0.1:$port; reusing it if it is this cluster (it must accept this cluster's secrets)"
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
            # initdb runs as postgres: it reads a copy of the superuser password from the cluster's
            # home (0700, postgres), removed right after.
            pwfile=$home/initdb.pwfile
            rm -f "$pwfile"
            (umask 077 && _conductor_secret "$secrets/postgres-superuser.password" >"$pwfile") || conductor_die "could not write $pwfile"
            if _conductor_is_root; then
                chown postgres:postgres "$pwfile"
            fi
            rc=0
            _conductor_as_pg_owner "$home" "$bin/initdb" -D "$data" -U "$CONDUCTOR_PG_SUPERUSER" --auth=scram-sha-256 \
                --pwfile="$pwfile" -E UTF8 --no-locale >"$home/initdb.log" 2>&1 || rc=$?
            rm -f "$pwfile"
            if (( rc != 0 )); then
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

    _conductor_pg_secure "$bin" "$port" "$home" "$data" "$secrets"
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

# What a Redis on 127.0.0.1:PORT answers to PING with PASSWORD (REDISCLI_AUTH, not argv):
# "up" (PONG), "open" (PONG without a password: an unprotected server), "locked" (it wants
# another password) or "down" (nothing answers).
_conductor_redis_state() {
    local port=$1 password=$2 out
    out=$(timeout 5 redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null || true)
    if [[ $out == PONG ]]; then
        printf 'open\n'
        return 0
    fi
    out=$(REDISCLI_AUTH=$password timeout 5 redis-cli --no-auth-warning -h 127.0.0.1 -p "$port" ping 2>&1 || true)
    if [[ $out == PONG ]]; then
        printf 'up\n'
    elif [[ $out == *NOAUTH* || $out == *WRONGPASS* ]]; then
        printf 'locked\n'
    else
        printf 'down\n'
    fi
}

_conductor_redis_password() {
    _conductor_secret "$(conductor_secrets_dir "$1")/redis.password"
}

# The services' StackExchange.Redis configuration for the Redis under DIR on PORT (stdout).
conductor_redis_connection_string() {
    local dir=${1:?usage: conductor_redis_connection_string DIR PORT}
    local port=${2:?usage: conductor_redis_connection_string DIR PORT}
    _conductor_redis_service_string "$port" "$(_conductor_redis_password "$dir")"
}

_conductor_redis_service_string() {
    printf '127.0.0.1:%s,password=%s\n' "$1" "$2"
}

conductor_start_redis() {
    local dir=${1:?usage: conductor_start_redis DIR PORT}
    local port=${2:?usage: conductor_start_redis DIR PORT}
    local deadline password state pid
    CONDUCTOR_REDIS_STARTED=0
    command -v redis-server >/dev/null 2>&1 || conductor_die "redis-server not found (install redis-server)"
    command -v redis-cli >/dev/null 2>&1 || conductor_die "redis-cli not found (install redis-tools)"

    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    password=$(_conductor_redis_password "$dir")
    state=$(_conductor_redis_state "$port" "$password")
    case $state in
        up)
            conductor_log "Redis already answers on 127.0.0.1:$port; reusing it"
            return 0 ;;
        locked)
            conductor_die "a Redis on 127.0.0.1:$port wants another password than $(conductor_secrets_dir "$dir")/redis.password: stop it or use another port" ;;
        open)
            # Ours from an earlier version (its pid file is in DIR): protect it in place.
            pid=$(cat "$dir/redis.pid" 2>/dev/null || true)
            if [[ $pid =~ ^[0-9]+$ && $(cat "/proc/$pid/comm" 2>/dev/null) == redis-server* ]]; then
                conductor_log "Redis on 127.0.0.1:$port has no password (an earlier version); setting one"
                printf 'CONFIG SET requirepass %s\n' "$password" | timeout 5 redis-cli -h 127.0.0.1 -p "$port" >/dev/null 2>&1 || true
                [[ $(_conductor_redis_state "$port" "$password") == up ]] \
                    || conductor_die "could not set a password on the Redis on 127.0.0.1:$port"
                return 0
            fi
            conductor_die "a Redis without a password answers on 127.0.0.1:$port and is not this directory's ($dir): stop it or use another port" ;;
    esac

    conductor_log "starting Redis on 127.0.0.1:$port (log: $dir/redis.log)"
    # The whole configuration on stdin ("-"): requirepass never appears in argv.
    if ! printf '%s\n' "port $port" "bind 127.0.0.1" "protected-mode yes" "dir $dir" 'save ""' "appendonly no" \
        "daemonize yes" "pidfile $dir/redis.pid" "logfile $dir/redis.log" "requirepass $password" \
        | redis-server - >/dev/null 2>&1; then
        _conductor_tail_log "$dir/redis.log"
        conductor_die "redis-server failed to start (see $dir/redis.log)"
    fi
    CONDUCTOR_REDIS_STARTED=1

    deadline=$((SECONDS + 10))
    until [[ $(_conductor_redis_state "$port" "$password") == up ]]; do
        if (( SECONDS >= deadline )); then
            _conductor_tail_log "$dir/redis.log"
            conductor_die "Redis did not answer PING on 127.0.0.1:$port within 10 s (see $dir/redis.log)"
        fi
        sleep 0.1
    done
    conductor_log "Redis is ready on 127.0.0.1:$port"
}

conductor_stop_redis() {
    local dir=${1:?usage: conductor_stop_redis DIR PORT}
    local port=${2:?usage: conductor_stop_redis DIR PORT}
    local deadline password
    command -v redis-cli >/dev/null 2>&1 || return 0
    password=$(_conductor_redis_password "$dir")
    [[ $(_conductor_redis_state "$port" "$password") == up ]] || return 0
    conductor_log "stopping Redis on 127.0.0.1:$port"
    REDISCLI_AUTH=$password timeout 10 redis-cli --no-auth-warning -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
    deadline=$((SECONDS + 10))
    while [[ $(_conductor_redis_state "$port" "$password") == up ]] && (( SECONDS < deadline )); do
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

# --- The servers of run.sh, test.sh and bench.sh -------------------------------------------
#
#   conductor_use_private_postgres DIR PORT [EXTRA_SERVER_OPTIONS]
#   conductor_use_private_redis DIR PORT
#       Unless ConnectionStrings__Postgres (ConnectionStrings__Redis) is already set: install the
#       server if it is missing, start the private one under DIR on PORT, have it stopped at exit
#       if this call started it, and export the services' connection string. Return 1, after
#       saying so, when the variable was set: that server is someone else's.

conductor_use_private_postgres() {
    if [[ -n ${ConnectionStrings__Postgres:-} ]]; then
        conductor_log "using PostgreSQL from ConnectionStrings__Postgres"
        return 1
    fi
    conductor_ensure_postgres
    conductor_start_postgres "$@"
    conductor_stop_postgres_at_exit "$1"
    ConnectionStrings__Postgres=$(conductor_postgres_connection_string "$1" "$2")
    export ConnectionStrings__Postgres
}

conductor_use_private_redis() {
    if [[ -n ${ConnectionStrings__Redis:-} ]]; then
        conductor_log "using Redis from ConnectionStrings__Redis"
        return 1
    fi
    conductor_ensure_redis
    conductor_start_redis "$1" "$2"
    conductor_stop_redis_at_exit "$1" "$2"
    ConnectionStrings__Redis=$(conductor_redis_connection_string "$1" "$2")
    export ConnectionStrings__Redis
}

# --- Stopping what a script started, once, however it ends -------------------------------
#
#   conductor_trap_exit [HOOK]            on exit, INT or TERM: run HOOK (a function name; it
#                                         stops what the script started itself), then stop the
#                                         servers registered below. INT exits 130, TERM 143.
#   conductor_stop_postgres_at_exit DIR   after conductor_start_postgres: stop it at exit if that
#                                         call started it (CONDUCTOR_PG_STARTED=1)
#   conductor_stop_redis_at_exit DIR PORT after conductor_start_redis: the same for Redis
#   conductor_cleanup                     do now what the exit would do (it then does nothing)
#   conductor_pid_alive PID               true while PID runs (not gone, not a zombie)
#   conductor_stop_processes SECONDS PID...   TERM, wait up to SECONDS, then KILL what is left

_conductor_exit_hook=
_conductor_exit_pg_dir=
_conductor_exit_redis_dir=
_conductor_exit_redis_port=
_conductor_cleaned_up=0

conductor_pid_alive() {
    local pid=$1 stat
    [[ -n $pid ]] || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

conductor_stop_processes() {
    local seconds=$1 pid deadline
    shift
    local -a pids=()
    for pid in "$@"; do
        conductor_pid_alive "$pid" && pids+=("$pid")
    done
    (( ${#pids[@]} > 0 )) || return 0
    kill -TERM "${pids[@]}" 2>/dev/null
    deadline=$((SECONDS + seconds))
    for pid in "${pids[@]}"; do
        while conductor_pid_alive "$pid" && (( SECONDS < deadline )); do
            sleep 0.2
        done
        if conductor_pid_alive "$pid"; then
            conductor_log "process $pid did not stop within $seconds s; killing it"
            kill -KILL "$pid" 2>/dev/null
        fi
        wait "$pid" 2>/dev/null
    done
    return 0
}

conductor_stop_postgres_at_exit() {
    (( CONDUCTOR_PG_STARTED )) && _conductor_exit_pg_dir=$1
    return 0
}

conductor_stop_redis_at_exit() {
    if (( CONDUCTOR_REDIS_STARTED )); then
        _conductor_exit_redis_dir=$1
        _conductor_exit_redis_port=$2
    fi
    return 0
}

conductor_cleanup() {
    (( _conductor_cleaned_up )) && return 0
    _conductor_cleaned_up=1
    set +e
    [[ -n $_conductor_exit_hook ]] && "$_conductor_exit_hook"
    [[ -n $_conductor_exit_redis_dir ]] && conductor_stop_redis "$_conductor_exit_redis_dir" "$_conductor_exit_redis_port"
    [[ -n $_conductor_exit_pg_dir ]] && conductor_stop_postgres "$_conductor_exit_pg_dir"
    return 0
}

# shellcheck disable=SC2317 # invoked from traps
_conductor_on_signal() {
    conductor_log "interrupted; shutting down"
    exit "$1"
}

conductor_trap_exit() {
    _conductor_exit_hook=${1:-}
    trap conductor_cleanup EXIT
    trap '_conductor_on_signal 130' INT
    trap '_conductor_on_signal 143' TERM
}

# --- The settings of a scripts/run.sh installation ----------------------------------------
#
# run.sh writes where its installation listens to DATA_DIR/run.env (no secrets: those stay in
# DATA_DIR/secrets), so that health_check.sh and cleanup.sh reach the same servers without being
# told. DATA_DIR is $CONDUCTOR_RUN_DATA_DIR, by default .data in the repository.
#
#   conductor_run_data_dir ROOT                print the data directory of run.sh for the repository ROOT
#   conductor_write_run_settings FILE KEY=VALUE...   write the settings (run.sh)
#   conductor_load_run_settings DATA_DIR       export, for each variable still unset, what run.sh's
#                                              settings say: ConnectionStrings__Postgres,
#                                              ConnectionStrings__Redis, CONDUCTOR_API_URL,
#                                              Conductor__Worker__DataDir

conductor_run_data_dir() {
    printf '%s\n' "${CONDUCTOR_RUN_DATA_DIR:-$1/.data}"
}

conductor_write_run_settings() {
    local file=$1
    shift
    {
        printf '# Written by scripts/run.sh at each start: how to reach this installation.\n'
        printf '# scripts/health_check.sh and scripts/cleanup.sh read it. The passwords stay in secrets/.\n'
        printf '%s\n' "$@"
    } >"$file.new.$$" && mv -f "$file.new.$$" "$file"
}

# Print the secret in FILE, or fail quietly when it is missing, unreadable or malformed.
_conductor_read_secret() {
    local value
    [[ -r $1 && ! -L $1 ]] || return 1
    IFS= read -r value <"$1" || [[ -n $value ]] || return 1
    [[ $value =~ ^[A-Za-z0-9._~-]{16,}$ ]] || return 1
    printf '%s' "$value"
}

conductor_load_run_settings() {
    local data=$1 file key value secrets password
    local pg_port='' redis_port='' api_url='' worker_data=''
    file=$data/run.env
    [[ -r $file ]] || return 0
    # Read, never sourced: only these keys, values taken literally.
    while IFS='=' read -r key value; do
        case $key in
            PG_PORT) [[ $value =~ ^[0-9]+$ ]] && pg_port=$value ;;
            REDIS_PORT) [[ $value =~ ^[0-9]+$ ]] && redis_port=$value ;;
            API_URL) api_url=$value ;;
            WORKER_DATA_DIR) worker_data=$value ;;
        esac
    done <"$file"
    secrets=$data/secrets
    if [[ -z ${ConnectionStrings__Postgres:-} && -n $pg_port ]]; then
        if password=$(_conductor_read_secret "$secrets/postgres-service.password"); then
            ConnectionStrings__Postgres=$(_conductor_pg_service_string "$pg_port" "$password")
            export ConnectionStrings__Postgres
        else
            conductor_log "cannot read $secrets/postgres-service.password (run as the user that ran scripts/run.sh, or set ConnectionStrings__Postgres)"
        fi
    fi
    if [[ -z ${ConnectionStrings__Redis:-} && -n $redis_port ]]; then
        if password=$(_conductor_read_secret "$secrets/redis.password"); then
            ConnectionStrings__Redis=$(_conductor_redis_service_string "$redis_port" "$password")
            export ConnectionStrings__Redis
        else
            conductor_log "cannot read $secrets/redis.password (run as the user that ran scripts/run.sh, or set ConnectionStrings__Redis)"
        fi
    fi
    if [[ -z ${CONDUCTOR_API_URL:-} && -n $api_url ]]; then
        export CONDUCTOR_API_URL=$api_url
    fi
    if [[ -z ${Conductor__Worker__DataDir:-} && -n $worker_data ]]; then
        export Conductor__Worker__DataDir=$worker_data
    fi
    return 0
}
