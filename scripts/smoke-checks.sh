#!/usr/bin/env bash
# smoke-checks.sh: SQL smoke checks on a restored database (used by restore-drill.sh and
# pitr-drill.sh; also useful by hand after a recovery): connect, catalog query, canary table readable,
# and the extra SQL in TERNENT_SMOKE_SQL.
#
# Inputs (environment): PGHOST (socket directory of the restored server), PGPORT, PGUSER, PGDATABASE
#   (fallbacks POSTGRES_USER/POSTGRES_DB, then postgres);
#   TERNENT_SMOKE_SQL (optional SQL that must succeed); TERNENT_SCRIPTS.
# Output: one JSON line {"ok":bool,"checks":{"connect","catalog","canary","smokeSql": "pass|fail|skipped"},
#   "newestCanary":"<UTC RFC 3339>"|null,"canaryRows":N|null,"errors":{check: message}}.
# Exit codes: 0 every check passed; 1 a check failed; 2 bad input/config.
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "${TERNENT_SCRIPTS:-/ternent/scripts}/common.sh"

# The restored cluster only knows the primary's roles (see restore.sh).
export PGUSER=${PGUSER:-${POSTGRES_USER:-postgres}} PGDATABASE=${PGDATABASE:-${POSTGRES_DB:-postgres}}
require_env PGHOST
declare -A result=([connect]=skipped [catalog]=skipped [canary]=skipped [smokeSql]=skipped)
declare -A errors=()
newest=""
rows=""

check() { # check NAME SQL: run SQL, record pass/fail, keep the output in $out
    local err
    if out=$(pg_query "$2" 2>&1); then
        result[$1]=pass
    else
        err=$out
        out=""
        result[$1]=fail
        errors[$1]=$(printf '%s' "$err" | head -c 500)
        log "check $1 failed: $err"
    fi
}

out=""
check connect "SELECT 1"
if [ "${result[connect]}" = pass ]; then
    check catalog "SELECT count(*) FROM pg_catalog.pg_class WHERE relkind = 'r'"
    if [ "${result[catalog]}" = pass ] && ! [ "${out:-0}" -gt 0 ] 2>/dev/null; then
        result[catalog]=fail
        errors[catalog]="pg_class lists no tables"
    fi
    check canary "SELECT count(*), coalesce(to_char(max(ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '') FROM ternent_canary"
    if [ "${result[canary]}" = pass ]; then
        rows=${out%%|*}
        newest=${out#*|}
    fi
    if [ -n "${TERNENT_SMOKE_SQL:-}" ]; then
        check smokeSql "$TERNENT_SMOKE_SQL"
    fi
fi

ok=true
args=()
for k in connect catalog canary smokeSql; do
    [ "${result[$k]}" != fail ] || ok=false
    args+=("$k=${result[$k]}")
done
err_args=()
for k in "${!errors[@]}"; do err_args+=("$k=${errors[$k]}"); done
if [ -n "$newest" ]; then newest_arg=newestCanary="$newest"; else newest_arg=newestCanary:=; fi
json_line ok:="$ok" checks:="$(json_line "${args[@]}")" "$newest_arg" canaryRows:="$rows" \
    errors:="$(json_line "${err_args[@]}")"
[ "$ok" = true ]
