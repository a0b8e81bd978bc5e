#!/usr/bin/env bash
# Build and run Conductor locally: the API plus one worker.
#
# Usage: scripts/run.sh [--kill-jobs] [--no-build]
#
#   --kill-jobs  when it stops, cancel the jobs still running (through the API) and wait for them
#                to end. Without it they keep running, by design: a worker started again on this
#                machine adopts them (FAULT_TOLERANCE.md), so a restart loses no work.
#   --no-build   run the existing Release build instead of building Conductor.sln first
#
# Environment (all optional):
#   CONDUCTOR_RUN_DATA_DIR       where this installation keeps its state, default $PWD/.data
#                                (the repository's): pg/, redis/, secrets/, jobs-data/, api-token
#                                and run.env (below)
#   CONDUCTOR_RUN_PG_PORT        port of the private PostgreSQL, default 25432
#   CONDUCTOR_RUN_REDIS_PORT     port of the private Redis, default 26379
#   ConnectionStrings__Postgres  if unset, a private PostgreSQL is started under
#                                DATA_DIR/pg on 127.0.0.1:25432 (scram-sha-256 logins only) and
#                                this is set to the service role's string:
#                                Host=127.0.0.1;Port=25432;Username=conductor_service;Password=...;Database=conductor
#   ConnectionStrings__Redis     if unset, a private Redis (requirepass) is started under
#                                DATA_DIR/redis on 127.0.0.1:26379 and this is set to
#                                127.0.0.1:26379,password=... (redis-server is installed
#                                with apt-get if missing)
#   ASPNETCORE_URLS              API address, default http://127.0.0.1:8000
#   Conductor__Worker__DataDir   worker data directory, default DATA_DIR/jobs-data
#
# Secrets: the passwords are generated on first start into DATA_DIR/secrets/ (0700; files 0600,
# readable by the user running this script only): postgres-superuser.password (used by these
# scripts only, to set up), postgres-service.password, redis.password. The API and the worker
# get them in their environment, never on a command line. A .data from an earlier version
# (trust authentication, no Redis password) is migrated on the next start. See scripts/lib.sh.
#
# DATA_DIR/run.env records the ports, the API's URL and the worker's data directory (no
# secrets): scripts/health_check.sh and scripts/cleanup.sh read it, with the secrets, when
# their own environment does not say where the servers are.
#
# Authentication: on first start an admin API token is created (account "admin") and kept
# in DATA_DIR/api-token (mode 600); the sample curl below uses it. Manage tokens with
#   dotnet Conductor.Api/bin/Release/net10.0/Conductor.Api.dll token create|list|revoke
# Jobs never run as root: when this script runs as root it creates the unprivileged
# "conductor-job" user that the worker runs jobs as.
#
# Ctrl-C (or either process exiting) stops the API, the worker and the private
# servers this script started; servers it found already running are left alone. Running jobs
# are left running unless --kill-jobs was given; it says how many.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

kill_jobs=0
build=1
for arg in "$@"; do
    case $arg in
        --kill-jobs) kill_jobs=1 ;;
        --no-build) build=0 ;;
        -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) conductor_die "unknown argument '$arg' (usage: scripts/run.sh [--kill-jobs] [--no-build])" ;;
    esac
done

DATA_DIR=$(conductor_run_data_dir "$PWD")
mkdir -p "$DATA_DIR"
DATA_DIR=$(cd "$DATA_DIR" && pwd -P)
readonly DATA_DIR
readonly PG_DIR=$DATA_DIR/pg
readonly PG_PORT=${CONDUCTOR_RUN_PG_PORT:-25432}
readonly REDIS_DIR=$DATA_DIR/redis
readonly REDIS_PORT=${CONDUCTOR_RUN_REDIS_PORT:-26379}

api_pid=
worker_pid=
base_url=
api_token=

# The API with the admin token, the token on stdin (-H @-), never on curl's command line.
# shellcheck disable=SC2317 # invoked from the exit trap
api() {
    local method=$1 path=$2
    printf 'Authorization: Bearer %s\n' "$api_token" \
        | curl -s -f --max-time 10 -X "$method" -H @- "$base_url$path"
}

# The ids of the RUNNING jobs (one per line), every page; fails when the API does not answer.
# shellcheck disable=SC2317 # invoked from the exit trap
running_job_ids() {
    local page cursor='' next
    while :; do
        page=$(api GET "/jobs?state=RUNNING&limit=1000${cursor:+&cursor=$cursor}") || return 1
        printf '%s\n' "$page" | grep -o '"job_id": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/'
        next=$(printf '%s\n' "$page" | grep -o '"next_cursor": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' || true)
        [[ -n $next ]] || return 0
        cursor=$next
    done
}

# --kill-jobs: cancel what still runs and wait (up to 60 s) until the worker has ended it.
# shellcheck disable=SC2317 # invoked from the exit trap
cancel_running_jobs() {
    local ids id deadline
    if ! ids=$(running_job_ids); then
        conductor_log "WARNING: the API does not answer, so running jobs could not be cancelled; they keep running"
        return 0
    fi
    [[ -n $ids ]] || return 0
    conductor_log "--kill-jobs: cancelling $(wc -l <<<"$ids") running job(s)"
    for id in $ids; do
        api POST "/jobs/cancel/$id" >/dev/null || conductor_log "WARNING: could not cancel job $id"
    done
    deadline=$((SECONDS + 60))
    while ids=$(running_job_ids) && [[ -n $ids ]]; do
        if (( SECONDS >= deadline )) || ! conductor_pid_alive "$worker_pid"; then
            conductor_log "WARNING: job(s) $(tr '\n' ' ' <<<"$ids")still running (no worker ended them)"
            return 0
        fi
        sleep 0.5
    done
    conductor_log "--kill-jobs: no job is running any more"
}

# Without --kill-jobs, say that the jobs outlive this script, and how many when the API can tell.
# shellcheck disable=SC2317 # invoked from the exit trap
report_running_jobs() {
    local ids notice="(by design: a worker started again adopts them); scripts/run.sh --kill-jobs cancels them when it stops"
    if conductor_pid_alive "$api_pid" && ids=$(running_job_ids); then
        [[ -z $ids ]] || conductor_log "$(wc -l <<<"$ids") job(s) keep running $notice"
    else
        conductor_log "jobs that were running keep running $notice"
    fi
}

# Run at exit, before the servers stop: the jobs (as asked), then the worker and the API.
# shellcheck disable=SC2317 # invoked from the exit trap
stop_services() {
    if [[ -n $worker_pid ]]; then
        if (( ! kill_jobs )); then
            report_running_jobs
        elif conductor_pid_alive "$api_pid"; then
            cancel_running_jobs
        else
            conductor_log "WARNING: the API is not running, so running jobs could not be cancelled; they keep running"
        fi
    fi
    if conductor_pid_alive "$worker_pid" || conductor_pid_alive "$api_pid"; then
        conductor_log "stopping API and worker"
        conductor_stop_processes 20 "$worker_pid" "$api_pid"
    fi
}

conductor_trap_exit stop_services

command -v dotnet >/dev/null 2>&1 || conductor_die "dotnet not found on PATH (install the .NET 10 SDK)"
conductor_ensure_command curl curl

# What run.env records: the private servers' ports (servers given from outside are not ours to name).
settings=()
if conductor_use_private_postgres "$PG_DIR" "$PG_PORT"; then
    settings+=("PG_PORT=$PG_PORT")
fi
if conductor_use_private_redis "$REDIS_DIR" "$REDIS_PORT"; then
    settings+=("REDIS_PORT=$REDIS_PORT")
fi

if (( build )); then
    conductor_log "building Conductor.sln (Release)"
    dotnet build -c Release Conductor.sln -v q -nologo
fi

api_dll=Conductor.Api/bin/Release/net10.0/Conductor.Api.dll
[[ -f $api_dll ]] || conductor_die "$api_dll not found: build it (dotnet build -c Release Conductor.sln) or run without --no-build"
token_file=$DATA_DIR/api-token
if [[ ! -s $token_file ]] && ! dotnet "$api_dll" token list | awk -F '\t' 'NR > 1 && $5 == "-" { found = 1 } END { exit !found }'; then
    conductor_log "creating the first API token (account admin); it is kept in $token_file (mode 600) and shown below"
    # The command says "store it safely:" on stderr before the token on stdout; the token goes
    # to the file here, so that line is kept back unless the command fails.
    rc=0
    token_log=$( (umask 077 && dotnet "$api_dll" token create --account admin --admin >"$token_file") 2>&1 ) || rc=$?
    if (( rc != 0 )); then
        printf '%s\n' "$token_log" >&2
        rm -f "$token_file"
        conductor_die "could not create the first API token (exit code $rc)"
    fi
fi
api_token=$(cat "$token_file" 2>/dev/null || printf '<your API token>')

conductor_ensure_job_user
# Exported before the API starts: the API allows working directories under it too.
export Conductor__Worker__DataDir=${Conductor__Worker__DataDir:-$DATA_DIR/jobs-data}
mkdir -p "$Conductor__Worker__DataDir"
conductor_make_traversable "$Conductor__Worker__DataDir"

export ASPNETCORE_URLS=${ASPNETCORE_URLS:-http://127.0.0.1:8000}
# First URL of the list, with a wildcard host replaced by the loopback address.
base_url=${ASPNETCORE_URLS%%;*}
base_url=${base_url%/}
base_url=$(printf '%s\n' "$base_url" | sed -E 's#^(https?://)(\*|\+|0\.0\.0\.0|\[::\])(:|$)#\1127.0.0.1\3#')
conductor_write_run_settings "$DATA_DIR/run.env" "${settings[@]}" "API_URL=$base_url" "WORKER_DATA_DIR=$Conductor__Worker__DataDir"

conductor_log "starting API on $ASPNETCORE_URLS"
dotnet "$api_dll" &
api_pid=$!

deadline=$((SECONDS + 60))
while :; do
    code=$(curl -s -k -o /dev/null -w '%{http_code}' --max-time 2 "$base_url/health" 2>/dev/null || true)
    if [[ -n $code && $code != 000 ]]; then
        break
    fi
    if ! conductor_pid_alive "$api_pid"; then
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

Conductor is running at $base_url  (Ctrl-C stops it; $( ((kill_jobs)) && printf 'running jobs are cancelled then' || printf 'running jobs keep running, --kill-jobs cancels them' ))

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
if ! conductor_pid_alive "$api_pid"; then
    conductor_log "the API exited (exit code $rc); shutting down"
else
    conductor_log "the worker exited (exit code $rc); shutting down"
fi
exit $(( rc == 0 ? 1 : rc ))
