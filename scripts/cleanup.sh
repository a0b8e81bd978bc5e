#!/usr/bin/env bash
# Nightly housekeeping: delete finished jobs (COMPLETED, FAILED, CANCELLED) older than the
# retention with their events, allocations and job directories, in batches; release leaked
# allocations; optionally fail long-PENDING jobs as Expired. Safe next to running services;
# a second run does nothing.
#
# Usage: scripts/cleanup.sh [--older-than 30d] [--expire-pending-after 2d] [--dry-run] [--json]
#                           [--batch-size 1000] [--data-dir DIR]
#
# Environment: ConnectionStrings__Postgres (as the services) and Conductor__Worker__DataDir
# (where this machine's worker keeps jobs/<id>/). When they are unset, those of the scripts/run.sh
# installation are used (its run.env and secrets in $CONDUCTOR_RUN_DATA_DIR, by default the
# repository's .data; the data directory falls back to .data/jobs-data), so the two agree out of the box.
# Cron, nightly at 03:15:  15 3 * * *  /opt/conductor/scripts/cleanup.sh --older-than 30d
set -euo pipefail
# shellcheck source=scripts/_operations.sh
source "$(dirname "${BASH_SOURCE[0]}")/_operations.sh"
export Conductor__Worker__DataDir=${Conductor__Worker__DataDir:-$CONDUCTOR_ROOT/.data/jobs-data}
conductor_run_operation cleanup "$@"
