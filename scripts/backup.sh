#!/usr/bin/env bash
# backup.sh: take a base backup of the running primary (CronJob ternent-postgres-backup, Job
# ternent-postgres-backup-g<N>). Two ways, as WAL-G offers them:
#   remote (PGDATA unset, the default of the pods): `wal-g backup-push` without a directory streams the
#     backup over the replication protocol (BASE_BACKUP) from PGHOST: no volume is mounted, so the job
#     runs on any node and never holds the database's ReadWriteOnce volume. Needs a role with
#     REPLICATION and pg_read_all_settings (the superuser here, which also reads ternent-generation for
#     the generation check) and a `host replication` line in pg_hba.conf. No delta backups (the project
#     takes full backups only).
#   local (PGDATA set): `wal-g backup-push "$PGDATA"` reads the primary's data directory from its PVC,
#     mounted read-only on the same node.
#
# Inputs (environment):
#   PGDATA                         local only: data directory of the primary (/var/lib/postgresql/data/pgdata)
#   PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE   connection WAL-G uses to start/stop (remote: stream) the backup
#   TERNENT_BIN, TERNENT_SCRIPTS, WALG_S3_PREFIX, AWS_*, WALG_LIBSODIUM_KEY*,
#   WALG_COMPRESSION_METHOD, WALG_UPLOAD_CONCURRENCY
# Output: one JSON line {"backup","mode","startedAt","finishedAt","durationSeconds","walFileName",
#   "compressedSize","uncompressedSize"} on stdout; WAL-G's log on stderr.
#   TERNENT_DATA_GENERATION        generation WALG_S3_PREFIX belongs to (from the Secret): the backup is
#                                  refused unless the data directory holds that generation (common.sh
#                                  check_generation, check_generation_sql)
# Exit codes: 0 backup written (its sentinel exists, so it is listed and restorable); 1 failed;
#   2 bad input/config; 3 refused (the data directory belongs to another generation than the prefix).
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "${TERNENT_SCRIPTS:-/ternent/scripts}/common.sh"

require_env WALG_S3_PREFIX PGHOST
if [ -n "${PGDATA:-}" ]; then
    mode=local
    [ -f "$PGDATA/PG_VERSION" ] || die 2 "PGDATA=$PGDATA is not a data directory (no PG_VERSION); is the PVC mounted?"
    check_generation "$PGDATA"
    wait_for_postgres 120 || die 1 "PostgreSQL at $PGHOST:${PGPORT:-5432} does not accept connections"
    from=("$PGDATA")
else
    mode=remote
    wait_for_postgres 120 || die 1 "PostgreSQL at $PGHOST:${PGPORT:-5432} does not accept connections"
    check_generation_sql
    from=()
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
started=$(now_utc)
t0=$(now_ms)
log "backup-push ($mode: ${PGDATA:-replication connection to $PGHOST}) to $WALG_S3_PREFIX"
if ! walg backup-push "${from[@]}" 2>&1 | tee "$tmp/walg.log" >&2; then
    die 1 "wal-g backup-push failed (log above); no new backup was listed. Check storage access and pg_stat_archiver, then rerun"
fi
duration=$(seconds_since "$t0")

name=$(sed -n 's/.*Wrote backup with name \(base_[0-9A-F_D]*\).*/\1/p' "$tmp/walg.log" | tail -n 1)
walg backup-list --detail --json >"$tmp/list.json" || die 1 "backup-push succeeded but backup-list failed"
plan choose "${name:-latest}" <"$tmp/list.json" >"$tmp/backup.json" || die 1 "backup ${name:-LATEST} is not in the backup list"

perl -MJSON::PP -e '
    my $b = decode_json(do { local $/; <STDIN> });
    my $j = JSON::PP->new->canonical;
    print $j->encode({ backup => $b->{backup_name}, mode => $ARGV[2], startedAt => $ARGV[0], finishedAt => $b->{finish_time},
        durationSeconds => 0 + $ARGV[1], walFileName => $b->{wal_file_name},
        compressedSize => $b->{compressed_size}, uncompressedSize => $b->{uncompressed_size} }), "\n";
' "$started" "$duration" "$mode" <"$tmp/backup.json"
log "backup $(sed -n 's/.*"backup_name":"\([^"]*\)".*/\1/p' "$tmp/backup.json") written in ${duration}s"
