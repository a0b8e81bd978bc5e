#!/usr/bin/env bash
# Separate "hosts" on one machine for the Hosts tests: network namespaces joined by veth pairs
# to a bridge in the core host's namespace, and (with `run`) a mount namespace per process in
# which the other hosts' data directories are hidden under empty tmpfs mounts.
#
#   netns.sh probe                         exit 0 if namespaces can be made here, else say why
#   netns.sh up ID NET                     cnd-ID-core (NET.1, bridge), cnd-ID-h1 (NET.11),
#                                          cnd-ID-h2 (NET.12); this root namespace gets NET.254
#   netns.sh services ID NET DIR PGPW RPW  PostgreSQL (NET.1:5432, SCRAM, superuser conductor,
#                                          database conductor) and Redis (NET.1:6379) in cnd-ID-core
#   netns.sh run ID HOST HIDE -- CMD...    exec CMD in HOST's network namespace and a mount
#                                          namespace of its own where each dir of HIDE (":"-separated) is empty
#   netns.sh cut|mend ID HOST              the link of HOST down / up
#   netns.sh down ID DIR                   stop everything in the namespaces and remove them
#
# nsenter --net (not `ip netns exec`, which remounts /sys and so hides the cgroup file systems
# the workers need).
set -euo pipefail

ns() { printf 'cnd-%s-%s' "$1" "$2"; }

link() { # ID NAME NETNS ADDRESS: a veth from NETNS (or the root namespace) to the core bridge
    local id=$1 name=$2 target=$3 address=$4 near="c$1$2" far="k$1$2"
    ip link add "$near" type veth peer name "$far"
    ip link set "$far" netns "$(ns "$id" core)"
    ip -n "$(ns "$id" core)" link set "$far" master br0 up
    if [[ $target == root ]]; then
        ip addr add "$address/24" dev "$near"
        ip link set "$near" up
    else
        ip link set "$near" netns "$target"
        ip -n "$target" link set "$near" name eth0
        ip -n "$target" addr add "$address/24" dev eth0
        ip -n "$target" link set eth0 up
    fi
}

case ${1:-} in
probe)
    [[ $(id -u) == 0 ]] || { echo "not root"; exit 1; }
    for tool in ip nsenter unshare; do command -v "$tool" >/dev/null || { echo "$tool is not installed"; exit 1; }; done
    probe="cnd-probe-$$"
    ip netns add "$probe" 2>/dev/null || { echo "cannot create a network namespace (ip netns add)"; exit 1; }
    trap 'ip netns del "$probe"' EXIT
    nsenter --net="/run/netns/$probe" unshare --mount --propagation private true 2>/dev/null \
        || { echo "cannot create a mount namespace (unshare --mount)"; exit 1; }
    ip link add "cndp$$" type veth peer name "cndq$$" 2>/dev/null || { echo "cannot create veth pairs"; exit 1; }
    ip link del "cndp$$"
    ;;
up)
    id=$2 net=$3
    for host in core h1 h2; do
        ip netns add "$(ns "$id" "$host")"
        ip -n "$(ns "$id" "$host")" link set lo up
    done
    ip -n "$(ns "$id" core)" link add br0 type bridge
    ip -n "$(ns "$id" core)" addr add "$net.1/24" dev br0
    ip -n "$(ns "$id" core)" link set br0 up
    link "$id" r root "$net.254"
    link "$id" 1 "$(ns "$id" h1)" "$net.11"
    link "$id" 2 "$(ns "$id" h2)" "$net.12"
    ;;
services)
    id=$2 net=$3 dir=$4 pgpw=$5 rpw=$6 core=/run/netns/$(ns "$2" core)
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    mkdir -p "$dir/pg"
    chmod 755 "$dir"
    chown postgres: "$dir/pg"
    printf '%s\n' "$pgpw" >"$dir/pg.pw"
    chown postgres: "$dir/pg.pw"
    chmod 600 "$dir/pg.pw"
    su postgres -s /bin/sh -c "'$bin/initdb' -D '$dir/pg/data' -U conductor --auth=scram-sha-256 --pwfile='$dir/pg.pw' -E UTF8" >"$dir/initdb.log"
    echo "host all all $net.0/24 scram-sha-256" >>"$dir/pg/data/pg_hba.conf"
    nsenter --net="$core" su postgres -s /bin/sh -c "'$bin/pg_ctl' -D '$dir/pg/data' -l '$dir/pg/server.log' -w start \
        -o \"-c listen_addresses=$net.1 -p 5432 -c unix_socket_directories='$dir/pg' -c fsync=off -c max_connections=200\"" >/dev/null
    PGPASSWORD=$pgpw nsenter --net="$core" "$bin/psql" -h "$net.1" -U conductor -d postgres -qc 'CREATE DATABASE conductor' >/dev/null
    cat >"$dir/redis.conf" <<CONF
bind $net.1
port 6379
requirepass $rpw
save ""
appendonly no
daemonize yes
dir $dir
pidfile $dir/redis.pid
logfile $dir/redis.log
CONF
    chmod 600 "$dir/redis.conf"
    nsenter --net="$core" redis-server "$dir/redis.conf"
    ;;
run)
    id=$2 host=$3 hide=$4
    shift 4
    [[ ${1:-} == -- ]] && shift
    exec nsenter --net="/run/netns/$(ns "$id" "$host")" unshare --mount --propagation private bash -c '
        IFS=: read -ra dirs <<<"$1"; shift
        for d in "${dirs[@]}"; do [[ -n $d ]] && mount -t tmpfs -o mode=0755,size=1m hidden "$d"; done
        exec "$@"' netns-run "$hide" "$@"
    ;;
cut)  ip -n "$(ns "$2" "$3")" link set eth0 down ;;
mend) ip -n "$(ns "$2" "$3")" link set eth0 up ;;
down)
    id=$2 dir=${3:-}
    if [[ -n $dir && -d $dir/pg/data ]]; then
        bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
        su postgres -s /bin/sh -c "'$bin/pg_ctl' -D '$dir/pg/data' -m immediate stop" >/dev/null 2>&1 || true
    fi
    for host in h1 h2 core; do
        name=$(ns "$id" "$host")
        [[ -e /run/netns/$name ]] || continue
        for pid in $(ip netns pids "$name"); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$name"
    done
    ip link del "c${id}r" 2>/dev/null || true
    ;;
*)
    sed -n '2,16p' "$0"
    exit 2
    ;;
esac
