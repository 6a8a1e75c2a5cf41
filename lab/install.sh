#!/usr/bin/env bash
# lab/install.sh: install what the local DR lab needs, only what is missing; a second run is fast.
#   Debian packages: postgresql-15, libsodium-dev, shellcheck (apt-get; root or sudo)
#   MinIO and mc: go install at pinned pseudo-versions into $TERNENT_CACHE/bin
#   WAL-G: TERNENT_WALG_BIN if set, else $TERNENT_CACHE/bin/wal-g, else an attempt to go install it by
#          pseudo-version (with libsodium + brotli); when that fails the exact error is printed.
# Go builds stay under the cache: GOMODCACHE=$TERNENT_CACHE/gomod, GOCACHE=$TERNENT_CACHE/gobuild.
#
# Inputs (environment): TERNENT_CACHE (default ~/.cache/ternent-postgres), TERNENT_WALG_BIN (optional),
#   TERNENT_SKIP_APT=1 (do not touch apt).
# Output: one line per component on stderr; the last line says what is missing.
# Exit codes: 0 everything the lab needs is there; 1 something is missing (printed); 2 bad environment.
set -euo pipefail

CACHE=${TERNENT_CACHE:-$HOME/.cache/ternent-postgres}
MINIO_MODULE=github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
MC_MODULE=github.com/minio/mc@v0.0.0-20250313080218-cf909e1063a9
# WAL-G v3.0.9 = commit 3e493188db28; the module path has no /v3, so it is installed by pseudo-version.
WALG_MODULE=github.com/wal-g/wal-g/main/pg@v1.1.3-rc-with-build.0.20260820091616-3e493188db28
PG_BIN=${TERNENT_PG_BIN:-/usr/lib/postgresql/15/bin}

say() { printf 'lab/install: %s\n' "$*" >&2; }
missing=()
mkdir -p "$CACHE/bin"

# --- Debian packages -----------------------------------------------------------------------------
need_pkgs=()
[ -x "$PG_BIN/postgres" ] || need_pkgs+=(postgresql-15)
dpkg -s libsodium-dev >/dev/null 2>&1 || need_pkgs+=(libsodium-dev)
command -v shellcheck >/dev/null 2>&1 || need_pkgs+=(shellcheck)
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
    say "postgresql-15, libsodium-dev, shellcheck: present"
fi

# --- Go-built tools --------------------------------------------------------------------------------
go_env=(GOBIN="$CACHE/bin" GOMODCACHE="$CACHE/gomod" GOCACHE="$CACHE/gobuild")
if ! command -v go >/dev/null 2>&1; then
    say "go not found: MinIO, mc and WAL-G cannot be built"
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
if [ -n "${TERNENT_WALG_BIN:-}" ]; then
    if [ -x "$TERNENT_WALG_BIN" ]; then
        say "wal-g: TERNENT_WALG_BIN=$TERNENT_WALG_BIN"
    else
        say "wal-g: TERNENT_WALG_BIN=$TERNENT_WALG_BIN is not executable"
        missing+=(wal-g)
    fi
elif [ -x "$CACHE/bin/wal-g" ]; then
    say "wal-g: $CACHE/bin/wal-g (cached)"
elif command -v go >/dev/null 2>&1; then
    say "wal-g: go install $WALG_MODULE (tags libsodium brotli lzo)"
    log="$CACHE/walg-install.log"
    if env "${go_env[@]}" CGO_ENABLED=1 GOEXPERIMENT=jsonv2 go install -tags "libsodium brotli lzo" "$WALG_MODULE" >"$log" 2>&1; then
        mv -f "$CACHE/bin/pg" "$CACHE/bin/wal-g"
        say "wal-g: built $CACHE/bin/wal-g"
    else
        say "wal-g: go install FAILED; the exact error:"
        sed 's/^/    /' "$log" >&2
        say "wal-g: build it elsewhere and set TERNENT_WALG_BIN=/path/to/wal-g (WAL-G tests skip without it)"
        missing+=(wal-g)
    fi
else
    missing+=(wal-g)
fi

if [ "${#missing[@]}" -gt 0 ]; then
    say "MISSING: ${missing[*]}"
    exit 1
fi
say "ready (cache $CACHE)"
