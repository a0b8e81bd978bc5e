#!/usr/bin/env bash
# Validate docker-compose.yml without a Docker engine.
#
# Usage: scripts/check_compose.sh
#
# 1. The real compose validator: `docker compose config` (v2 plugin) if present, else
#    `docker-compose config` (v1, Debian package docker-compose); neither needs an engine.
# 2. Structural checks on the rendered file (python3 with PyYAML, Debian python3-yaml):
#    the four services, healthchecks, depends_on conditions, named volumes, and what
#    `--scale worker=N` needs (no fixed name, hostname or host port on the worker).
# Exits non-zero with a message on the first problem.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
else
    conductor_die "no compose validator found (apt-get install -y docker-compose, or the docker compose plugin)"
fi
python3 -c 'import yaml' 2>/dev/null || conductor_die "python3 with PyYAML is needed (apt-get install -y python3-yaml)"

conductor_log "validating docker-compose.yml with: ${compose[*]} config"
rendered=$("${compose[@]}" -f docker-compose.yml config)

printf '%s\n' "$rendered" | python3 -c '
import sys, yaml

doc = yaml.safe_load(sys.stdin)
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)

services = doc.get("services", {})
for name in ("postgres", "redis", "api", "worker"):
    check(name in services, f"service {name} is missing")
declared = set((doc.get("volumes") or {}).keys())

for name, svc in services.items():
    check("healthcheck" in svc or name == "worker", f"{name}: no healthcheck")
    for dep, spec in (svc.get("depends_on") or {}).items():
        check(dep in services, f"{name}: depends_on unknown service {dep}")
        if dep in ("postgres", "redis", "api"):
            check(spec.get("condition") == "service_healthy", f"{name}: depends_on {dep} is not service_healthy")
    for vol in svc.get("volumes") or []:
        source = vol.get("source") if isinstance(vol, dict) else vol.split(":")[0]
        if source and not source.startswith((".", "/")):
            check(source in declared, f"{name}: volume {source} is not declared under volumes")

def env(name):
    return services.get(name, {}).get("environment") or {}

def mount(name, target):
    for vol in services.get(name, {}).get("volumes") or []:
        src, dst = (vol["source"], vol["target"]) if isinstance(vol, dict) else vol.split(":")[:2]
        if dst == target:
            return src
    return None

worker, api = services.get("worker", {}), services.get("api", {})
data = env("worker").get("Conductor__Worker__DataDir")
check(data is not None, "worker: Conductor__Worker__DataDir is not set")
check("Conductor__Worker__Name" not in env("worker"), "worker: Conductor__Worker__Name must stay unset (node name = container hostname)")
for key in ("container_name", "hostname", "ports"):
    check(key not in worker, f"worker: {key} prevents --scale worker=N")
check(worker.get("init") is True, "worker: init: true is missing")
check(data is not None and mount("worker", data) is not None, "worker: no volume at the data dir")
check(data is not None and mount("api", data) == mount("worker", data), "api: does not mount the workers job volume at the same path")
for name in ("api", "worker"):
    check(env(name).get("ConnectionStrings__Postgres", "").find("Host=postgres") >= 0, f"{name}: ConnectionStrings__Postgres does not point at postgres")
    check(env(name).get("ConnectionStrings__Redis", "").startswith("redis:"), f"{name}: ConnectionStrings__Redis does not point at redis")
check(env("api").get("ASPNETCORE_URLS") == "http://0.0.0.0:8000", "api: ASPNETCORE_URLS is not http://0.0.0.0:8000")

for e in errors:
    print("[conductor] ERROR: " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
'
conductor_log "docker-compose.yml is valid"
