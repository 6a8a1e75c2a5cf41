#!/usr/bin/env bash
# pitr-drill.sh: prove point-in-time recovery to a time T (CronJob ternent-postgres-pitr-drill in
# backend-dr, read-only key).
#   1. T = TERNENT_PITR_TARGET, or with `random` a time inside the PITR window: from the finish of the
#      oldest base backup whose WAL is continuous up to now - (canary interval + archive_timeout + slack),
#      so that WAL up to T and a commit after T (the canary) are archived (plan.pl window)
#   2. restore.sh: newest backup finished before T, replay with recovery_target_time = T (+00), promote;
#      a missing segment before T fails loudly, naming it
#   3. smoke-checks.sh, then canary accuracy: the newest canary row must be <= T and
#      >= T - (TERNENT_CANARY_INTERVAL_SECONDS + TERNENT_ARCHIVE_TIMEOUT_SECONDS + slack)
#   3b. where replay stopped, proven against this drill's own T (plan.pl replay): the restored
#      server's last replayed commit (pg_last_xact_replay_timestamp(), as restore.sh reports it) is <= T
#      and PostgreSQL stopped before a commit after T. The canary alone cannot see an overshoot shorter
#      than its interval (5 minutes in prod); this check sees one of a microsecond.
#   4. wal-g wal-verify integrity timeline --json for the backup's WAL up to where replay stopped (up to
#      the end of the archive when recovery failed); MISSING_LOST segments are reported by name. Its
#      exit code is 0 even on FAILURE, so the JSON is parsed.
#
# Inputs (environment):
#   TERNENT_PITR_TARGET              random (default) | RFC 3339 time with zone
#   TERNENT_CANARY_INTERVAL_SECONDS  canary schedule interval (required)
#   TERNENT_ARCHIVE_TIMEOUT_SECONDS  archive_timeout of the primary (required)
#   TERNENT_PITR_SLACK_SECONDS       extra tolerance for scheduling and clocks (default 60)
#   TERNENT_WORKDIR, TERNENT_SMOKE_SQL, PGUSER, PGDATABASE, TERNENT_RESTORE_TIMEOUT_SECONDS,
#   TERNENT_DRILL_KEEP, TERNENT_BIN, TERNENT_SCRIPTS, WALG_S3_PREFIX, AWS_*, WALG_LIBSODIUM_KEY*
# Output: one JSON verdict line {"drill":"pitr","ok","target","window","backup","rtoSeconds",
#   "checks":{restore,backupReadable,connect,catalog,canary,smokeSql,canaryAccuracy,replayStop,walIntegrity},"newestCanary",
#   "canaryLagSeconds","lastReplayedCommit","replayStoppedBefore","replay":{…},"lostSegments":[…],
#   "missingSegment","fallback","reason","restore":{…}}.
# Exit codes: 0 drill passed; 1 drill failed; 2 bad input/config.
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "${TERNENT_SCRIPTS:-/ternent/scripts}/common.sh"

require_env WALG_S3_PREFIX TERNENT_CANARY_INTERVAL_SECONDS TERNENT_ARCHIVE_TIMEOUT_SECONDS
interval=$TERNENT_CANARY_INTERVAL_SECONDS
archive_timeout=$TERNENT_ARCHIVE_TIMEOUT_SECONDS
slack=${TERNENT_PITR_SLACK_SECONDS:-60}
seconds() { [[ "$2" =~ ^[0-9]+$ ]] || die 2 "$1='$2' is not a whole number of seconds"; }
seconds TERNENT_CANARY_INTERVAL_SECONDS "$interval"
seconds TERNENT_ARCHIVE_TIMEOUT_SECONDS "$archive_timeout"
seconds TERNENT_PITR_SLACK_SECONDS "$slack"
target_in=${TERNENT_PITR_TARGET:-random}
max_lag=$((interval + archive_timeout + slack))

drill_scratch pd
started=$(now_utc)
t0=$(now_ms)
target=""
rto=""
canary_lag=""

verdict() { # verdict FIELD=... (json_line arguments): print, log and exit
    local line passed
    line=$(json_line drill=pitr "$@" startedAt="$started" finishedAt="$(now_utc)")
    printf '%s\n' "$line"
    passed=$(perl -MJSON::PP -e 'print decode_json($ARGV[0])->{ok} ? "true" : "false"' "$line")
    if [ "$passed" = true ]; then
        log "PITR drill PASSED: target $target, RTO ${rto}s, last replayed commit $(perl -MJSON::PP -e 'print decode_json($ARGV[0])->{lastReplayedCommit} // "none"' "$line"), newest canary ${canary_lag}s before T"
        exit 0
    fi
    die 1 "PITR drill FAILED: $(perl -MJSON::PP -e 'print decode_json($ARGV[0])->{reason}' "$line")"
}

# --- 1. the target ---------------------------------------------------------------------------------
window_json=""
if [ "$target_in" = random ]; then
    walg wal-show --detailed-json >"$work/wal-show.json" 2>"$work/wal-show.err" \
        || die 1 "wal-g wal-show failed: $(tail -n 3 "$work/wal-show.err")"
    if ! window_json=$(plan window "$(now_utc)" "$interval" "$archive_timeout" "$slack" <"$work/wal-show.json" 2>"$work/plan.err"); then
        verdict ok:=false target= reason="$(sed 's/^plan: //' "$work/plan.err")"
    fi
    target=$(perl -MJSON::PP -e 'print decode_json($ARGV[0])->{target}' "$window_json")
else
    target_norm=$(plan time "$target_in") || die 2 "TERNENT_PITR_TARGET='$target_in' must be 'random' or an RFC 3339 time with a zone"
    target=$(perl -MJSON::PP -e 'print decode_json($ARGV[0])->{time}' "$target_norm")
fi
log "PITR drill: target $target (window ${window_json:-given})"

# --- 2. restore to T, smoke checks ----------------------------------------------------------------
drill_restore "$target"
rc=$restore_rc
rfield() { perl -MJSON::PP -e 'my $r = eval { decode_json($ARGV[0]) } // {}; my $v = $r; $v = ref $v eq "HASH" ? $v->{$_} : undef for split /\./, $ARGV[1]; print defined $v ? $v : ""' "$restore_json" "$1"; }
backup=$(rfield backup)

# --- 3. canary accuracy ---------------------------------------------------------------------------
canary_json='{}'
accuracy=fail
if [ "$rc" -eq 0 ]; then
    newest=$(perl -MJSON::PP -e 'print decode_json($ARGV[0])->{newestCanary} // ""' "$smoke_json")
    if canary_json=$(plan canary "$target" "$newest" "$max_lag"); then accuracy=pass; fi
fi
canary_lag=$(perl -MJSON::PP -e 'my $v = (eval { decode_json($ARGV[0]) } // {})->{lag_seconds}; print defined $v ? $v : ""' "$canary_json")

# A backup-fetch failure is a finding even when restore.sh fell back to an older backup.
readable=$(perl -MJSON::PP -e 'my $r = eval { decode_json($ARGV[0]) }; print !$r ? "skipped" : @{ $r->{fetchFailures} // [] } ? "fail" : "pass"' "$restore_json")

# --- 3b. where replay stopped, against this drill's T (not the target restore.sh was given) ----------
replay_json='{}'
replay_stop=fail
if [ "$rc" -eq 0 ]; then
    if replay_json=$(plan replay "$target" "$(rfield recovery.last_replayed_commit)" "$(rfield recovery.stopped)" 2>/dev/null); then
        replay_stop=pass
    fi
elif [ -n "$(rfield replay.reason)" ]; then
    replay_json=$(perl -MJSON::PP -e 'print encode_json(decode_json($ARGV[0])->{replay})' "$restore_json")
fi

# --- 4. WAL integrity from the backup up to where replay stopped (or the end of the archive) -------
verify_json='{}'
integrity=skipped
if [ -n "$backup" ]; then
    wal_file=$(rfield backupInfo.wal_file_name)
    tli=$((16#${wal_file:0:8}))
    lsn=$(rfield recovery.redo_done_lsn)
    if [ "$rc" -ne 0 ] || [ -z "$lsn" ]; then
        # Replay failed: check the whole archive. wal-verify counts the WALG_UPLOAD_CONCURRENCY segments
        # below the "current" one as possibly still uploading, not lost; this archive is at rest, so scan
        # from one segment past its end with a concurrency of 1.
        [ -s "$work/wal-show.json" ] || walg wal-show --detailed-json >"$work/wal-show.json" 2>/dev/null || true
        end=$(perl -MJSON::PP -e 'my ($tl) = grep { $_->{id} == $ARGV[0] } @{ decode_json(do { local $/; <STDIN> }) }; print $tl ? $tl->{end_segment} : ""' "$tli" <"$work/wal-show.json" 2>/dev/null || true)
        if [ -n "$end" ]; then lsn=$(perl -MJSON::PP -e 'print decode_json($ARGV[0])->{lsn}' "$(plan lsn-after "$end" 1)"); fi
    fi
    if [ -n "$lsn" ]; then
        if WALG_UPLOAD_CONCURRENCY=1 walg wal-verify integrity timeline --json --timeline "$tli" --lsn "$lsn" --backup-name "$backup" \
            >"$work/wal-verify.json" 2>"$work/wal-verify.err"; then
            if verify_json=$(plan wal-verify <"$work/wal-verify.json"); then integrity=pass; else integrity=fail; fi
        else
            integrity=fail
            verify_json=$(json_line error="wal-verify failed: $(tail -n 2 "$work/wal-verify.err")")
        fi
    fi
fi

# --- verdict ----------------------------------------------------------------------------------------
checks=$(perl -MJSON::PP -e '
    my ($smoke, %extra) = @ARGV;
    my $s = decode_json($smoke);
    print JSON::PP->new->canonical->encode({ %{ $s->{checks} // {} }, %extra });
' "$smoke_json" restore "$restore_status" backupReadable "$readable" canaryAccuracy "$accuracy" replayStop "$replay_stop" walIntegrity "$integrity")
reason=$(perl -MJSON::PP -e '
    my ($checks, $restore, $smoke, $canary, $verify, $replay) = map { eval { decode_json($_) } // {} } @ARGV;
    my @r;
    push @r, "the backup chosen for T could not be read, restored the older $restore->{fallback}{to} instead: $restore->{fallback}{reason}" if $restore->{fallback};
    push @r, $restore->{reason} if $restore->{reason};
    push @r, map { "$_: $smoke->{errors}{$_}" } sort keys %{ $smoke->{errors} // {} };
    push @r, "canary: $canary->{reason}" if $canary->{reason} && $checks->{canaryAccuracy} eq "fail";
    push @r, "replay: $replay->{reason}" if $replay->{reason} && $checks->{replayStop} eq "fail" && !$restore->{reason};
    push @r, "wal-verify: integrity $verify->{integrity}, lost " . join(", ", @{ $verify->{lost} }) if $verify->{lost} && @{ $verify->{lost} };
    push @r, $verify->{error} if $verify->{error};
    push @r, "check $_ failed" for grep { $checks->{$_} eq "fail" && !@r } sort keys %$checks;
    print join("; ", @r);
' "$checks" "$restore_json" "$smoke_json" "$canary_json" "$verify_json" "$replay_json")
ok=$(perl -MJSON::PP -e 'my $c = decode_json($ARGV[0]); print((grep { $_ eq "fail" } values %$c) ? "false" : "true")' "$checks")
[ "$restore_status" = pass ] || ok=false
lost=$(perl -MJSON::PP -e 'print encode_json((eval { decode_json($ARGV[0]) } // {})->{lost} // [])' "$verify_json")
verdict ok:="$ok" target="$target" window:="$window_json" backup="$backup" rtoSeconds:="$rto" \
    checks:="$checks" newestCanary:="$(perl -MJSON::PP -e 'print encode_json([decode_json($ARGV[0])->{newestCanary}]) =~ s/^\[|\]$//gr' "$smoke_json")" \
    canaryLagSeconds:="$canary_lag" maxCanaryLagSeconds:="$max_lag" \
    lastReplayedCommit="$(rfield recovery.last_replayed_commit)" \
    replayStoppedBefore="$(perl -MJSON::PP -e 'print((eval { decode_json($ARGV[0]) } // {})->{stopped_at} // "")' "$replay_json")" \
    replay:="$replay_json" fallback:="$(perl -MJSON::PP -e 'my $f = (eval { decode_json($ARGV[0]) } // {})->{fallback}; print $f ? encode_json($f) : ""' "$restore_json")" \
    lostSegments:="$lost" \
    missingSegment="$(rfield missingSegment)" walVerify:="$verify_json" reason="$reason" restore:="$restore_json"
