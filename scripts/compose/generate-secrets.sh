#!/bin/sh
# docker-compose.yml's one-shot "secrets" service: generates each password once (24 random
# bytes, hex) into its own named volume, so that every service mounts only the secrets it needs:
#   /secrets/postgres-superuser/password  999:999   0400  the postgres image (POSTGRES_PASSWORD_FILE)
#   /secrets/postgres-service/password    999:1654  0440  postgres' init script; api and worker
#   /secrets/redis/password               999:1654  0440  api and worker; redis' healthcheck (root)
#   /secrets/redis/redis.conf             999:999   0400  redis-server (requirepass, no persistence)
#   /secrets/node/password                0:0       0400  api and workers: signs output-channel requests
# 999 is the postgres and the redis user of their official images, 1654 the group of the .NET
# images' non-root user (APP_UID) the api and the worker run as. Jobs must not run with that
# group: a root worker runs them as per-account users; a non-root worker cannot isolate them.
# Existing passwords are kept; ownership and modes are set again on every run.
set -eu
umask 077

password() {
    dir=$1
    if [ ! -s "$dir/password" ]; then
        od -An -tx1 -N24 /dev/urandom | tr -d ' \n' >"$dir/password.new"
        mv -f "$dir/password.new" "$dir/password"
    fi
    chown "$2" "$dir" "$dir/password"
    chmod 0750 "$dir"
    chmod "$3" "$dir/password"
}

password /secrets/postgres-superuser 999:999 0400
password /secrets/postgres-service 999:1654 0440
password /secrets/redis 999:1654 0440
# The node secret: root's alone (the api and the workers run as root; LoadSecret refuses a
# secret file that anyone else may read).
password /secrets/node 0:0 0400

printf 'requirepass %s\nsave ""\nappendonly no\n' "$(cat /secrets/redis/password)" >/secrets/redis/redis.conf.new
chown 999:999 /secrets/redis/redis.conf.new
chmod 0400 /secrets/redis/redis.conf.new
mv -f /secrets/redis/redis.conf.new /secrets/redis/redis.conf
echo "secrets ready"
