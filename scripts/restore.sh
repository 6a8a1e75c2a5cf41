#!/usr/bin/env bash
# restore.sh: restore a base backup and replay archived WAL into an EMPTY data directory, then bring
# PostgreSQL up on it, promoted. The shared core of restore-drill.sh, pitr-drill.sh and the recovery
# Job ternent-postgres-restore-g<N>.
#   1. choose the base backup (plan.pl choose): latest | the named one | newest finished before T
#   2. wal-g backup-fetch into PGDATA (refused unless PGDATA is missing or empty: never overwrites data).
#      WAL-G retries an unreadable object as walg.retries allows (WALG_DOWNLOAD_FILE_RETRIES,
#      WALG_S3_MAX_RETRIES from the walg ConfigMap / env; at most TERNENT_WALG_RETRY_MAX_SECONDS of
#      retrying), then fails naming the objects. When the chosen backup cannot be read, restore.sh falls
#      back (TERNENT_RESTORE_FALLBACKS times, default 1) to the newest older backup that also precedes
#      the target and whose WAL is unbroken up to the failed backup's start (plan.pl fallback):
#      the partial fetch is removed from PGDATA (which was empty before), and the fallback is logged and
#      named in the JSON line. A named backup has no fallback.
#   3. check PG_VERSION (= this PostgreSQL's major), global/pg_control, backup_label
#   4. recovery settings in $TERNENT_WORKDIR/restore.conf: restore_command through one `wal-g daemon`
#      started for this replay (walg-daemon-client.pl; TERNENT_RESTORE_WALG_DAEMON=false: one
#      restore-command.sh process per file instead). Either way the same exit-code contract and log lines.
#      archive_mode=off (a restore never writes to the archive), recovery_target_action=promote and
#        latest -> no target: replay everything, then check that replay reached the end of the archive
#                  as listed before the replay (without a target PostgreSQL silently promotes at the
#                  first missing segment)
#        time T -> recovery_target_time = 'T' written as UTC with an explicit +00 offset
#        name   -> recovery_target = 'immediate': the backup's own consistent end point
#   5. start PostgreSQL on a unix socket in $TERNENT_WORKDIR/sock (no TCP), wait for promotion; "recovery
#      ended before configured recovery target was reached" or a fatal restore_command fails loudly,
#      naming the missing segment (logged by restore-command.sh). The recovery settings are also given
#      with -c, which beats a postgresql.auto.conf restored with the backup.
#   6. time T: prove where replay stopped (plan.pl replay): the restored server's last replayed
#      commit (pg_last_xact_replay_timestamp()) is <= T and PostgreSQL stopped before a commit after T
#      ("recovery stopping before commit ..., time X" with X > T); otherwise fail, naming both times
#   7. leave the server running (drills) or shut it down cleanly (recovery Job)
#
# Inputs (environment):
#   PGDATA                          target data directory: must not exist or be empty
#   TERNENT_RESTORE_TARGET          latest (default) | RFC 3339 time with zone | base_<24 hex>
#   TERNENT_RESTORE_KEEP_RUNNING    true: leave the server running (stop it with pg_ctl -D "$PGDATA" stop);
#                                   false (default): fast shutdown after promotion
#   TERNENT_RESTORE_TIMEOUT_SECONDS replay timeout (default 3600)
#   TERNENT_RESTORE_FALLBACKS       older backups tried when the chosen one cannot be read (default 1; 0: none)
#   TERNENT_RESTORE_WALG_DAEMON     true (default): restore_command asks one `wal-g daemon` on a unix
#                                   socket in the scratch directory, stopped once recovery ends, and the
#                                   restored postmaster gets no storage key in its environment; false: one
#                                   `wal-g wal-fetch` process per file (restore-command.sh)
#   TERNENT_WALG_RETRY_MAX_SECONDS  the retry bound of walg.retries (walg ConfigMap), named in the JSON line
#   TERNENT_WORKDIR                 scratch for socket, log and settings (default /ternent/work)
#   TERNENT_RESTORE_GENERATION      the data generation being created (recovery Job): written to
#                                   $PGDATA/ternent-generation, which archive-command.sh and backup.sh
#                                   compare with the prefix they write to; unset (drills): left as restored
#   PGUSER, PGDATABASE              role and database of the post-recovery check (trust over the socket;
#                                   fallbacks POSTGRES_USER/POSTGRES_DB, then postgres): the restored
#                                   cluster only knows the primary's roles, so set them to postgres.user/database
#   TERNENT_BIN, TERNENT_SCRIPTS, WALG_S3_PREFIX, AWS_*, WALG_LIBSODIUM_KEY*, WALG_DOWNLOAD_CONCURRENCY,
#   WALG_DOWNLOAD_FILE_RETRIES, WALG_S3_MAX_RETRIES (the retry policy)
# Output: one JSON line {"ok","backup",…,"fallback":{from,to,reason}|null,"fetchFailures":[{backup,
#   seconds,objects,error}],"failedObjects","retryBoundSeconds","replay":{…}|null,"socketDir","port",
#   "running","reason","missingSegment","restoreCommand":"daemon"|"process"}; progress on stderr. The server log is $TERNENT_WORKDIR/postgres.log.
# Exit codes: 0 restored and promoted; 1 failed (fetch, checks, recovery error, target not reached,
#   replay past the target, gap in the archive); 2 bad input/config; 3 refused (PGDATA not empty).
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "${TERNENT_SCRIPTS:-/ternent/scripts}/common.sh"

require_env PGDATA WALG_S3_PREFIX
target=${TERNENT_RESTORE_TARGET:-latest}
keep_running=${TERNENT_RESTORE_KEEP_RUNNING:-false}
timeout_s=${TERNENT_RESTORE_TIMEOUT_SECONDS:-3600}
work=${TERNENT_WORKDIR:-/ternent/work}
db_user=${PGUSER:-${POSTGRES_USER:-postgres}}
db_name=${PGDATABASE:-${POSTGRES_DB:-postgres}}
case "$keep_running" in true | false) ;; *) die 2 "TERNENT_RESTORE_KEEP_RUNNING='$keep_running' must be true or false" ;; esac
[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || die 2 "TERNENT_RESTORE_TIMEOUT_SECONDS='$timeout_s' is not a positive number of seconds"
fallbacks=${TERNENT_RESTORE_FALLBACKS:-1}
use_daemon=${TERNENT_RESTORE_WALG_DAEMON:-true}
case "$use_daemon" in true | false) ;; *) die 2 "TERNENT_RESTORE_WALG_DAEMON='$use_daemon' must be true or false" ;; esac
[[ "$fallbacks" =~ ^[0-9]+$ ]] || die 2 "TERNENT_RESTORE_FALLBACKS='$fallbacks' is not a whole number"
retry_bound=${TERNENT_WALG_RETRY_MAX_SECONDS:-}
[[ "$retry_bound" =~ ^[0-9]*$ ]] || die 2 "TERNENT_WALG_RETRY_MAX_SECONDS='$retry_bound' is not a number of seconds"
[[ "${TERNENT_RESTORE_GENERATION:-1}" =~ ^[1-9][0-9]*$ ]] \
    || die 2 "TERNENT_RESTORE_GENERATION='${TERNENT_RESTORE_GENERATION:-}' is not a generation number (1, 2, …)"
# These paths go into postgresql settings and pg_ctl options unquoted.
for p in "$PGDATA" "$work" "$TERNENT_SCRIPTS"; do
    [[ "$p" =~ ^/[A-Za-z0-9._/-]+$ ]] || die 2 "path '$p' must be absolute and contain only letters, digits, . _ - /"
done

sock="$work/sock"
port=5432
pglog="$work/postgres.log"
conf="$work/restore.conf"
t0=$(now_ms)
started=$(now_utc)
backup=""
backup_json="{}"
fetch_s=""
replay_s=""
ok=false
running=false
reason=""
missing=""
fallback_json=""
fetch_failures="[]"
failed_objects="[]"
replay_json=""

# The one JSON line, whatever happened.
report() {
    json_line ok:="$ok" backup="$backup" target="$target" startedAt="$started" finishedAt="$(now_utc)" \
        totalSeconds:="$(seconds_since "$t0")" fetchSeconds:="$fetch_s" replaySeconds:="$replay_s" \
        backupInfo:="$backup_json" fallback:="$fallback_json" fetchFailures:="$fetch_failures" \
        failedObjects:="$failed_objects" retryBoundSeconds:="$retry_bound" \
        recovery:="${recovery_json:-}" replay:="$replay_json" \
        pgdata="$PGDATA" socketDir="$sock" port:="$port" log="$pglog" running:="$running" \
        reason="$reason" missingSegment="$missing" restoreCommand="$([ "$use_daemon" = true ] && echo daemon || echo process)"
}
daemon_pid=""
stop_daemon() {
    if [ -n "$daemon_pid" ]; then
        kill "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
        daemon_pid=""
    fi
}
trap stop_daemon EXIT
fail() {
    reason=$2
    stop_daemon
    if [ "$running" = true ] && [ "$keep_running" = false ]; then
        pg_ctl -D "$PGDATA" stop -m fast -w -s || true
        running=false
    fi
    report
    # The server log lives in the scratch directory; put its end where kubectl logs shows it.
    if [ -s "$pglog" ]; then
        log "last lines of $pglog:"
        tail -n 20 "$pglog" >&2
    fi
    die "$1" "$2"
}

# --- 1. choose the base backup --------------------------------------------------------------------
mkdir -p "$work"
walg backup-list --detail --json >"$work/backups.json" 2>"$work/backup-list.err" \
    || fail 1 "wal-g backup-list failed: $(tail -n 3 "$work/backup-list.err")"
rc=0
backup_json=$(plan choose "$target" <"$work/backups.json" 2>"$work/plan.err") || rc=$?
if [ "$rc" -ne 0 ]; then
    backup_json="{}"
    fail "$([ "$rc" -eq 2 ] && echo 2 || echo 1)" "$(sed 's/^plan: //' "$work/plan.err")"
fi
bfield() { perl -MJSON::PP -e 'my $v = decode_json($ARGV[0])->{$ARGV[1]}; print defined $v ? $v : ""' "$backup_json" "$1"; }
backup=$(bfield backup_name)
target_kind=$(bfield target_kind)
target_time=$(bfield target_time)
log "restoring $backup for target $target into $PGDATA"

# --- 2. fetch into an empty directory, falling back to an older backup when this one cannot be read --
if [ -e "$PGDATA" ]; then
    [ -d "$PGDATA" ] || fail 3 "PGDATA=$PGDATA exists and is not a directory; refusing to touch it"
    [ -z "$(ls -A "$PGDATA")" ] || fail 3 "PGDATA=$PGDATA is not empty; a restore never overwrites data (use a fresh directory or volume)"
fi
mkdir -p "$PGDATA"
chmod 0700 "$PGDATA"

# fetch_failure LOG BACKUP SECONDS: the objects WAL-G could not read (full object URLs) and its error, as
# JSON. WAL-G 3.0.9 logs "Extraction error in part_001.tar.lz4: <why>" per file and ends with
# "failed to extract files:" followed by the file names, one per line.
fetch_failure() {
    perl -MJSON::PP -e '
        my ($log, $backup, $seconds, $prefix) = @ARGV;
        my (%seen, @objects, $first, $last, $listing);
        my $add = sub { my $n = shift; $n = "$prefix/basebackups_005/$backup/tar_partitions/$n" unless $n =~ m{/};
                        push @objects, $n unless $seen{$n}++; };
        open(my $fh, "<", $log) or die "cannot read $log: $!\n";
        while (<$fh>) {
            chomp;
            if (/Extraction error in (\S+?): (.*)$/) {
                $add->($1);
                $first //= "$1: $2";
            } elsif (/^(?:ERROR|FATAL): \S+ \S+ (.*)$/) {
                $last = $1;
                $listing = /failed to extract files:\s*$/;
            } elsif ($listing && /^\s*(\S+)\s*$/) {
                $add->($1);
            } else {
                $listing = 0;
            }
        }
        my $error = $first // $last // "wal-g exited non-zero without an error line";
        print JSON::PP->new->canonical->encode({ backup => $backup, seconds => 0 + $seconds, objects => \@objects, error => $error });
    ' "$1" "$2" "$3" "$WALG_S3_PREFIX"
}
tried=""
while :; do
    tf=$(now_ms)
    if walg backup-fetch "$PGDATA" "$backup" 2>"$work/backup-fetch-$backup.log"; then
        break
    fi
    failure=$(fetch_failure "$work/backup-fetch-$backup.log" "$backup" "$(seconds_since "$tf")")
    fetch_failures=$(perl -MJSON::PP -e 'print encode_json([@{ decode_json($ARGV[0]) }, decode_json($ARGV[1])])' "$fetch_failures" "$failure")
    failed_objects=$(perl -MJSON::PP -e 'print encode_json(decode_json($ARGV[0])->{objects})' "$failure")
    what=$(perl -MJSON::PP -e 'my $f = decode_json($ARGV[0]);
        print "wal-g backup-fetch $f->{backup} failed after $f->{seconds} s" . (@{ $f->{objects} } ? " on " . join(", ", @{ $f->{objects} }) : "") . ": $f->{error}"' "$failure")
    [ -z "$retry_bound" ] || what="$what (retry bound ${retry_bound} s)"
    log "$what"
    tried=${tried:+$tried,}$backup
    if [ "$fallbacks" -eq 0 ]; then
        [ -z "$fallback_json" ] || fail 1 "$what; it was the fallback for ${tried%%,*}, which could not be read either (see fetchFailures)"
        fail 1 "$what; no fallback (TERNENT_RESTORE_FALLBACKS=0)"
    fi
    fallbacks=$((fallbacks - 1))
    if [ ! -s "$work/wal-show-fallback.json" ]; then
        walg wal-show --detailed-json --without-backups >"$work/wal-show-fallback.json" 2>"$work/wal-show.err" \
            || fail 1 "$what; no fallback: wal-g wal-show failed: $(tail -n 3 "$work/wal-show.err")"
    fi
    rc=0
    next_json=$(plan fallback "$target" "$tried" "$work/wal-show-fallback.json" <"$work/backups.json" 2>"$work/plan.err") || rc=$?
    if [ "$rc" -ne 0 ]; then
        fail 1 "$what; $(sed 's/^plan: //' "$work/plan.err")"
    fi
    # Only this restore wrote into PGDATA (it was missing or empty): remove the partial fetch.
    log "removing the partial fetch of $backup from $PGDATA (empty before this restore)"
    find "$PGDATA" -mindepth 1 -delete
    [ -z "$(ls -A "$PGDATA")" ] || fail 1 "$what; could not empty $PGDATA for the fallback"
    from=$backup
    backup_json=$next_json
    backup=$(bfield backup_name)
    fallback_json=$(json_line from="$from" to="$backup" reason="$what")
    log "FALLBACK: $from cannot be read; restoring the older $backup instead (WAL unbroken from it up to $from)"
done
fetch_s=$(seconds_since "$tf")
log "fetched $backup in ${fetch_s}s"

# --- 3. what a data directory restored from a base backup must hold -------------------------------
pg_major=$(postgres --version | sed -n 's/.* \([0-9][0-9]*\)\.[0-9].*/\1/p')
[ -f "$PGDATA/PG_VERSION" ] || fail 1 "restored directory has no PG_VERSION"
[ "$(cat "$PGDATA/PG_VERSION")" = "$pg_major" ] \
    || fail 1 "backup is PostgreSQL $(cat "$PGDATA/PG_VERSION"), this image runs PostgreSQL $pg_major"
[ -s "$PGDATA/global/pg_control" ] || fail 1 "restored directory has no global/pg_control"
[ -s "$PGDATA/backup_label" ] || fail 1 "restored directory has no backup_label (not a base backup?)"

# Without a target, recovery ends quietly at the first missing segment. The archiver ships segments in
# order, so a segment missing below the archive's end as it is NOW is a gap; segments a live primary
# archives during the replay are not (they were not there when PostgreSQL asked).
if [ "$target_kind" = latest ]; then
    walg wal-show --detailed-json --without-backups >"$work/wal-show.json" 2>"$work/wal-show.err" \
        || fail 1 "wal-g wal-show failed: $(tail -n 3 "$work/wal-show.err")"
fi

# --- 4. recovery settings ------------------------------------------------------------------------
mkdir -p "$sock"
chmod 0700 "$sock"
restore_cmd="$TERNENT_SCRIPTS/restore-command.sh %f %p"
if [ "$use_daemon" = true ]; then
    # One WAL-G process for the whole replay: no process start, configuration and TLS handshake per
    # segment (the bench's figures: README "Figures"). Its socket sits beside PostgreSQL's.
    daemon_sock="$sock/walg.sock"
    rm -f "$daemon_sock"
    "$TERNENT_BIN/wal-g" daemon "$daemon_sock" >"$work/walg-daemon.log" 2>&1 &
    daemon_pid=$!
    for _ in $(seq 1 300); do
        [ -S "$daemon_sock" ] && break
        kill -0 "$daemon_pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -S "$daemon_sock" ] || fail 1 "wal-g daemon did not start: $(tail -n 3 "$work/walg-daemon.log")"
    restore_cmd="perl $TERNENT_SCRIPTS/walg-daemon-client.pl $daemon_sock f %f %p"
    log "wal-g daemon serves restore_command on $daemon_sock (log: $work/walg-daemon.log)"
fi
printf 'local all all trust\n' >"$work/pg_hba.conf"
{
    echo "# written by restore.sh for $backup, target $target"
    echo "listen_addresses = ''"
    echo "port = $port"
    echo "unix_socket_directories = '$sock'"
    echo "hba_file = '$work/pg_hba.conf'"
    # No read-only queries during recovery, so the standby parameter checks against the old primary's
    # max_connections & co. do not apply.
    echo "hot_standby = off"
    echo "archive_mode = off"
    echo "restore_command = '$restore_cmd'"
    echo "recovery_target_timeline = 'latest'"
    echo "recovery_target_action = 'promote'"
    # Times in the log (the "recovery stopping" line the proof reads) in UTC.
    echo "log_timezone = 'UTC'"
    echo "timezone = 'UTC'"
    case "$target_kind" in
        time)
            echo "recovery_target_time = '$target_time'"
            echo "recovery_target_inclusive = on"
            ;;
        name) echo "recovery_target = 'immediate'" ;;
    esac
} >"$conf"
# The same on the command line: it beats a postgresql.auto.conf that came with the backup (an
# ALTER SYSTEM on the old primary could otherwise move the target or add a second one).
opts="-c config_file=$conf -c archive_mode=off -c recovery_target_action=promote -c recovery_target_timeline=latest"
case "$target_kind" in
    time) opts="$opts -c recovery_target_time='$target_time' -c recovery_target_inclusive=on" ;;
    name) opts="$opts -c recovery_target=immediate" ;;
esac
touch "$PGDATA/recovery.signal"
: >"$pglog"

# --- 5. replay and promote -----------------------------------------------------------------------
log "starting PostgreSQL on $sock (replay up to ${target_time:-${target}})"
tr=$(now_ms)
# archive_mode=off also on the command line: it beats a postgresql.auto.conf from the old primary.
# pg_ctl -w returns once the postmaster is up (or died); it does not wait for the end of recovery.
if [ "$use_daemon" = true ]; then
    # The daemon holds the storage settings; the restored server needs none of them.
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u WALG_LIBSODIUM_KEY \
        pg_ctl -D "$PGDATA" -l "$pglog" -w -t "$timeout_s" -s -o "$opts" start || true
else
    pg_ctl -D "$PGDATA" -l "$pglog" -w -t "$timeout_s" -s -o "$opts" start || true
fi
# With hot_standby=off the server accepts connections only once recovery has ended and it promoted
# (polling with connections would fill the log with FATALs, so watch the log); if recovery fails,
# the postmaster exits.
deadline=$((SECONDS + timeout_s))
while pg_ctl -D "$PGDATA" status >/dev/null 2>&1 && ! grep -q 'database system is ready to accept connections' "$pglog"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
        pg_ctl -D "$PGDATA" stop -m immediate -s || true
        fail 1 "recovery did not finish within TERNENT_RESTORE_TIMEOUT_SECONDS=$timeout_s s (log: $pglog)"
    fi
    sleep 0.2
done
replay_s=$(seconds_since "$tr")
# Recovery is over (promoted, or the server stopped): nothing asks for WAL any more.
stop_daemon

# What the log says about this recovery; restore-command.sh logged every file it did not find.
recovery_json=$(perl -MJSON::PP -e '
    my %r = (timeline => undef, stopped => undef, redo_done_lsn => undef, last_transaction_time => undef,
             end_segment => undef, target_not_reached => JSON::PP::false, storage_error => undef, fatal => undef);
    while (<STDIN>) {
        chomp;
        $r{end_segment} = $1 if /restore-command: not in archive: ([0-9A-F]{24})$/;
        $r{storage_error} = $1 if /restore-command: FATAL (.*)/;
        $r{timeline} = 0 + $1 if /selected new timeline ID: (\d+)/;
        $r{stopped} = $1 if /(recovery stopping (?:before|after) .*)/;
        $r{redo_done_lsn} = $1 if /redo done at ([0-9A-F]+\/[0-9A-F]+)/;
        $r{last_transaction_time} = $1 if /last completed transaction was at log time (.+?)\s*$/;
        $r{target_not_reached} = JSON::PP::true if /recovery ended before configured recovery target was reached/;
        $r{fatal} = $1 if !defined $r{fatal} && /(?:FATAL|PANIC):\s+(.*)/;
    }
    print JSON::PP->new->canonical->encode(\%r);
' <"$pglog")
field() { perl -MJSON::PP -e 'my $v = decode_json($ARGV[0])->{$ARGV[1]}; print defined $v ? $v : ""' "$recovery_json" "$1"; }

if ! pg_ctl -D "$PGDATA" status >/dev/null 2>&1; then
    missing=$(field end_segment)
    if [ "$(field target_not_reached)" = "1" ]; then
        fail 1 "recovery ended before the target $target was reached: WAL segment ${missing:-?} is missing from the archive $WALG_S3_PREFIX (log: $pglog)"
    elif [ -n "$(field storage_error)" ]; then
        fail 1 "recovery stopped on a storage error: $(field storage_error) (log: $pglog)"
    fi
    fail 1 "PostgreSQL did not come up: $(field fatal) (log: $pglog)"
fi
running=true
in_recovery=$(pg_query 'SELECT pg_is_in_recovery()' -h "$sock" -p "$port" -U "$db_user" -d "$db_name" 2>"$work/check.err") \
    || fail 1 "PostgreSQL is up but the check as role $db_user on database $db_name failed: $(head -n 2 "$work/check.err") (set PGUSER/PGDATABASE)"
[ "$in_recovery" = f ] || fail 1 "PostgreSQL is up but still in recovery (log: $pglog)"
log "promoted on timeline $(field timeline) after ${replay_s}s of replay"

# Where replay stopped: the last commit it replayed (kept after promotion), proven against T.
last_commit=$(pg_query "SELECT coalesce(to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '')" \
    -h "$sock" -p "$port" -U "$db_user" -d "$db_name" 2>"$work/check.err") \
    || fail 1 "cannot read pg_last_xact_replay_timestamp() on the restored server: $(head -n 2 "$work/check.err")"
recovery_json=$(perl -MJSON::PP -e 'my $r = decode_json($ARGV[0]); $r->{last_replayed_commit} = $ARGV[1] eq "" ? undef : $ARGV[1];
    print JSON::PP->new->canonical->encode($r)' "$recovery_json" "$last_commit")
if [ "$target_kind" = time ]; then
    rc=0
    replay_json=$(plan replay "$target_time" "$last_commit" "$(field stopped)" 2>/dev/null) || rc=$?
    [ "$rc" -eq 0 ] || fail 1 "replay did not stop at the target $target: $(perl -MJSON::PP -e 'print((eval { decode_json($ARGV[0]) } // {})->{reason} // "plan.pl replay failed")' "$replay_json")"
    log "replay stopped at the target: last replayed commit ${last_commit:-none} <= $target_time, stopped before $(perl -MJSON::PP -e 'print decode_json($ARGV[0])->{stopped_at} // "?"' "$replay_json")"
fi

# Did replay reach the end of the archive as it was before the replay started?
if [ "$target_kind" = latest ]; then
    end=$(field end_segment)
    [ -n "$end" ] || fail 1 "cannot tell where replay ended (restore-command.sh logged no missing segment; log: $pglog)"
    if ! gap_json=$(plan gap "$end" <"$work/wal-show.json"); then
        missing=$end
        fail 1 "replay stopped at the missing WAL segment $end but the archive holds later segments: $gap_json"
    fi
fi

if [ -n "${TERNENT_RESTORE_GENERATION:-}" ]; then
    printf '%s\n' "$TERNENT_RESTORE_GENERATION" >"$PGDATA/ternent-generation" \
        || fail 1 "cannot write $PGDATA/ternent-generation"
    log "marked $PGDATA as data generation $TERNENT_RESTORE_GENERATION"
fi

if [ "$keep_running" = false ]; then
    pg_ctl -D "$PGDATA" stop -m fast -w -s || fail 1 "clean shutdown after recovery failed (log: $pglog)"
    running=false
    rm -f "$PGDATA/postmaster.opts"
fi
ok=true
report
log "restored $backup (target $target) in $(seconds_since "$t0")s; server $([ "$running" = true ] && echo "running on $sock" || echo stopped)"
