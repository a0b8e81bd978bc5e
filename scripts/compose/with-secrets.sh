#!/bin/sh
# Entry point of the api and worker containers in docker-compose.yml: adds the passwords from
# the mounted secret files to the connection strings, in this process' environment only (never
# on a command line, never in the compose file), then runs the command. For a CLI command:
#   docker compose exec api sh /opt/conductor/with-secrets.sh dotnet Conductor.Api.dll token list
set -eu
pg=$(cat /run/conductor/postgres-service/password)
redis=$(cat /run/conductor/redis/password)
export ConnectionStrings__Postgres="${ConnectionStrings__Postgres:?};Password=$pg"
export ConnectionStrings__Redis="${ConnectionStrings__Redis:?},password=$redis"
exec "$@"
