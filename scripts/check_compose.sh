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
# 3. Credentials (see scripts/lib.sh and docker-compose.yml's header): no password in the file;
#    the postgres superuser's from POSTGRES_PASSWORD_FILE, SCRAM-only initdb, the service role's
#    init script (non-superuser) mounted; Redis started from the generated configuration file
#    (requirepass, never on argv) with an authenticated healthcheck; api and worker connect as
#    conductor_service through scripts/compose/with-secrets.sh with only the secrets they need.
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
for name in ("secrets", "postgres", "redis", "api", "worker"):
    check(name in services, f"service {name} is missing")
declared = set((doc.get("volumes") or {}).keys())

for name, svc in services.items():
    check("healthcheck" in svc or name in ("worker", "secrets"), f"{name}: no healthcheck")
    for dep, spec in (svc.get("depends_on") or {}).items():
        check(dep in services, f"{name}: depends_on unknown service {dep}")
        if dep in ("postgres", "redis", "api"):
            check(spec.get("condition") == "service_healthy", f"{name}: depends_on {dep} is not service_healthy")
        if dep == "secrets":
            check(spec.get("condition") == "service_completed_successfully", f"{name}: depends_on secrets is not service_completed_successfully")
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

# Credentials.
def mounts(name):
    out = {}
    for vol in services.get(name, {}).get("volumes") or []:
        src, dst = (vol["source"], vol["target"]) if isinstance(vol, dict) else vol.split(":")[:2]
        out[dst] = src
    return out

def source_of(name, target):
    src = mounts(name).get(target)
    return None if src is None else src.rsplit("/", 1)[-1] if "/" in src else src

for name, svc in services.items():
    for key, value in env(name).items():
        text = str(value).lower()
        check("password=" not in text.replace(" ", ""), f"{name}: {key} carries a password in the compose file")
        check(not (key.endswith("PASSWORD") and value), f"{name}: {key} is set in the compose file (use a _FILE secret)")
    check("--requirepass" not in " ".join(map(str, svc.get("command") or [])), f"{name}: a password on the command line")
    # Only the secrets service and postgres see the superuser password.
    if name not in ("secrets", "postgres"):
        check("pg-superuser-secret" not in mounts(name).values(), f"{name}: mounts the PostgreSQL superuser secret")

pg = env("postgres")
pw_file = pg.get("POSTGRES_PASSWORD_FILE", "")
check(pw_file.startswith("/run/conductor/postgres-superuser/"), "postgres: POSTGRES_PASSWORD_FILE is not the generated superuser secret")
check(mounts("postgres").get("/run/conductor/postgres-superuser") == "pg-superuser-secret", "postgres: the superuser secret volume is not mounted")
args = pg.get("POSTGRES_INITDB_ARGS", "")
check("--auth-local=scram-sha-256" in args and "--auth-host=scram-sha-256" in args, "postgres: initdb is not SCRAM-only (POSTGRES_INITDB_ARGS)")
check(pg.get("POSTGRES_HOST_AUTH_METHOD") == "scram-sha-256", "postgres: POSTGRES_HOST_AUTH_METHOD is not scram-sha-256")
init = [src for dst, src in mounts("postgres").items() if dst.startswith("/docker-entrypoint-initdb.d/")]
check(any(src.endswith("scripts/compose/postgres-init.sh") for src in init), "postgres: scripts/compose/postgres-init.sh is not in /docker-entrypoint-initdb.d")

redis = services.get("redis", {})
check(redis.get("command") == ["redis-server", "/run/conductor/redis/redis.conf"], "redis: not started from the generated /run/conductor/redis/redis.conf")
check(mounts("redis").get("/run/conductor/redis") == "redis-secret", "redis: the redis secret volume is not mounted")
check("REDISCLI_AUTH" in " ".join(map(str, (redis.get("healthcheck") or {}).get("test") or [])), "redis: the healthcheck does not authenticate (REDISCLI_AUTH)")

for name in ("api", "worker"):
    e = env(name)
    check("Username=conductor_service" in e.get("ConnectionStrings__Postgres", ""), f"{name}: does not connect as conductor_service")
    entry = services.get(name, {}).get("entrypoint") or []
    check(entry[:2] == ["/bin/sh", "/opt/conductor/with-secrets.sh"], f"{name}: the entrypoint is not scripts/compose/with-secrets.sh")
    m = mounts(name)
    check(m.get("/opt/conductor/with-secrets.sh", "").endswith("scripts/compose/with-secrets.sh"), f"{name}: with-secrets.sh is not mounted")
    check(m.get("/run/conductor/postgres-service") == "pg-service-secret", f"{name}: the service role secret is not mounted")
    check(m.get("/run/conductor/redis") == "redis-secret", f"{name}: the redis secret is not mounted")

for e in errors:
    print("[conductor] ERROR: " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
'
# The scripts the compose file mounts: the service role must stay a non-superuser.
for f in scripts/compose/generate-secrets.sh scripts/compose/postgres-init.sh scripts/compose/with-secrets.sh; do
    [[ -f $f ]] || conductor_die "$f is missing"
    sh -n "$f" || conductor_die "$f has a syntax error"
done
grep -q 'ALTER ROLE conductor_service WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS' scripts/compose/postgres-init.sh \
    || conductor_die "scripts/compose/postgres-init.sh does not make conductor_service a plain LOGIN role"
conductor_log "docker-compose.yml is valid"
