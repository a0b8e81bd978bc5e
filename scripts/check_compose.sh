#!/usr/bin/env bash
# Validate docker-compose.yml without a Docker engine.
#
# Usage: scripts/check_compose.sh [FILE]    (default docker-compose.yml)
#
# 1. The real compose validator: `docker compose config` (v2 plugin) if present, else
#    `docker-compose config` (v1, Debian package docker-compose); neither needs an engine.
# 2. Structural checks on the rendered file (python3 with PyYAML, Debian python3-yaml):
#    the services, healthchecks, depends_on conditions, named volumes; three workers
#    (worker-1..3), each a node of its own: its name and hostname, its own data volume (shared
#    with no other service), its output channel, which the api reads job output from.
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

file=${1:-docker-compose.yml}
conductor_log "validating $file with: ${compose[*]} config"
rendered=$("${compose[@]}" -f "$file" --project-directory . config)

printf '%s\n' "$rendered" | python3 -c '
import sys, yaml

doc = yaml.safe_load(sys.stdin)
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)

services = doc.get("services", {})
WORKERS = ("worker-1", "worker-2", "worker-3")
for name in ("secrets", "postgres", "redis", "api") + WORKERS:
    check(name in services, f"service {name} is missing")
declared = set((doc.get("volumes") or {}).keys())

for name, svc in services.items():
    check("healthcheck" in svc or name in WORKERS + ("secrets",), f"{name}: no healthcheck")
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

def mounts_of(name):
    out = []
    for vol in services.get(name, {}).get("volumes") or []:
        out.append(vol["source"] if isinstance(vol, dict) else vol.split(":")[0])
    return out

def mount(name, target):
    for vol in services.get(name, {}).get("volumes") or []:
        src, dst = (vol["source"], vol["target"]) if isinstance(vol, dict) else vol.split(":")[:2]
        if dst == target:
            return src
    return None

# Three nodes, each with a data dir of its own, serving output on its channel.
volumes_of = {}
for name in WORKERS:
    worker, e = services.get(name, {}), env(name)
    data = e.get("Conductor__Worker__DataDir")
    check(data is not None, f"{name}: Conductor__Worker__DataDir is not set")
    check(e.get("Conductor__Worker__Name") == name, f"{name}: Conductor__Worker__Name is not {name}")
    check(worker.get("hostname") == name, f"{name}: hostname is not {name} (the api reaches its output channel by it)")
    check("ports" not in worker, f"{name}: publishes ports (the output channel is for the compose network only)")
    check(worker.get("init") is True, f"{name}: init: true is missing")
    source = mount(name, data) if data else None
    check(source is not None, f"{name}: no volume at the data dir")
    volumes_of[name] = source
    check(e.get("Conductor__Worker__Output__Listen", "").endswith(":8101"), f"{name}: Conductor__Worker__Output__Listen is not set to port 8101")
    check(e.get("Conductor__Node__SecretFile", "").startswith("/run/conductor/node/"), f"{name}: Conductor__Node__SecretFile is not the node secret")
    check(mount(name, "/run/conductor/node") == "node-secret", f"{name}: the node secret is not mounted")
    check(e.get("Conductor__Worker__OnShutdown") == "Kill", f"{name}: Conductor__Worker__OnShutdown is not Kill")
for name, source in volumes_of.items():
    users = [other for other in services if other != name and source in mounts_of(other)]
    check(not users, f"{name}: its data volume {source} is mounted by {users} too (each node has its own)")
check(env("api").get("Conductor__Api__NodeOutput__Url") == "http://{node}:8101", "api: Conductor__Api__NodeOutput__Url is not http://{node}:8101")
check(mount("api", "/run/conductor/node") == "node-secret", "api: the node secret is not mounted")
check(env("api").get("Conductor__Node__SecretFile", "").startswith("/run/conductor/node/"), "api: Conductor__Node__SecretFile is not the node secret")
for name in services:
    if name not in WORKERS + ("api", "secrets"):
        check("node-secret" not in mounts_of(name), f"{name}: mounts the node secret")
for name in ("api",) + WORKERS:
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

for name in ("api",) + WORKERS:
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
grep -q 'password /secrets/node 0:0 0400' scripts/compose/generate-secrets.sh \
    || conductor_die "scripts/compose/generate-secrets.sh does not make the node secret root's alone"
grep -q 'ALTER ROLE conductor_service WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS' scripts/compose/postgres-init.sh \
    || conductor_die "scripts/compose/postgres-init.sh does not make conductor_service a plain LOGIN role"
conductor_log "$file is valid"
