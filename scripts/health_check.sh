#!/usr/bin/env bash
# Check Conductor: the API, PostgreSQL, Redis, node heartbeats and the invariants of
# FAULT_TOLERANCE.md. One line per check; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (worst wins).
# Drained nodes and paused partitions are listed (the "drained" check, always OK): an operator's choice, not a fault.
#
# Usage: scripts/health_check.sh [--json] [--repair] [--api-url URL] [--lease 30s] [--pending-threshold 10m]
#
#   --repair   apply the safe repairs first (release leaked allocations, mark nodes silent
#              past the lease DOWN, fail RUNNING jobs of DOWN nodes as NodeFail) and say so
#   --json     one JSON document: {"status", "checks": [...], "repairs": [...]}
#
# Environment: ConnectionStrings__Postgres, ConnectionStrings__Redis (as the services),
# CONDUCTOR_API_URL (default http://127.0.0.1:8000), Conductor__Worker__LeaseSeconds. The first
# three default to those of the scripts/run.sh installation in $CONDUCTOR_RUN_DATA_DIR (by default
# the repository's .data), read from its run.env and secrets.
# Cron, every 5 minutes:  */5 * * * *  /opt/conductor/scripts/health_check.sh || mail-the-operator
set -euo pipefail
# shellcheck source=scripts/_operations.sh
source "$(dirname "${BASH_SOURCE[0]}")/_operations.sh"
conductor_run_operation health-check "$@"
