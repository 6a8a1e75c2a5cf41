#!/bin/sh
# walg-install.sh: download the pinned WAL-G build, verify its sha256 and install it as
# $TERNENT_BIN/wal-g. Runs in the init container (curlimages/curl: busybox sh, curl,
# sha256sum, tar), so this is POSIX sh without Perl.
#
# Inputs (environment):
#   WALG_VERSION   pinned version, e.g. v3.0.9 (logged and echoed in the JSON line)
#   WALG_URL       https://... or file://... (the lab); either the plain binary or a .tar.gz/.tgz
#                  archive holding exactly one regular file (the binary)
#   WALG_SHA256    64 hex digits: sha256 of the file WALG_URL points at (archive or binary)
#   TERNENT_BIN    directory to install into (created if missing), e.g. /ternent/bin
#
# Output: one JSON line on stdout on success; progress and errors on stderr.
# Exit codes: 0 installed; 1 download, extraction or install failed (nothing installed);
#   2 bad input; 3 refused: sha256 mismatch (fails closed, nothing installed).
set -eu

log() { printf 'walg-install: %s\n' "$*" >&2; }
die() { code=$1; shift; log "$*"; exit "$code"; }

: "${WALG_VERSION:?walg-install: WALG_VERSION is required (e.g. v3.0.9)}"
: "${WALG_URL:?walg-install: WALG_URL is required (https://... or file://...)}"
: "${WALG_SHA256:?walg-install: WALG_SHA256 is required (64 hex digits)}"
: "${TERNENT_BIN:?walg-install: TERNENT_BIN is required (install directory)}"

expected=$(printf '%s' "$WALG_SHA256" | tr 'A-F' 'a-f')
case "$expected" in
    *[!0-9a-f]*) die 2 "WALG_SHA256='$WALG_SHA256' is not hex; expected 64 hex digits" ;;
esac
[ "${#expected}" -eq 64 ] || die 2 "WALG_SHA256='$WALG_SHA256' has ${#expected} characters; expected 64 hex digits"
case "$WALG_URL" in
    https://* | file:///*) ;;
    *) die 2 "WALG_URL='$WALG_URL' is not allowed; use https:// (pods) or file:///absolute/path (lab)" ;;
esac

mkdir -p "$TERNENT_BIN" || die 1 "cannot create TERNENT_BIN='$TERNENT_BIN'"
# Stage next to the target so the final step is a rename on the same file system.
stage=$(mktemp -d "$TERNENT_BIN/.walg-install.XXXXXX") || die 1 "cannot create a staging directory in $TERNENT_BIN"
trap 'rm -rf "$stage"' EXIT
trap 'exit 1' HUP INT TERM
download="$stage/download"

log "fetching WAL-G $WALG_VERSION from $WALG_URL"
case "$WALG_URL" in
    file://*)
        src=${WALG_URL#file://}
        [ -f "$src" ] || die 1 "download failed: $src does not exist (from WALG_URL=$WALG_URL)"
        cp "$src" "$download" || die 1 "download failed: cannot copy $src"
        ;;
    *)
        curl -fsSL --proto '=https' --retry 3 --retry-delay 2 --connect-timeout 20 -o "$download" "$WALG_URL" \
            || die 1 "download failed: curl could not fetch $WALG_URL"
        ;;
esac

actual=$(sha256sum "$download" | cut -d ' ' -f 1)
if [ "$actual" != "$expected" ]; then
    die 3 "sha256 mismatch for $WALG_URL: expected $expected, actual $actual; nothing installed (check walg.sha256 in the stack config)"
fi
log "sha256 verified: $actual"

case "$WALG_URL" in
    *.tar.gz | *.tgz)
        mkdir "$stage/x"
        tar -xzf "$download" -C "$stage/x" || die 1 "cannot extract $WALG_URL as .tar.gz"
        files=$(find "$stage/x" -type f)
        count=$(find "$stage/x" -type f | wc -l | tr -d ' ')
        [ "$count" -eq 1 ] || die 1 "archive $WALG_URL must hold exactly one file, found $count: $(printf '%s' "$files" | tr '\n' ' ')"
        binary=$files
        ;;
    *) binary=$download ;;
esac

chmod 0755 "$binary"
mv -f "$binary" "$TERNENT_BIN/wal-g" || die 1 "cannot install $TERNENT_BIN/wal-g"
log "installed $TERNENT_BIN/wal-g"

# The release binary is linked against glibc; the installer image may not be able to run it.
runnable=false
if version=$("$TERNENT_BIN/wal-g" --version 2>/dev/null); then
    runnable=true
    log "$version"
else
    log "wal-g is installed but does not run in this image (expected in a musl init container)"
fi
json_escape() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
printf '{"installed":"%s","version":"%s","url":"%s","sha256":"%s","runnable":%s}\n' \
    "$(json_escape "$TERNENT_BIN/wal-g")" "$(json_escape "$WALG_VERSION")" "$(json_escape "$WALG_URL")" "$actual" "$runnable"
