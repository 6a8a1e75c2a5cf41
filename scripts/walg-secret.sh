#!/usr/bin/env bash
# walg-secret.sh: turn the mounted WAL-G Secret (ternent-postgres-backup: one file per key) into the one
# file archive-command.sh and restore-command.sh read (TERNENT_WALG_ENV_FILE), owned by the user running
# this (999) and readable by it alone (0400), in a memory-backed emptyDir. Runs in the Postgres pod's init
# container "walg-secret", so the postgres container gets neither the Secret's keys in its environment
# nor the Secret volume: the postmaster, every backend and every program a backend starts are born
# without the Spaces key pair and the libsodium key; only archive_command / restore_command read them,
# for the one wal-g they run. (A Secret volume itself cannot be 0400 and owned by 999: with the pod's
# fsGroup the kubelet makes its files root:999 and group-readable.) Like the environment it replaces,
# the file is read at pod start: a changed Secret takes effect when the pod restarts.
#
# Inputs (environment):
#   TERNENT_WALG_SECRET_DIR   the Secret volume (default /ternent/walg-secret)
#   TERNENT_WALG_ENV_FILE     the file to write (default /ternent/secrets/walg.env)
# Output: one JSON line {"file","keys":[…]} (names only, never values); errors on stderr.
# Exit codes: 0 written; 1 cannot read or write; 2 bad input (a key that is not a WAL-G or storage
#   setting, a value with a line break, a required key missing).
set -euo pipefail

log() { printf 'walg-secret: %s\n' "$*" >&2; }
die() {
    local code=$1
    shift
    log "ERROR: $*"
    exit "$code"
}

src=${TERNENT_WALG_SECRET_DIR:-/ternent/walg-secret}
dst=${TERNENT_WALG_ENV_FILE:-/ternent/secrets/walg.env}
[ -d "$src" ] || die 1 "TERNENT_WALG_SECRET_DIR=$src is not a directory (is the Secret mounted?)"
mkdir -p "$(dirname "$dst")" || die 1 "cannot create $(dirname "$dst")"

umask 0077
tmp="$dst.tmp.$$"
trap 'rm -f "$tmp"' EXIT
keys=()
: >"$tmp" || die 1 "cannot write $tmp"
# A Secret volume holds each key as a symlink into ..data/; its dot-entries are not keys.
for f in "$src"/*; do
    [ -e "$f" ] || continue
    key=${f##*/}
    [[ "$key" =~ ^(WALG_[A-Z0-9_]+|AWS_[A-Z0-9_]+|TERNENT_DATA_GENERATION)$ ]] \
        || die 2 "key $key in $src is not WAL-G or storage settings (WALG_*, AWS_*, TERNENT_DATA_GENERATION)"
    value=$(cat "$f") || die 1 "cannot read $f"
    case "$value" in *$'\n'* | *$'\r'*) die 2 "the value of $key contains a line break" ;; esac
    printf '%s=%s\n' "$key" "$value" >>"$tmp" || die 1 "cannot write $tmp"
    keys+=("$key")
done
for k in WALG_S3_PREFIX AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; do
    [[ " ${keys[*]} " == *" $k "* ]] || die 2 "$src has no $k"
done
chmod 0400 "$tmp" || die 1 "cannot chmod $tmp"
mv -f "$tmp" "$dst" || die 1 "cannot move $tmp to $dst"
trap - EXIT
perl -MJSON::PP -e 'print JSON::PP->new->canonical->encode({ file => shift, keys => [@ARGV] }), "\n"' "$dst" "${keys[@]}"
log "wrote $dst (mode 0400) with ${#keys[@]} keys"
