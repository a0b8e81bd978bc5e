#!/bin/sh
# The services' PostgreSQL role for docker-compose.yml, mounted into the postgres container's
# /docker-entrypoint-initdb.d: runs once, as postgres, when an empty data volume is initialised.
# "conductor_service" is LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS and
# owns the database conductor and everything in it; the superuser (POSTGRES_USER) is left to
# the operator. Idempotent: for a data volume of an earlier version run it by hand once:
#   docker compose exec -u postgres postgres sh /docker-entrypoint-initdb.d/10-conductor-service-role.sh
set -eu
password=$(cat /run/conductor/postgres-service/password)
case $password in
    '' | *[!0-9a-f]*) echo "postgres-init: /run/conductor/postgres-service/password is not a generated password" >&2; exit 1 ;;
esac
# During initialisation the entrypoint sets PGPASSWORD; by hand, the superuser's file gives it.
PGPASSWORD=${PGPASSWORD:-$(cat /run/conductor/postgres-superuser/password)}
export PGPASSWORD
# SQL on stdin: the password is never on a command line.
psql -v ON_ERROR_STOP=1 -X -q --username "$POSTGRES_USER" --dbname postgres <<SQL
SET password_encryption = 'scram-sha-256';
SELECT 'CREATE ROLE conductor_service' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'conductor_service') \gexec
ALTER ROLE conductor_service WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '$password';
ALTER DATABASE conductor OWNER TO conductor_service;
REVOKE ALL ON DATABASE conductor FROM PUBLIC;
SQL
# Tables of an earlier version belong to the superuser: the service role runs the migrations.
psql -v ON_ERROR_STOP=1 -X -q --username "$POSTGRES_USER" --dbname conductor <<SQL
DO \$\$
DECLARE r record;
BEGIN
    FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relowner = '$POSTGRES_USER'::regrole AND c.relkind IN ('r', 'p', 'v', 'S')
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
             ORDER BY c.relkind = 'S'
    LOOP
        CONTINUE WHEN r.relkind = 'S' AND NOT EXISTS (SELECT FROM pg_class WHERE oid = r.name AND relowner = '$POSTGRES_USER'::regrole);
        EXECUTE format('ALTER %s %s OWNER TO conductor_service',
            CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.name);
    END LOOP;
END
\$\$;
SQL
