#!/usr/bin/env bash
# The node secret the API and the workers share to sign output-channel requests
# (Conductor__Node__SecretFile): 32 random bytes, hex, in FILE, mode 0600, owner root.
#
# Usage: scripts/make_node_secret.sh FILE    (does nothing if FILE exists)
# Copy FILE to the API host and every worker host, into a directory no job can read.
set -euo pipefail
file=${1:?usage: scripts/make_node_secret.sh FILE}
[[ -e $file ]] && { echo "[conductor] $file exists; kept" >&2; exit 0; }
umask 077
mkdir -p "$(dirname "$file")"
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$file"
chmod 600 "$file"
echo "[conductor] node secret written to $file" >&2
