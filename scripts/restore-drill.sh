#!/usr/bin/env bash
# restore-drill.sh: prove that the newest backup restores (CronJob ternent-postgres-restore-drill in
# backend-dr, read-only key). restore.sh fetches LATEST into a fresh directory under TERNENT_WORKDIR,
# checks PG_VERSION, global/pg_control and backup_label, replays all archived WAL with archive_mode=off,
# checks that replay reached the end of the archive, and promotes; then smoke-checks.sh runs SQL on it.
# The server is stopped and the directory removed afterwards. When LATEST cannot be read, restore.sh
# falls back to an older backup: the drill then still shows whether a recovery would succeed, but
# fails (check backupReadable), naming the objects that could not be read.
#
# Inputs (environment): TERNENT_WORKDIR (scratch, default /ternent/work), TERNENT_SMOKE_SQL (optional),
#   PGUSER, PGDATABASE (role/database on the restored server; trust over its socket),
#   TERNENT_RESTORE_TIMEOUT_SECONDS (optional), TERNENT_DRILL_KEEP (true: keep the restored directory),
#   TERNENT_BIN, TERNENT_SCRIPTS, WALG_S3_PREFIX, AWS_*, WALG_LIBSODIUM_KEY*, WALG_DOWNLOAD_CONCURRENCY.
# Output: one JSON verdict line {"drill":"restore","ok","backup","backupFinishedAt","startedAt",
#   "finishedAt","rtoSeconds","checks":{restore,backupReadable,connect,…},"newestCanary","canaryAgeSeconds",
#   "fallback","reason","restore":{…}}.
# Exit codes: 0 drill passed; 1 drill failed (any check); 2 bad input/config.
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "${TERNENT_SCRIPTS:-/ternent/scripts}/common.sh"

require_env WALG_S3_PREFIX
drill_scratch rd
started=$(now_utc)
t0=$(now_ms)
log "restore drill: LATEST from $WALG_S3_PREFIX into $work"
drill_restore latest

verdict=$(perl -MJSON::PP -e '
    my ($restore, $smoke, $restore_status, $started, $finished, $rto, $drill_start_ms) = @ARGV;
    my $r = eval { decode_json($restore) } // {};
    my $s = decode_json($smoke);
    my %checks = (restore => $restore_status, %{ $s->{checks} // {} });
    # Any backup-fetch failure is a finding, also when the fallback restored.
    $checks{backupReadable} = !%$r ? "skipped" : @{ $r->{fetchFailures} // [] } ? "fail" : "pass";
    my $ok = !grep { $_ eq "fail" } values %checks;
    $ok = 0 if $restore_status ne "pass" || !$s->{ok};
    my $age;
    if (defined $s->{newestCanary} && $s->{newestCanary} =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+(?:\.\d+)?)Z$/) {
        require Time::Local;
        my $t = Time::Local::timegm_modern(int($6), $5, $4, $3, $2 - 1, $1) + ($6 - int($6));
        $age = 0 + sprintf("%.3f", $drill_start_ms / 1000 - $t);
    }
    my @reasons = grep { defined && length } ($r->{reason}, map { "$_: $s->{errors}{$_}" } sort keys %{ $s->{errors} // {} });
    unshift @reasons, "LATEST could not be read, restored the older $r->{fallback}{to} instead: $r->{fallback}{reason}" if $r->{fallback};
    print JSON::PP->new->canonical->encode({
        drill => "restore", ok => $ok ? JSON::PP::true : JSON::PP::false,
        backup => $r->{backup}, backupFinishedAt => $r->{backupInfo}{finish_time},
        startedAt => $started, finishedAt => $finished, rtoSeconds => ($rto eq "" ? undef : 0 + $rto),
        checks => \%checks, newestCanary => $s->{newestCanary}, canaryAgeSeconds => $age, fallback => $r->{fallback},
        reason => join("; ", @reasons), restore => $r,
    }), "\n";
    exit($ok ? 0 : 1);
' "$restore_json" "$smoke_json" "$restore_status" "$started" "$(now_utc)" "$rto" "$t0") && passed=true || passed=false
printf '%s\n' "$verdict"
if [ "$passed" = true ]; then
    log "restore drill PASSED: RTO ${rto}s"
else
    die 1 "restore drill FAILED: $(perl -MJSON::PP -e 'print decode_json($ARGV[0])->{reason}' "$verdict")"
fi
