#!/usr/bin/env bash
# Shared by health_check.sh and cleanup.sh: build the worker executable when it is
# missing or older than its sources, then run one of its operations commands.
# Source this file; do not execute it.
#
# Sourcing it also reads the settings of a scripts/run.sh installation (its run.env and
# secrets, in $CONDUCTOR_RUN_DATA_DIR or the repository's .data): ConnectionStrings__Postgres,
# ConnectionStrings__Redis, CONDUCTOR_API_URL and Conductor__Worker__DataDir are taken from
# there when they are unset, so both scripts check the servers run.sh started. See scripts/lib.sh.
#
#   conductor_run_operation COMMAND [ARGS...]   exec dotnet Conductor.Worker.dll COMMAND ARGS
#
# Build output goes to stderr so that --json output on stdout stays one JSON document.
# A failed build exits 3 (UNKNOWN in the monitoring-plugin convention).

CONDUCTOR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly CONDUCTOR_ROOT
readonly CONDUCTOR_WORKER_DLL=$CONDUCTOR_ROOT/Conductor.Worker/bin/Release/net10.0/Conductor.Worker.dll
# shellcheck source=scripts/lib.sh
source "$CONDUCTOR_ROOT/scripts/lib.sh"
conductor_load_run_settings "$(conductor_run_data_dir "$CONDUCTOR_ROOT")"

_conductor_worker_is_stale() {
    [[ -f $CONDUCTOR_WORKER_DLL ]] || return 0
    [[ -n $(find "$CONDUCTOR_ROOT/Conductor.Worker" "$CONDUCTOR_ROOT/Conductor.Core" "$CONDUCTOR_ROOT/build" \
        -path '*/bin' -prune -o -path '*/obj' -prune -o \
        \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name 'appsettings.json' \) -newer "$CONDUCTOR_WORKER_DLL" -print -quit) ]]
}

conductor_run_operation() {
    if _conductor_worker_is_stale; then
        if ! (cd "$CONDUCTOR_ROOT" && dotnet build -c Release -v q -nologo Conductor.Worker) >&2; then
            printf 'UNKNOWN: could not build Conductor.Worker\n'
            exit 3
        fi
    fi
    exec dotnet "$CONDUCTOR_WORKER_DLL" "$@"
}
