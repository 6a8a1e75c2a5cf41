#!/usr/bin/env bash
# migrate-verify.sh: after the operator cloned the new cluster to T, prove that it holds every commit
# the single node made, before the API is scaled up again (Job ternent-postgres-migrate-verify-g<N> in
# backend, against the new cluster's master Service; docs/ha.md). migrate-cutover.sh made the old primary
# read-only and committed marker A as its last commit before T and marker B after T:
#   1. wait (TERNENT_MIGRATION_TIMEOUT_SECONDS) until the cluster accepts connections and is out of
#      recovery (the clone restores, replays to T and promotes; the operator retries a failed bootstrap)
#   2. marker A of (generation, T) is there: WAL is replayed in order, so every earlier commit is too
#   3. marker B is not: replay stopped at T, as the clone was told (a B here would mean a clone past T)
#   4. default_transaction_read_only is off: the cut-over's setting lives in the old primary's
#      postgresql.auto.conf, which a base backup taken during the cut-over would carry along
# Inputs (environment): PGHOST, PGPORT, PGUSER, PGPASSWORD (the new cluster, as the application's role);
#   TERNENT_MIGRATION_AT, TERNENT_MIGRATION_GENERATION, TERNENT_MIGRATION_DATABASE (default postgres),
#   TERNENT_MIGRATION_TIMEOUT_SECONDS (default 3600), TERNENT_SCRIPTS.
# Output: one JSON line {"ok","at","generation","markerBefore","markerAfterAbsent","readOnly","timeline",
#   "waitedSeconds","reason"}.
# Exit codes: 0 every commit is there; 1 not (or the cluster did not come up in time); 2 bad input/config.
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "${TERNENT_SCRIPTS:-/ternent/scripts}/common.sh"

require_env PGHOST PGUSER TERNENT_MIGRATION_AT TERNENT_MIGRATION_GENERATION
at=$TERNENT_MIGRATION_AT
generation=$TERNENT_MIGRATION_GENERATION
export PGDATABASE=${TERNENT_MIGRATION_DATABASE:-postgres}
timeout_s=${TERNENT_MIGRATION_TIMEOUT_SECONDS:-3600}
[[ "$generation" =~ ^[1-9][0-9]*$ ]] || die 2 "TERNENT_MIGRATION_GENERATION='$generation' is not a generation number (1, 2, …)"
[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || die 2 "TERNENT_MIGRATION_TIMEOUT_SECONDS='$timeout_s' is not a positive number of seconds"
epoch=$(plan time "$at" 2>/dev/null) || die 2 "TERNENT_MIGRATION_AT='$at' is not an RFC 3339 time with a zone"
at_sql="'$(perl -MJSON::PP -e 'print decode_json($ARGV[0])->{time}' "$epoch")'::timestamptz"

t0=$(now_ms)
before="" after_absent="" read_only="" timeline=""
report() {
    json_line ok:="$1" at="$at" generation:="$generation" markerBefore:="$before" markerAfterAbsent:="$after_absent" \
        readOnly:="$read_only" timeline:="$timeline" waitedSeconds:="$(seconds_since "$t0")" reason="${2:-}"
}
fail() {
    report false "$1"
    die 1 "$1"
}

# --- 1. up and promoted -----------------------------------------------------------------------------
deadline=$((SECONDS + timeout_s))
last=""
until state=$(pg_query "SELECT pg_is_in_recovery()" 2>&1) && [ "$state" = f ]; do
    [ "$state" = "$last" ] || log "waiting for the new cluster on $PGHOST:${PGPORT:-5432}: ${state:-no answer}"
    last=$state
    [ "$SECONDS" -lt "$deadline" ] || fail "the new cluster did not come up out of recovery within TERNENT_MIGRATION_TIMEOUT_SECONDS=$timeout_s (last: $state); see the operator's and the pods' logs"
    sleep 5
done
# The timeline WAL is written on now (pg_control's checkpoint may still name the old one right after promotion).
timeline=$(pg_query "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int") || fail "cannot read the timeline"

# --- 2.-4. the markers and the read-only setting -------------------------------------------------------
[ "$(pg_query "SELECT to_regclass('public.ternent_migration') IS NOT NULL")" = t ] \
    || fail "table ternent_migration is missing in database $PGDATABASE: the clone does not reach the cut-over (was migration.at the cut-over's T?)"
marker() {
    pg_query "SELECT coalesce((SELECT json_build_object('id', id, 'committedAt',
            to_char(committed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))::text
        FROM ternent_migration WHERE generation = $generation AND at = $at_sql AND phase = '$1'), '')"
}
before=$(marker before) || fail "cannot read the markers"
[ -n "$before" ] || fail "marker A of generation $generation, T = $at is missing: commits the single node made before T are not in the new cluster"
after=$(marker after) || fail "cannot read the markers"
after_absent=true
if [ -n "$after" ]; then
    after_absent=false
    fail "marker B (committed after T) is in the new cluster: the clone replayed past T = $at"
fi
setting=$(pg_query "SHOW default_transaction_read_only") || fail "cannot read default_transaction_read_only"
read_only=false
if [ "$setting" != off ]; then
    read_only=true
    fail "default_transaction_read_only is $setting on the new cluster (the cut-over's setting came along with a base backup): ALTER SYSTEM RESET default_transaction_read_only on its leader"
fi
report true
log "the new cluster (timeline $timeline) holds every commit up to marker A $before and nothing after T"
