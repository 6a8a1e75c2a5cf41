#!/usr/bin/env bash
# canary.sh: write one timestamp row into table ternent_canary (created if missing). The PITR drill
# uses these rows to prove that a restore to T contains everything committed up to T, and the lab
# uses the newest lost row to measure the RPO (CronJob ternent-postgres-canary).
#
# It also arms archive_timeout after a restart: PostgreSQL 15's checkpointer computes its first sleep
# while startup recovery is still running and may then sleep a whole checkpoint_timeout (15 min here)
# without forcing a WAL switch, so an idle primary would not ship its last writes; a configuration
# reload wakes it (seen in the lab). Done only while the server is younger than checkpoint_timeout.
#
# Inputs (environment): PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE; TERNENT_SCRIPTS.
# Output: one JSON line {"canaryId":N,"ts":"<UTC RFC 3339>","armedArchiveTimeout":bool}.
# Exit codes: 0 row committed; 1 database error; 2 bad input/config.
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "${TERNENT_SCRIPTS:-/ternent/scripts}/common.sh"

require_env PGHOST PGUSER PGDATABASE
row=$(pg_query "CREATE TABLE IF NOT EXISTS ternent_canary (
        id bigserial PRIMARY KEY,
        ts timestamptz NOT NULL DEFAULT clock_timestamp());
    INSERT INTO ternent_canary DEFAULT VALUES
    RETURNING id, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"');") \
    || die 1 "cannot write the canary row to $PGDATABASE on $PGHOST:${PGPORT:-5432}"
id=${row%%|*}
ts=${row#*|}
armed=$(pg_query "SELECT CASE WHEN now() - pg_postmaster_start_time() < current_setting('checkpoint_timeout')::interval
    THEN pg_reload_conf() ELSE false END") || armed=false
[ "$armed" = t ] && armed=true || armed=false
json_line canaryId:="$id" ts="$ts" armedArchiveTimeout:="$armed"
