#!/usr/bin/env bash
# Build and run Conductor locally: the API plus one worker.
#
# Usage: scripts/run.sh
#
# Environment (all optional):
#   ConnectionStrings__Postgres  if unset, a private PostgreSQL is started under
#                                .data/pg on 127.0.0.1:25432 (scram-sha-256 logins only) and
#                                this is set to the service role's string:
#                                Host=127.0.0.1;Port=25432;Username=conductor_service;Password=...;Database=conductor
#   ConnectionStrings__Redis     if unset, a private Redis (requirepass) is started under
#                                .data/redis on 127.0.0.1:26379 and this is set to
#                                127.0.0.1:26379,password=... (redis-server is installed
#                                with apt-get if missing)
#   ASPNETCORE_URLS              API address, default http://127.0.0.1:8000
#   Conductor__Worker__DataDir   worker data directory, default $PWD/.data/jobs-data
#
# Secrets: the passwords are generated on first start into .data/secrets/ (0700; files 0600,
# readable by the user running this script only): postgres-superuser.password (used by these
# scripts only, to set up), postgres-service.password, redis.password. The API and the worker
# get them in their environment, never on a command line. A .data from an earlier version
# (trust authentication, no Redis password) is migrated on the next start. See scripts/lib.sh.
#
# Authentication: on first start an admin API token is created (account "admin") and kept
# in .data/api-token (mode 600); the sample curl below uses it. Manage tokens with
#   dotnet Conductor.Api/bin/Release/net10.0/Conductor.Api.dll token create|list|revoke
# Jobs never run as root: when this script runs as root it creates the unprivileged
# "conductor-job" user that the worker runs jobs as.
#
# Ctrl-C (or either process exiting) stops the API, the worker and the private
# servers this script started; servers it found already running are left alone.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

readonly PG_DIR=$PWD/.data/pg
readonly PG_PORT=25432
readonly REDIS_DIR=$PWD/.data/redis
readonly REDIS_PORT=26379

api_pid=
worker_pid=
started_pg=0
started_redis=0
cleaned_up=0

# True while PID is a live process (not gone, not a zombie awaiting wait).
pid_alive() {
    local pid=$1 stat
    [[ -n $pid ]] || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

# Stop everything this script started. Runs once, from the EXIT trap.
# shellcheck disable=SC2317 # invoked from traps
cleanup() {
    local pid deadline
    local -a pids=()
    (( cleaned_up )) && return 0
    cleaned_up=1
    set +e
    for pid in "$worker_pid" "$api_pid"; do
        if pid_alive "$pid"; then
            pids+=("$pid")
        fi
    done
    if (( ${#pids[@]} > 0 )); then
        conductor_log "stopping API and worker"
        kill -TERM "${pids[@]}" 2>/dev/null
        deadline=$((SECONDS + 20))
        for pid in "${pids[@]}"; do
            while pid_alive "$pid" && (( SECONDS < deadline )); do
                sleep 0.2
            done
            if pid_alive "$pid"; then
                conductor_log "process $pid did not stop in time; killing it"
                kill -KILL "$pid" 2>/dev/null
            fi
            wait "$pid" 2>/dev/null
        done
    fi
    if (( started_redis )); then
        conductor_stop_redis "$REDIS_DIR" "$REDIS_PORT"
    fi
    if (( started_pg )); then
        conductor_stop_postgres "$PG_DIR"
    fi
    return 0
}

# shellcheck disable=SC2317 # invoked from traps
on_signal() {
    conductor_log "interrupted; shutting down"
    exit "$1"
}

trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

command -v dotnet >/dev/null 2>&1 || conductor_die "dotnet not found on PATH (install the .NET 10 SDK)"
conductor_ensure_command curl curl

if [[ -z ${ConnectionStrings__Postgres:-} ]]; then
    conductor_ensure_postgres
    conductor_start_postgres "$PG_DIR" "$PG_PORT"
    started_pg=$CONDUCTOR_PG_STARTED
    ConnectionStrings__Postgres=$(conductor_postgres_connection_string "$PG_DIR" "$PG_PORT")
    export ConnectionStrings__Postgres
else
    conductor_log "using PostgreSQL from ConnectionStrings__Postgres"
fi

if [[ -z ${ConnectionStrings__Redis:-} ]]; then
    conductor_ensure_redis
    conductor_start_redis "$REDIS_DIR" "$REDIS_PORT"
    started_redis=$CONDUCTOR_REDIS_STARTED
    ConnectionStrings__Redis=$(conductor_redis_connection_string "$REDIS_DIR" "$REDIS_PORT")
    export ConnectionStrings__Redis
else
    conductor_log "using Redis from ConnectionStrings__Redis"
fi

conductor_log "building Conductor.sln (Release)"
dotnet build -c Release Conductor.sln -v q -nologo

api_dll=Conductor.Api/bin/Release/net10.0/Conductor.Api.dll
token_file=$PWD/.data/api-token
if [[ ! -s $token_file ]] && ! dotnet "$api_dll" token list | awk -F '\t' 'NR > 1 && $5 == "-" { found = 1 } END { exit !found }'; then
    conductor_log "creating the first API token (account admin); it is kept in $token_file"
    ( umask 077 && dotnet "$api_dll" token create --account admin --admin >"$token_file" )
fi
api_token=$(cat "$token_file" 2>/dev/null || printf '<your API token>')

conductor_ensure_job_user
# Exported before the API starts: the API allows working directories under it too.
export Conductor__Worker__DataDir=${Conductor__Worker__DataDir:-$PWD/.data/jobs-data}
mkdir -p "$Conductor__Worker__DataDir"
conductor_make_traversable "$Conductor__Worker__DataDir"

export ASPNETCORE_URLS=${ASPNETCORE_URLS:-http://127.0.0.1:8000}
# First URL of the list, with a wildcard host replaced by the loopback address.
base_url=${ASPNETCORE_URLS%%;*}
base_url=${base_url%/}
base_url=$(printf '%s\n' "$base_url" | sed -E 's#^(https?://)(\*|\+|0\.0\.0\.0|\[::\])(:|$)#\1127.0.0.1\3#')

conductor_log "starting API on $ASPNETCORE_URLS"
dotnet "$api_dll" &
api_pid=$!

deadline=$((SECONDS + 60))
while :; do
    code=$(curl -s -k -o /dev/null -w '%{http_code}' --max-time 2 "$base_url/health" 2>/dev/null || true)
    if [[ -n $code && $code != 000 ]]; then
        break
    fi
    if ! pid_alive "$api_pid"; then
        rc=0
        wait "$api_pid" || rc=$?
        api_pid=
        conductor_die "the API exited during start-up (exit code $rc)"
    fi
    if (( SECONDS >= deadline )); then
        conductor_die "the API did not answer $base_url/health within 60 s"
    fi
    sleep 0.5
done
conductor_log "API is up ($base_url/health answered HTTP $code)"

conductor_log "starting worker (data dir $Conductor__Worker__DataDir)"
dotnet Conductor.Worker/bin/Release/net10.0/Conductor.Worker.dll &
worker_pid=$!

# The single quotes keep $CONDUCTOR_JOB_ID, $(nproc) and \n literal in the sample.
# shellcheck disable=SC2016
sample_job='{"job":{"name":"hello","cpus_per_task":1,"time_limit":"5"},"script":"#!/bin/bash\necho hello from $CONDUCTOR_JOB_ID on $(nproc) core"}'
cat <<EOF

Conductor is running at $base_url  (Ctrl-C stops it)

Submit a job:
  curl -s -X POST $base_url/jobs/submit -H 'Authorization: Bearer $api_token' -H 'Content-Type: application/json' -d '$sample_job'

Query it:
  curl -s -H 'Authorization: Bearer $api_token' $base_url/jobs/query/<job_id>

Or with the Slurm-compatible command line (built with the solution; see docs/cli.md):
  export CONDUCTOR_URL=$base_url CONDUCTOR_TOKEN=$api_token PATH="$PWD/Conductor.Cli/bin/Release/net10.0:\$PATH"
  conductor sbatch --wrap 'echo hello from \$SLURM_JOB_ID'; conductor squeue; conductor sacct
  conductor install-links ~/.local/bin   # sbatch, squeue, scancel, sacct, sinfo, scontrol as links

EOF

# Wait until either process exits (or a signal arrives); the EXIT trap then
# stops the other one and the private servers.
rc=0
wait -n "$api_pid" "$worker_pid" || rc=$?
if ! pid_alive "$api_pid"; then
    conductor_log "the API exited (exit code $rc); shutting down"
else
    conductor_log "the worker exited (exit code $rc); shutting down"
fi
exit $(( rc == 0 ? 1 : rc ))
