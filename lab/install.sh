#!/usr/bin/env bash
# lab/install.sh: install what the local DR lab needs, only what is missing; a second run is fast.
#   Debian packages: postgresql-15, libbrotli1 (run-time library of a WAL-G built with the brotli
#     tag), shellcheck, curl, and the benchmark's peers pgbackrest, barman-cli-cloud, python3-boto3
#     (apt-get; root or sudo)
#   MinIO and mc: go install at pinned pseudo-versions into $TERNENT_CACHE/bin
#   WAL-G: the release asset the pods install (URL + sha256 from lib/walg-release.json), downloaded,
#          verified and extracted to $TERNENT_CACHE/bin/wal-g; where it cannot be downloaded (no
#          internet), TERNENT_WALG_BIN names a WAL-G of the pinned version (checked with --version).
# Go builds stay under the cache: GOMODCACHE=$TERNENT_CACHE/gomod, GOCACHE=$TERNENT_CACHE/gobuild.
#
# Inputs (environment): TERNENT_CACHE (default ~/.cache/ternent-postgres), TERNENT_WALG_BIN (optional),
#   TERNENT_SKIP_APT=1 (do not touch apt).
# Output: one line per component on stderr; the last line says what is missing.
# Exit codes: 0 everything the lab needs is there; 1 something is missing (printed); 2 the WAL-G
#   download did not match the pinned sha256 (nothing installed).
set -euo pipefail

CACHE=${TERNENT_CACHE:-$HOME/.cache/ternent-postgres}
MINIO_MODULE=github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
MC_MODULE=github.com/minio/mc@v0.0.0-20250313080218-cf909e1063a9
PG_BIN=${TERNENT_PG_BIN:-/usr/lib/postgresql/15/bin}
REPO=$(cd "$(dirname "$0")/.." && pwd)

say() { printf 'lab/install: %s\n' "$*" >&2; }
missing=()
mkdir -p "$CACHE/bin"

# --- Debian packages -----------------------------------------------------------------------------
need_pkgs=()
[ -x "$PG_BIN/postgres" ] || need_pkgs+=(postgresql-15)
dpkg -s libbrotli1 >/dev/null 2>&1 || need_pkgs+=(libbrotli1)
command -v shellcheck >/dev/null 2>&1 || need_pkgs+=(shellcheck)
command -v curl >/dev/null 2>&1 || need_pkgs+=(curl)
# The peers of `npm run bench -- --peers` (and its CI smoke test): pgBackRest and barman-cloud.
command -v pgbackrest >/dev/null 2>&1 || need_pkgs+=(pgbackrest)
command -v barman-cloud-backup >/dev/null 2>&1 || need_pkgs+=(barman-cli-cloud)
dpkg -s python3-boto3 >/dev/null 2>&1 || need_pkgs+=(python3-boto3)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
    if [ "${TERNENT_SKIP_APT:-0}" = 1 ]; then
        missing+=("${need_pkgs[@]}")
    else
        sudo=()
        [ "$(id -u)" -eq 0 ] || sudo=(sudo)
        say "apt-get install ${need_pkgs[*]}"
        "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${need_pkgs[@]}" >&2 \
            || missing+=("${need_pkgs[@]}")
    fi
else
    say "postgresql-15, libbrotli1, shellcheck, curl, pgbackrest, barman-cli-cloud, python3-boto3: present"
fi

# --- Go-built tools --------------------------------------------------------------------------------
go_env=(GOBIN="$CACHE/bin" GOMODCACHE="$CACHE/gomod" GOCACHE="$CACHE/gobuild")
if ! command -v go >/dev/null 2>&1; then
    say "go not found: MinIO and mc cannot be built"
fi
for tool in minio mc; do
    module=$([ "$tool" = minio ] && echo "$MINIO_MODULE" || echo "$MC_MODULE")
    if [ -x "$CACHE/bin/$tool" ]; then
        say "$tool: $CACHE/bin/$tool (cached)"
    elif command -v go >/dev/null 2>&1; then
        say "$tool: go install $module (first run only; a few minutes)"
        if env "${go_env[@]}" go install "$module"; then say "$tool: built"; else missing+=("$tool"); fi
    else
        missing+=("$tool")
    fi
done

# --- WAL-G -----------------------------------------------------------------------------------------
# The asset the pods install, pinned once in lib/walg-release.json (the program's default).
release=$REPO/lib/walg-release.json
pin() { node -e 'process.stdout.write(String(require(process.argv[1])[process.argv[2]]))' "$release" "$1"; }
WALG_VERSION=$(pin version)
WALG_URL=$(pin url)
WALG_SHA256=$(pin sha256)
# "wal-g version v3.0.9	3e49318	…": the second field must be the pinned version.
walg_version_ok() { [ "$("$1" --version 2>/dev/null | awk '{print $3}')" = "$WALG_VERSION" ]; }

if [ -x "$CACHE/bin/wal-g" ] && walg_version_ok "$CACHE/bin/wal-g"; then
    say "wal-g: $CACHE/bin/wal-g ($WALG_VERSION, cached)"
else
    say "wal-g: downloading $WALG_URL"
    dl=$(mktemp -d "$CACHE/.walg-download.XXXXXX")
    if curl -fsSL --retry 2 --connect-timeout 15 --max-time 300 -o "$dl/asset.tar.gz" "$WALG_URL" 2>"$dl/err"; then
        got=$(sha256sum "$dl/asset.tar.gz" | cut -d' ' -f1)
        if [ "$got" != "$WALG_SHA256" ]; then
            say "wal-g: REFUSED: sha256 of the download is $got, lib/walg-release.json pins $WALG_SHA256"
            rm -rf "$dl"
            exit 2
        fi
        tar -xzf "$dl/asset.tar.gz" -C "$dl"
        bin=$(find "$dl" -type f -name 'wal-g*' ! -name '*.tar.gz' | head -n 1)
        if [ -n "$bin" ] && chmod 0755 "$bin" && walg_version_ok "$bin"; then
            mv -f "$bin" "$CACHE/bin/wal-g"
            say "wal-g: installed $CACHE/bin/wal-g ($WALG_VERSION, sha256 verified)"
        else
            say "wal-g: the verified asset holds no wal-g binary that reports $WALG_VERSION"
        fi
    else
        say "wal-g: download failed ($(head -n 1 "$dl/err")): no internet access here?"
    fi
    rm -rf "$dl"
fi
if [ -x "$CACHE/bin/wal-g" ] && walg_version_ok "$CACHE/bin/wal-g"; then
    :
elif [ -n "${TERNENT_WALG_BIN:-}" ]; then
    if [ ! -x "$TERNENT_WALG_BIN" ]; then
        say "wal-g: TERNENT_WALG_BIN=$TERNENT_WALG_BIN is not executable"
        missing+=(wal-g)
    elif ! walg_version_ok "$TERNENT_WALG_BIN"; then
        say "wal-g: TERNENT_WALG_BIN=$TERNENT_WALG_BIN is not WAL-G $WALG_VERSION: $("$TERNENT_WALG_BIN" --version 2>&1 | head -n 1)"
        missing+=(wal-g)
    else
        say "wal-g: using TERNENT_WALG_BIN=$TERNENT_WALG_BIN ($WALG_VERSION)"
    fi
else
    say "wal-g: not available. Without internet access, point TERNENT_WALG_BIN at a WAL-G $WALG_VERSION built"
    say "       from source with cgo and the libsodium tag (e.g. ../shared/walg/wal-g, see README)"
    missing+=(wal-g)
fi

if [ "${#missing[@]}" -gt 0 ]; then
    say "MISSING: ${missing[*]}"
    exit 1
fi
say "ready (cache $CACHE)"
