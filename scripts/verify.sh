#!/usr/bin/env bash
# verify.sh: is WAL archiving healthy right now? The bundle's "quick validation" as one command
# (CronJob ternent-postgres-verify; also run by hand: kubectl exec ... verify.sh).
# Unhealthy when: archive_mode is not on; archive_command does not call archive-command.sh;
# the newest archiver failure is more recent than the newest success (archiving is failing now);
# nothing was ever archived; or the last archived WAL is older than TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS.
# An idle database writes no WAL, so set the threshold above canary interval + archive_timeout:
# the canary guarantees a write every interval and archive_timeout ships it.
#
# Inputs (environment): PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE;
#   TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS (required, seconds); TERNENT_SCRIPTS.
# Output: one JSON line {"healthy",…,"problems":[…]}; a short verdict on stderr.
# Exit codes: 0 healthy; 1 unhealthy or database unreachable; 2 bad input/config.
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "${TERNENT_SCRIPTS:-/ternent/scripts}/common.sh"

require_env PGHOST PGUSER PGDATABASE TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS
max_age=$TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS
if ! [[ "$max_age" =~ ^[1-9][0-9]*$ ]]; then
    die 2 "TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS='$max_age' is not a positive number of seconds"
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
        'stats_reset', stats_reset)
    FROM pg_stat_archiver") || {
    json_line healthy:=false problems:='["database unreachable"]'
    die 1 "cannot query pg_stat_archiver on $PGHOST:${PGPORT:-5432}/$PGDATABASE"
}

verdict=$(perl -MJSON::PP -e '
    my ($facts, $max_age) = @ARGV;
    my $f = decode_json($facts);
    my @p;
    push @p, "archive_mode is $f->{archive_mode}, not on" if $f->{archive_mode} ne "on";
    push @p, "archive_command \"$f->{archive_command}\" does not call archive-command.sh"
        if $f->{archive_command} !~ m{(^|/)archive-command\.sh %p$};
    push @p, "archiving is failing: $f->{failed_count} failures, last $f->{last_failed_wal} at $f->{last_failed_time}"
        if $f->{failing_now};
    if (!defined $f->{last_archived_time}) {
        push @p, "nothing archived since $f->{stats_reset}";
    } elsif ($f->{last_archived_age_seconds} > $max_age) {
        push @p, "last archived WAL $f->{last_archived_wal} is $f->{last_archived_age_seconds} s old (limit $max_age s)";
    }
    my %out = (healthy => @p ? JSON::PP::false : JSON::PP::true, max_archive_age_seconds => 0 + $max_age,
        problems => \@p, map { $_ => $f->{$_} } grep { $_ ne "failing_now" } keys %$f);
    print JSON::PP->new->canonical->encode(\%out), "\n";
    exit(@p ? 1 : 0);
' "$facts" "$max_age") && rc=0 || rc=$?
printf '%s\n' "$verdict"
case "$rc" in
    0) log "archiving healthy" ;;
    1) die 1 "archiving UNHEALTHY: $(perl -MJSON::PP -e 'print join("; ", @{ decode_json($ARGV[0])->{problems} })' "$verdict"). See FAILURE_RUNBOOK.md" ;;
    *) die 1 "could not evaluate pg_stat_archiver (perl exited $rc)" ;;
esac
