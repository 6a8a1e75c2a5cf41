#!/usr/bin/env bash
# migrate-cutover.sh: the cut-over of a migration from the single node to the ha profile's operator
# cluster, run against the OLD primary (Job ternent-postgres-migrate-g<N> in backend, after the API is
# scaled to 0 and before the cluster resource exists; docs/ha.md). The operator clones the new cluster
# from the single node's backups with recovery_target_time = T (migration.at): only commits before T
# are restored, and PostgreSQL reaches the target only when it replays a commit after T (without one
# it stops with "recovery ended before configured recovery target was reached"). So:
#   1. refuse (exit 3, nothing changed) when T is less than TERNENT_MIGRATION_MIN_LEAD_SECONDS away on
#      the server's clock and this migration's marker A does not exist yet: what is committed between
#      T and now would not be cloned
#   2. create the superuser role the operator's Patroni connects as after a custom bootstrap
#      (TERNENT_MIGRATION_SUPERUSER, the operator's super_username) when it is missing: the single node
#      was initialised with the application's user as its superuser
#   3. read-only for everyone else: ALTER SYSTEM SET default_transaction_read_only = on, reload, end
#      every other client session (their open transactions roll back; nothing they do commits any more)
#   4. commit marker A into ternent_migration (database TERNENT_MIGRATION_DATABASE): now the last commit
#      before T. WAL is replayed in order, so a clone holding A holds every commit the single node made
#      (migrate-verify.sh checks this on the new cluster)
#   5. wait on the server's clock until now() > T, then commit marker B: the commit after T that makes
#      the target reachable (it is not cloned)
#   6. pg_switch_wal() and wait until the archiver has shipped that segment (pg_stat_archiver), so the
#      bucket holds every WAL record up to B
# A rerun finds its markers and continues where it stopped. The server stays read-only: the StatefulSet
# is scaled to 0 next; a rollback resets the setting (docs/ha.md "Rolling back").
#
# Inputs (environment):
#   PGHOST, PGPORT, PGUSER, PGPASSWORD        the old primary; PGUSER must be a superuser (ALTER SYSTEM)
#   TERNENT_MIGRATION_AT                      T, RFC 3339 with zone (the cluster resource's clone timestamp)
#   TERNENT_MIGRATION_GENERATION              the data generation the new cluster archives to (1, 2, …)
#   TERNENT_MIGRATION_SUPERUSER               default postgres
#   TERNENT_MIGRATION_DATABASE                where the markers go, default postgres (not the application's)
#   TERNENT_MIGRATION_MIN_LEAD_SECONDS        default 10
#   TERNENT_MIGRATION_TIMEOUT_SECONDS         longest wait for T and for the archiver, default 3600
#   TERNENT_SCRIPTS
# Output: one JSON line {"ok","at","generation","markerBefore":{id,committedAt},"markerAfter":{id,committedAt},
#   "createdRole","terminatedSessions","readOnly","switchedSegment","archivedSegment","waitedSeconds","reason"};
#   progress on stderr.
# Exit codes: 0 cut over (markers committed, archived); 1 failed (database error, archiving too slow);
#   2 bad input/config; 3 refused: T is too close or has passed (nothing changed).
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "${TERNENT_SCRIPTS:-/ternent/scripts}/common.sh"

require_env PGHOST PGUSER TERNENT_MIGRATION_AT TERNENT_MIGRATION_GENERATION
at=$TERNENT_MIGRATION_AT
generation=$TERNENT_MIGRATION_GENERATION
superuser=${TERNENT_MIGRATION_SUPERUSER:-postgres}
export PGDATABASE=${TERNENT_MIGRATION_DATABASE:-postgres}
lead=${TERNENT_MIGRATION_MIN_LEAD_SECONDS:-10}
timeout_s=${TERNENT_MIGRATION_TIMEOUT_SECONDS:-3600}
[[ "$generation" =~ ^[1-9][0-9]*$ ]] || die 2 "TERNENT_MIGRATION_GENERATION='$generation' is not a generation number (1, 2, …)"
[[ "$lead" =~ ^[0-9]+$ ]] || die 2 "TERNENT_MIGRATION_MIN_LEAD_SECONDS='$lead' is not a whole number of seconds"
[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || die 2 "TERNENT_MIGRATION_TIMEOUT_SECONDS='$timeout_s' is not a positive number of seconds"
[[ "$superuser" =~ ^[a-z_][a-z0-9_]*$ ]] || die 2 "TERNENT_MIGRATION_SUPERUSER='$superuser' is not a plain role name"
epoch=$(plan time "$at" 2>/dev/null) || die 2 "TERNENT_MIGRATION_AT='$at' is not an RFC 3339 time with a zone"
at_sql="'$(perl -MJSON::PP -e 'print decode_json($ARGV[0])->{time}' "$epoch")'::timestamptz"

t0=$(now_ms)
created=false
terminated=0
read_only=false
marker_before="" marker_after="" switched="" archived=""
report() {
    json_line ok:="$1" at="$at" generation:="$generation" markerBefore:="$marker_before" markerAfter:="$marker_after" \
        createdRole:="$created" terminatedSessions:="$terminated" readOnly:="$read_only" switchedSegment="$switched" \
        archivedSegment="$archived" waitedSeconds:="$(seconds_since "$t0")" reason="${2:-}"
}
fail() {
    report false "$2"
    die "$1" "$2"
}
q() { pg_query "$1" 2>"${TMPDIR:-/tmp}/migrate-cutover.err" || fail 1 "$2: $(head -n 2 "${TMPDIR:-/tmp}/migrate-cutover.err")"; }
marker() { # marker PHASE: {"id":…,"committedAt":…} or empty
    q "SELECT coalesce((SELECT json_build_object('id', id, 'committedAt',
            to_char(committed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))::text
        FROM ternent_migration WHERE generation = $generation AND at = $at_sql AND phase = '$1'), '')" "cannot read the markers"
}

# Markers of earlier runs (the table exists once a run got that far).
has_table=$(q "SELECT to_regclass('public.ternent_migration') IS NOT NULL" "cannot reach $PGHOST:${PGPORT:-5432} as $PGUSER")
if [ "$has_table" = t ]; then
    marker_before=$(marker before)
    marker_after=$(marker after)
fi

# --- 1. T far enough ahead (or this migration already under way) -------------------------------------
if [ -z "$marker_before" ]; then
    ahead=$(q "SELECT extract(epoch FROM $at_sql - clock_timestamp())" "cannot read the server's clock")
    if perl -e 'exit(($ARGV[0] >= $ARGV[1]) ? 1 : 0)' "$ahead" "$lead"; then
        fail 3 "migration.at $at is $(printf '%.0f' "$ahead") s away on the server's clock, less than $lead s: commits between T and the cut-over would not be cloned; set a later migration.at (nothing was changed)"
    fi
    log "T = $at is $(printf '%.0f' "$ahead") s ahead"
fi

# --- 2. the operator's superuser ------------------------------------------------------------------
if [ "$(q "SELECT count(*) FROM pg_roles WHERE rolname = '$superuser'" "cannot read pg_roles")" = 0 ]; then
    q "CREATE ROLE \"$superuser\" SUPERUSER LOGIN" "cannot create role $superuser"
    created=true
    log "created role $superuser (superuser; the operator sets its password after the clone)"
fi

# --- 3. read-only, other sessions ended -------------------------------------------------------------
q "ALTER SYSTEM SET default_transaction_read_only = on" "ALTER SYSTEM failed"
q "SELECT pg_reload_conf()" "reload failed"
terminated=$(q "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
    WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()" "cannot end the other sessions")
setting=$(pg_query "SHOW default_transaction_read_only" 2>/dev/null || true)
[ "$setting" = on ] || fail 1 "default_transaction_read_only is '$setting' in a new session after the reload, not on"
read_only=true
log "read-only for new transactions; ended $terminated other session(s)"

# --- 4. marker A, the last commit before T ------------------------------------------------------------
write() { # write PHASE: commit a marker in a read-write transaction of this session
    q "BEGIN READ WRITE;
        CREATE TABLE IF NOT EXISTS ternent_migration (generation int NOT NULL, at timestamptz NOT NULL, phase text NOT NULL,
            id bigserial UNIQUE, committed_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (generation, at, phase));
        INSERT INTO ternent_migration (generation, at, phase) VALUES ($generation, $at_sql, '$1') ON CONFLICT DO NOTHING;
        COMMIT;" "cannot commit marker $1"
}
if [ -z "$marker_before" ]; then
    write before
    marker_before=$(marker before)
    # Its commit must precede T: the clone stops before the first commit after T.
    late=$(q "SELECT clock_timestamp() >= $at_sql" "cannot read the server's clock")
    [ "$late" = f ] || fail 1 "marker A committed too close to T ($marker_before): rerun with a later migration.at"
    log "marker A committed: $marker_before"
fi

# --- 5. wait for T, then marker B ----------------------------------------------------------------------
deadline=$((SECONDS + timeout_s))
until [ "$(q "SELECT now() > $at_sql" "cannot read the server's clock")" = t ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail 1 "T = $at did not pass within TERNENT_MIGRATION_TIMEOUT_SECONDS=$timeout_s"
    sleep 1
done
if [ -z "$marker_after" ]; then
    write after
    marker_after=$(marker after)
    log "marker B committed after T: $marker_after"
fi

# --- 6. ship the segment holding B ---------------------------------------------------------------------
switched=$(q "SELECT pg_walfile_name(pg_current_wal_lsn()) FROM (SELECT pg_switch_wal()) s" "pg_switch_wal failed")
until archived=$(q "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver" "cannot read pg_stat_archiver") && [[ ! "$archived" < "$switched" ]]; do
    [ "$SECONDS" -lt "$deadline" ] || fail 1 "WAL segment $switched was not archived within TERNENT_MIGRATION_TIMEOUT_SECONDS=$timeout_s (last archived: ${archived:-none}); see verify"
    sleep 1
done
report true
log "cut over: every commit up to marker A is archived with the commit after T; the server stays read-only. Next: the cluster resource clones to $at"
