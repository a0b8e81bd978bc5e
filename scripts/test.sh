#!/usr/bin/env bash
# Run the Conductor test suite (dotnet test Conductor.sln -c Release) against
# private PostgreSQL and Redis servers on test-only ports.
#
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter Category=Unit: the tests
#        under tests/Conductor.Tests/Unit, which need no server (UnitCategoryTests keeps it so)]
#
# Ports (environment, optional): CONDUCTOR_TEST_PG_PORT (default 25433) and
# CONDUCTOR_TEST_REDIS_PORT (default 26380), e.g. to run next to another test.sh.
#
# Environment exported to the tests:
#   ConnectionStrings__Postgres  Host=127.0.0.1;Port=25433;Username=conductor_service;Password=...;Database=conductor
#                                (a private cluster under .data/test/pg, scram-sha-256 logins
#                                only, fsync off). The service role is not a superuser; here
#                                (only) it has CREATEDB, because the tests create one database
#                                per test class with it. If already set, that server is used as is.
#   ConnectionStrings__Redis     127.0.0.1:26380,password=... (a private Redis under
#                                .data/test/redis, requirepass, no persistence). If already
#                                set, that server is used as is.
#   CONDUCTOR_SERVICES_PROTECTED 1 when both servers are this script's password-protected ones.
#                                The service attack tests require it (they fail, with a message,
#                                rather than pass against an unprotected trust server).
#   CONDUCTOR_TEST_SECRETS_DIR   .data/test/secrets (0700, files 0600): the attack tests let a
#                                job try to read it.
#   CONDUCTOR_PG_DIR, CONDUCTOR_PG_PORT, CONDUCTOR_PG_OPTIONS, CONDUCTOR_PG_CREATEDB
#                                the private PostgreSQL (only when this script owns it), so
#                                the PostgreSQL-restart test can stop and start it with
#                                scripts/lib.sh (conductor_stop_postgres / conductor_start_postgres).
#   CONDUCTOR_REDIS_SERVER_DIR   directory of the private Redis (only when this script
#                                started/owns it, i.e. ConnectionStrings__Redis was unset)
#   CONDUCTOR_REDIS_PORT         its port. Tests that stop and restart Redis use scripts/lib.sh
#                                (it knows the password file):
#       stop:    conductor_stop_redis "$CONDUCTOR_REDIS_SERVER_DIR" "$CONDUCTOR_REDIS_PORT"
#       start:   conductor_start_redis "$CONDUCTOR_REDIS_SERVER_DIR" "$CONDUCTOR_REDIS_PORT"
#                and fail with a message when these two variables are unset; redis-cli
#                calls of their own pass the password in REDISCLI_AUTH (never -a).
#
# The servers this script started are stopped at the end. The last line printed
# is a plain summary ("Tests: N passed, N failed, N skipped"), and the exit code
# is dotnet test's.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

readonly TEST_DIR=$PWD/.data/test
readonly PG_DIR=$TEST_DIR/pg
readonly PG_PORT=${CONDUCTOR_TEST_PG_PORT:-25433}
readonly PG_TEST_OPTIONS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
readonly REDIS_DIR=$TEST_DIR/redis
readonly REDIS_PORT=${CONDUCTOR_TEST_REDIS_PORT:-26380}

conductor_trap_exit ""  # nothing of its own to stop: only the servers

# Sum the per-project test counts in dotnet test output and print
# "N passed, N failed, N skipped"; fail if no summary is found. Understands the
# VSTest console logger at normal verbosity ("Total tests: / Passed: / ..."),
# its minimal form ("Passed!  - Failed: 0, Passed: 5, Skipped: 0, ...") and
# Microsoft.Testing.Platform ("succeeded: 5").
summarize() {
    awk '
        /^[[:space:]]*Total tests:[[:space:]]*[0-9]+[[:space:]]*$/ { normal = 1 }
        /^[[:space:]]+Passed:[[:space:]]*[0-9]+[[:space:]]*$/  { np += $2 }
        /^[[:space:]]+Failed:[[:space:]]*[0-9]+[[:space:]]*$/  { nf += $2 }
        /^[[:space:]]+Skipped:[[:space:]]*[0-9]+[[:space:]]*$/ { ns += $2 }
        /(Passed|Failed)![[:space:]]+-[[:space:]]+Failed:/ {
            minimal = 1
            for (i = 1; i < NF; i++) {
                if ($i == "Failed:")  mf += $(i + 1) + 0
                if ($i == "Passed:")  mp += $(i + 1) + 0
                if ($i == "Skipped:") ms += $(i + 1) + 0
            }
        }
        /^[[:space:]]+succeeded:[[:space:]]*[0-9]+[[:space:]]*$/ { mtp = 1; tp += $2 }
        /^[[:space:]]+failed:[[:space:]]*[0-9]+[[:space:]]*$/    { tf += $2 }
        /^[[:space:]]+skipped:[[:space:]]*[0-9]+[[:space:]]*$/   { ts += $2 }
        END {
            if (normal)       printf "%d passed, %d failed, %d skipped\n", np, nf, ns
            else if (minimal) printf "%d passed, %d failed, %d skipped\n", mp, mf, ms
            else if (mtp)     printf "%d passed, %d failed, %d skipped\n", tp, tf, ts
            else exit 1
        }
    ' "$1"
}

command -v dotnet >/dev/null 2>&1 || conductor_die "dotnet not found on PATH (install the .NET 10 SDK)"
mkdir -p "$TEST_DIR"

# CREATEDB for the service role of a private PostgreSQL: the tests create (and drop) one database per test class.
export CONDUCTOR_PG_CREATEDB=1
protected=0
if conductor_use_private_postgres "$PG_DIR" "$PG_PORT" "$PG_TEST_OPTIONS"; then
    # The PostgreSQL-restart test stops and starts this server with scripts/lib.sh.
    export CONDUCTOR_PG_DIR=$PG_DIR CONDUCTOR_PG_PORT=$PG_PORT CONDUCTOR_PG_OPTIONS=$PG_TEST_OPTIONS
    protected=1
fi
if conductor_use_private_redis "$REDIS_DIR" "$REDIS_PORT"; then
    export CONDUCTOR_REDIS_SERVER_DIR=$REDIS_DIR
    export CONDUCTOR_REDIS_PORT=$REDIS_PORT
else
    protected=0
fi
# Servers given from outside may be protected too: say so by exporting CONDUCTOR_SERVICES_PROTECTED=1.
if (( protected )); then
    export CONDUCTOR_SERVICES_PROTECTED=1 CONDUCTOR_TEST_SECRETS_DIR=$TEST_DIR/secrets
fi

# Run-as tests need the unprivileged user jobs run as, and a data dir that user can traverse.
conductor_ensure_job_user
conductor_make_traversable "$TEST_DIR"
# The web console's tests drive a real headless Chromium: Debian's package, never a download.
conductor_ensure_command chromium chromium
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# The compose file's test validates it with docker-compose (no engine needed), so it never skips here.
conductor_ensure_command docker-compose docker-compose

log_file=$TEST_DIR/dotnet-test.log
conductor_log "running dotnet test (full output also in $log_file)"
rc=0
dotnet test Conductor.sln -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log_file" \
    || rc=${PIPESTATUS[0]}

# Stop the servers now so that the summary below is the last line of the run.
conductor_cleanup

if summary=$(summarize "$log_file"); then
    printf 'Tests: %s\n' "$summary"
else
    conductor_log "no test summary found in the dotnet test output (exit code $rc)"
fi
exit "$rc"
