#!/usr/bin/env bash
# A small certificate authority for Conductor's own connections: PostgreSQL (Npgsql
# SSL Mode=VerifyFull), Redis (tls-port) and the workers' output channels (https).
#
# Usage: scripts/make_ca.sh DIR NAME...
#   DIR   where the CA and the certificates go (created 0700)
#   NAME  a host name or IP address a server is reached by; one certificate per NAME:
#         DIR/NAME.crt and DIR/NAME.key (0600), signed by DIR/ca.crt, the name in subjectAltName
#
# The CA's key (DIR/ca.key, 0600) stays where it was made, ideally on no server at all: copy
# only ca.crt to every host, and NAME.crt/NAME.key to the host called NAME. Running it again
# reuses the CA and issues certificates for names that have none yet. Certificates last
# CONDUCTOR_CERT_DAYS (default 825) days; the CA 3650.
set -euo pipefail

dir=${1:?usage: scripts/make_ca.sh DIR NAME...}
shift
[[ $# -gt 0 ]] || { echo "usage: scripts/make_ca.sh DIR NAME..." >&2; exit 2; }
command -v openssl >/dev/null || { echo "openssl is needed (apt-get install -y openssl)" >&2; exit 1; }
days=${CONDUCTOR_CERT_DAYS:-825}
umask 077
mkdir -p "$dir"
chmod 700 "$dir"

if [[ ! -f $dir/ca.key ]]; then
    openssl req -x509 -new -newkey rsa:3072 -nodes -sha256 -days 3650 -subj "/CN=Conductor CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
    chmod 644 "$dir/ca.crt"
    echo "[conductor] CA created: $dir/ca.crt" >&2
fi

for name in "$@"; do
    [[ $name =~ ^[A-Za-z0-9.:-]+$ ]] || { echo "not a host name or address: $name" >&2; exit 2; }
    [[ -f $dir/$name.crt ]] && continue
    if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then san="IP:$name"; else san="DNS:$name"; fi
    openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/CN=$name" -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null
    openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days "$days" -sha256 \
        -extfile <(printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' "$san") \
        -out "$dir/$name.crt" 2>/dev/null
    rm -f "$dir/$name.csr"
    chmod 644 "$dir/$name.crt"
    echo "[conductor] certificate for $name ($san): $dir/$name.crt, key $dir/$name.key" >&2
done
