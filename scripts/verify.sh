#!/usr/bin/env bash
# verify.sh: is WAL archiving healthy right now? The bundle's "quick validation" as one command
# (CronJob ternent-postgres-verify; also run by hand: kubectl exec ... verify.sh).
# Unhealthy when: archive_mode is not on; archive_command does not call archive-command.sh (in the ha
# profile: the operator's wal-g wal-push, TERNENT_VERIFY_ARCHIVE_COMMAND);
# the newest archiver failure is more recent than the newest success (archiving is failing now);
# nothing was ever archived; the last archived WAL is older than TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS;
# or a completed WAL segment has waited longer than TERNENT_VERIFY_MAX_READY_AGE_SECONDS to be archived.
# The last check sees a stalled archiver that the others miss: while wal-push retries inside WAL-G
# (an S3 outage), archive_command neither succeeds nor fails, so pg_stat_archiver.failed_count stays
# 0 and the last archived WAL only ages past its limit after minutes. A segment's .ready file in
# pg_wal/archive_status appears when the segment completes (at the latest archive_timeout after a
# write) and goes once it is archived; its age, read with pg_ls_archive_statusdir() (superuser or
# pg_monitor; the stack connects as the image's superuser), shows a stall within archive_timeout +
# the limit. Without that function's privilege the check falls back to pg_stat_archiver and
# pg_current_wal_lsn(): completed segments past the last archived one, aged by the last success.
# An idle database writes no WAL, so set TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS above canary interval
# + archive_timeout: the canary guarantees a write every interval and archive_timeout ships it.
#
# Inputs (environment): PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE;
#   TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS (required, seconds);
#   TERNENT_VERIFY_MAX_READY_AGE_SECONDS (seconds; default: the server's archive_timeout, 60 when 0);
#   TERNENT_VERIFY_ARCHIVE_COMMAND (Perl regex archive_command must match; default: archive-command.sh %p);
#   TERNENT_SCRIPTS.
# Output: one JSON line {"healthy",…,"oldest_ready_wal","oldest_ready_age_seconds","ready_count",
#   "max_ready_age_seconds","ready_source","problems":[…]}; a short verdict on stderr.
# Exit codes: 0 healthy; 1 unhealthy or database unreachable; 2 bad input/config.
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "${TERNENT_SCRIPTS:-/ternent/scripts}/common.sh"

require_env PGHOST PGUSER PGDATABASE TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS
max_age=$TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS
if ! [[ "$max_age" =~ ^[1-9][0-9]*$ ]]; then
    die 2 "TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS='$max_age' is not a positive number of seconds"
fi
max_ready=${TERNENT_VERIFY_MAX_READY_AGE_SECONDS:-}
archive_re=${TERNENT_VERIFY_ARCHIVE_COMMAND:-'(^|/)archive-command\.sh %p$'}
if [ -n "$max_ready" ] && ! [[ "$max_ready" =~ ^[1-9][0-9]*$ ]]; then
    die 2 "TERNENT_VERIFY_MAX_READY_AGE_SECONDS='$max_ready' is not a positive number of seconds"
fi

facts=$(pg_query "SELECT json_build_object(
        'archive_mode', current_setting('archive_mode'),
        'archive_command', current_setting('archive_command'),
        'archive_timeout', current_setting('archive_timeout'),
        'archived_count', archived_count,
        'failed_count', failed_count,
        'last_archived_wal', last_archived_wal,
        'last_archived_time', last_archived_time,
        'last_failed_wal', last_failed_wal,
        'last_failed_time', last_failed_time,
        'last_archived_age_seconds', round(extract(epoch FROM now() - last_archived_time)::numeric, 3),
        'failing_now', failed_count > 0 AND last_failed_time IS NOT NULL
            AND (last_archived_time IS NULL OR last_failed_time > last_archived_time),
        'current_wal', CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END,
        'current_segment_no', CASE WHEN pg_is_in_recovery() THEN NULL
            ELSE floor((pg_current_wal_lsn() - '0/0'::pg_lsn) / pg_size_bytes(current_setting('wal_segment_size')))::bigint END,
        'wal_segment_bytes', pg_size_bytes(current_setting('wal_segment_size')),
        'archive_timeout_seconds', extract(epoch FROM current_setting('archive_timeout')::interval)::int,
        'stats_reset', stats_reset)
    FROM pg_stat_archiver") || {
    json_line healthy:=false problems:='["database unreachable"]'
    die 1 "cannot query pg_stat_archiver on $PGHOST:${PGPORT:-5432}/$PGDATABASE"
}

# The oldest completed segment (or history/backup file) still waiting for archive_command.
ready_source=archive_status
ready_err=""
ready=$(pg_query "SELECT json_build_object(
        'ready_count', count(*),
        'oldest_ready_wal', (array_agg(substr(name, 1, length(name) - 6) ORDER BY modification, name))[1],
        'oldest_ready_age_seconds', round(extract(epoch FROM now() - min(modification))::numeric, 3))
    FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'" 2>&1) || {
    ready_err=$ready
    ready_source=pg_stat_archiver
    ready='{}'
}

verdict=$(perl -MJSON::PP -e '
    my ($facts, $max_age, $ready, $max_ready, $source, $ready_err, $archive_re) = @ARGV;
    my $f = decode_json($facts);
    my $r = eval { decode_json($ready) } // {};
    $f->{$_} = $r->{$_} for qw(ready_count oldest_ready_wal oldest_ready_age_seconds);
    if ($source eq "pg_stat_archiver" && ($f->{current_wal} // "") =~ /^[0-9A-F]{24}$/ && defined $f->{current_segment_no}) {
        # No archive_status listing: the completed segments after the last archived one on the same
        # timeline, up to the one WAL is written into (by LSN: pg_walfile_name() names the previous
        # segment right after a switch), are waiting; their age is at most the time since the last success.
        my $per_id = 2**32 / $f->{wal_segment_bytes};
        my $no = sub { hex(substr($_[0], 8, 8)) * $per_id + hex(substr($_[0], 16, 8)) };
        # The history file of a base backup (<segment>.<offset>.backup) counts as its segment.
        my ($last) = ($f->{last_archived_wal} // "") =~ /^([0-9A-F]{24})(?:\.[0-9A-F]{8}\.backup)?$/;
        if (defined $last && substr($last, 0, 8) eq substr($f->{current_wal}, 0, 8)) {
            my $n = $f->{current_segment_no} - $no->($last) - 1;
            my $next = $no->($last) + 1;
            $f->{ready_count} = $n > 0 ? $n : 0;
            $f->{oldest_ready_wal} = $n > 0 ? sprintf("%s%08X%08X", substr($last, 0, 8), int($next / $per_id), $next % $per_id) : undef;
            $f->{oldest_ready_age_seconds} = $n > 0 ? $f->{last_archived_age_seconds} : undef;
        }
    }
    $max_ready = $f->{archive_timeout_seconds} > 0 ? $f->{archive_timeout_seconds} : 60 if $max_ready eq "";
    my @p;
    push @p, "archive_mode is $f->{archive_mode}, not on" if $f->{archive_mode} ne "on";
    push @p, "archive_command \"$f->{archive_command}\" is not the expected archiver (/$archive_re/)"
        if $f->{archive_command} !~ m{$archive_re};
    push @p, "archiving is failing: $f->{failed_count} failures, last $f->{last_failed_wal} at $f->{last_failed_time}"
        if $f->{failing_now};
    if (!defined $f->{last_archived_time}) {
        push @p, "nothing archived since $f->{stats_reset}";
    } elsif ($f->{last_archived_age_seconds} > $max_age) {
        push @p, "last archived WAL $f->{last_archived_wal} is $f->{last_archived_age_seconds} s old (limit $max_age s)";
    }
    if (defined $f->{oldest_ready_age_seconds} && $f->{oldest_ready_age_seconds} > $max_ready) {
        push @p, "$f->{oldest_ready_wal} has waited $f->{oldest_ready_age_seconds} s to be archived (limit $max_ready s; " .
            "$f->{ready_count} file(s) waiting): archive_command is stuck or retrying" .
            ($f->{failing_now} ? "" : " without failing (pg_stat_archiver.failed_count does not show it)");
    }
    my %out = (healthy => @p ? JSON::PP::false : JSON::PP::true, max_archive_age_seconds => 0 + $max_age,
        max_ready_age_seconds => 0 + $max_ready, ready_source => $source, ($ready_err ne "" ? (ready_error => $ready_err) : ()),
        problems => \@p, map { $_ => $f->{$_} } grep { $_ ne "failing_now" } keys %$f);
    print JSON::PP->new->canonical->encode(\%out), "\n";
    exit(@p ? 1 : 0);
' "$facts" "$max_age" "$ready" "$max_ready" "$ready_source" "$(printf '%s' "$ready_err" | head -n 1)" "$archive_re") && rc=0 || rc=$?
printf '%s\n' "$verdict"
case "$rc" in
    0) log "archiving healthy" ;;
    1) die 1 "archiving UNHEALTHY: $(perl -MJSON::PP -e 'print join("; ", @{ decode_json($ARGV[0])->{problems} })' "$verdict"). See FAILURE_RUNBOOK.md" ;;
    *) die 1 "could not evaluate pg_stat_archiver (perl exited $rc)" ;;
esac
