#!/usr/bin/env bash
# Run the benchmark suite (bench/Conductor.Bench) against private PostgreSQL and Redis servers,
# set up as scripts/test.sh does but on bench-only ports. Prints a table and writes
# bench/results.json (bench/results-quick.json with --quick).
#
# Usage: scripts/bench.sh [--quick] [--only 1,3]
# One benchmark at a time per machine (they share ports and would disturb each other's figures):
# a second run waits for the first. The servers are password-protected as run.sh's are (see
# scripts/lib.sh); the bench's stacks connect as the service role, which here may create databases.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

readonly BENCH_DIR=$PWD/.data/bench-servers
readonly PG_PORT=25434
readonly REDIS_PORT=26381

exec 9>"${TMPDIR:-/tmp}/conductor-bench.lock"
if ! flock -n 9; then
    conductor_log "another benchmark is running; waiting for it to finish"
    flock 9
fi

# The stacks' data directories (job files), kept until the end: see bench/Conductor.Bench/Stack.cs.
# shellcheck disable=SC2317 # invoked from the exit trap
remove_stack_data() {
    rm -rf "$PWD/.data/bench"
}
conductor_trap_exit remove_stack_data

# The service role may create databases here: the bench creates one per scenario.
export CONDUCTOR_PG_CREATEDB=1
# pg_stat_statements (shipped with the server) for the bench's PostgreSQL figures per job; track=all
# so statements run inside functions count too; track_io_timing for the block read times.
pg_private=0
conductor_use_private_postgres "$BENCH_DIR/pg" "$PG_PORT" "-c max_connections=300 -c shared_buffers=256MB \
-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c track_io_timing=on" 9>&- && pg_private=1
if (( pg_private )); then
    # Created in the database "postgres" (the view reads the whole cluster's statements), by the
    # bootstrap superuser; the service role the bench connects as may read every role's statistics,
    # and may CHECKPOINT (scenario 5 writes its seed out before timing anything).
    _conductor_pg_admin_sql "$(conductor_find_pg_bin)" "$PG_PORT" "$(conductor_secrets_dir "$BENCH_DIR/pg")" postgres >/dev/null <<SQL \
        || conductor_log "WARNING: could not set up pg_stat_statements; the PostgreSQL figures per job are left out"
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
GRANT pg_read_all_stats, pg_checkpoint TO $CONDUCTOR_PG_SERVICE_ROLE;
SQL
fi
conductor_use_private_redis "$BENCH_DIR/redis" "$REDIS_PORT" 9>&- || true

# For the per-part CPU figures (bench/Conductor.Bench/CpuMeter.cs).
export BENCH_PG_DIR=$BENCH_DIR/pg/data BENCH_REDIS_DIR=$BENCH_DIR/redis

conductor_log "building (Release)"
dotnet build Conductor.sln -c Release -v q -nologo
# The API and the worker run as deployed: published with ReadyToRun code, so the figures are not
# the JIT compiler's start-up work (which a long-lived installation pays once).
case $(uname -m) in
    x86_64) rid=linux-x64 ;;
    aarch64) rid=linux-arm64 ;;
    *) conductor_die "no ReadyToRun runtime identifier for $(uname -m)" ;;
esac
export BENCH_BIN_DIR=$PWD/.data/bench-publish
for project in Conductor.Api Conductor.Worker; do
    conductor_log "publishing $project (Release, ReadyToRun, $rid)"
    dotnet publish "$project/$project.csproj" -c Release -r "$rid" --self-contained false \
        -p:PublishReadyToRun=true -v q -nologo -o "$BENCH_BIN_DIR/$project" >/dev/null
done
# 9>&-: the services the bench starts must not inherit the lock, or a leftover one would hold it.
dotnet bench/Conductor.Bench/bin/Release/net10.0/Conductor.Bench.dll "$@" 9>&-
