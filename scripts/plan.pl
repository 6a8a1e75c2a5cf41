#!/usr/bin/perl
# plan.pl: every decision of the pod scripts that needs no database or storage, callable with fixture
# JSON (core Perl only: JSON::PP, Time::Local, POSIX). One planner, one subcommand per decision, one
# time rule (parse_time below).
#
# Usage (JSON input on stdin, one JSON line on stdout, a short reason on stderr):
#   plan.pl choose TARGET
#       stdin: `wal-g backup-list --detail --json`. TARGET: latest | base_<24 hex> | RFC 3339 time with zone.
#       latest: the backup that finished last; a name: that backup; a time T: the newest backup whose
#       finish_time is before T (a base backup is only consistent once it finished).
#       -> {"backup_name",…,"target","target_kind":"latest|name|time","target_time" (UTC, +00)}
#   plan.pl window NOW CANARY_INTERVAL ARCHIVE_TIMEOUT SLACK [FRACTION]
#       stdin: `wal-g wal-show --detailed-json`. The PITR window runs from the finish of the oldest base
#       backup whose WAL is continuous to the newest segment on the highest timeline, up to
#       NOW - (CANARY_INTERVAL + ARCHIVE_TIMEOUT + SLACK) (seconds). FRACTION in [0,1] picks the target
#       inside the window (default: random).
#       -> {"from","to","target","timeline","backup_name"}
#   plan.pl wal-verify
#       stdin: `wal-g wal-verify integrity timeline --json` (its exit code is 0 even on FAILURE).
#       -> {"integrity","timeline","lost":["<start>..<end>",…],"lost_segments":N,"ok":bool}
#   plan.pl canary TARGET NEWEST MAX_LAG_SECONDS
#       PITR accuracy: NEWEST (newest canary row after the restore) must be <= TARGET and >= TARGET - MAX_LAG.
#       -> {"ok","lag_seconds","target","newest"}
#   plan.pl gap END_SEGMENT
#       stdin: `wal-g wal-show --detailed-json`. Replay without a target stopped because END_SEGMENT (the
#       first segment restore_command did not find) is missing; a gap is when the archive holds a later
#       segment on that timeline. -> {"gap":bool,"end_segment","archive_end_segment","missing":[…]}
#   plan.pl lsn-after SEGMENT [N] -> {"lsn":"X/Y"}: the LSN just past a segment, or N segments
#       further (for wal-verify --lsn)
#   plan.pl time RFC3339   -> {"time":"<UTC, +00>","epoch":seconds,"epoch_us":microseconds} (validation and
#       normalisation; RFC 3339 or PostgreSQL's text form, see parse_time)
#   plan.pl fallback TARGET FAILED WAL_SHOW_FILE
#       stdin: `wal-g backup-list --detail --json`; FAILED: the backups that could not be read (comma-
#       separated); WAL_SHOW_FILE: `wal-g wal-show --detailed-json` output. The backup to restore instead:
#       the newest finished backup older than every failed one (and finished before T for a time target)
#       on the failed backup's timeline whose WAL is unbroken from its start segment up to the failed
#       backup's start segment (from there on the restore needs the WAL the failed backup needed anyway).
#       A named target has no fallback. -> as choose, plus {"fallback_from","skipped":[{backup,reason}]}
#   plan.pl replay TARGET LAST_COMMIT STOPPED
#       Where PITR replay stopped, proven: LAST_COMMIT (pg_last_xact_replay_timestamp() of the restored
#       server, "" when no commit was replayed) must be <= TARGET, and STOPPED (PostgreSQL's log line
#       "recovery stopping before|after commit|abort of transaction N, time X") must name the first
#       record after TARGET (before: X > TARGET) or one exactly at it (after: X = TARGET).
#       -> {"ok","target","last_replayed_commit","stopped_at","stopped","reason"}
#
#   plan.pl retention --now <RFC 3339> --daily M --weekly N --pitr-days P --weekly-day <day> [FILE]
#       FILE (or stdin when absent or "-"): `wal-g backup-list --detail --json`. Grandfather-father-son
#       retention of one WAL-G prefix (retention.sh applies it); it never calls WAL-G.
#       -> {"event":"retention-plan","mark","unmark","keep","delete","keepFrom","deleteArgs",…}
#
# Retention rules (plan.pl retention):
# (all times UTC; backups are ordered the way `wal-g delete` orders them: timeline, then WAL
# segment of the backup name; start times must agree with that order):
# - Weekly: weeks start at 00:00 on the weekly day. The weekly of a week is the first backup listed
#   (i.e. successful) that started in that week, so when the weekly-day backup failed the next day's
#   backup is the weekly. The newest N weeklies are kept and marked permanent.
# - Permanent backups older than the oldest of those N weeklies are unmarked so `delete` can remove
#   them (retention owns the permanent flag of its prefix; with N = 0 every permanent is released).
# - Oldest backup kept (keepFrom): the older of the M-th newest backup and the newest backup that
#   finished at or before now - P days (so PITR to any second of the last P days stays possible: WAL
#   is kept from keepFrom onward). When no backup finished that early, every backup is kept.
# - Deletion is `wal-g delete before <keepFrom>`: name-based, never time-based (a time also deletes
#   the backup just before it), never `delete target` (it can delete permanent backups).
# - Refusal (nothing deleted, nothing marked): fewer than M backups, or inconsistent input (delta or
#   malformed names, duplicate names, zero or unparsable times, finish before start, missing
#   is_permanent, start times out of WAL-G's order, backups in the future).
#
# Exit codes: 0 decided (for canary/wal-verify/gap: check passed); 1 no answer or check failed
#   (e.g. no backup finished before T, empty window, lost segments, gap); 2 bad input.
#   retention: 0 plan, 2 bad arguments, 3 refused (nothing to delete, mark or unmark; the plan says why).
use strict;
use warnings;
use JSON::PP;
use POSIX qw(floor strftime);
use Time::Local qw(timegm_modern);

my $json = JSON::PP->new->canonical(1);

sub fail { my ($code, $msg) = @_; print STDERR "plan: $msg\n"; exit $code; }
sub out { print $json->encode($_[0]), "\n"; }

# The one time rule (shared with the program's parseRfc3339 through test/fixtures/times.json): RFC 3339
# with a zone -- date, "T" or "t", time, 1 to 9 fraction digits, "Z" or ±HH:MM, seconds 00..59, a day
# that exists -- and, as the only extension, PostgreSQL's own text form ("2026-01-31 12:00:00.5+00": a
# space, offset ±HH, ±HHMM or ±HH:MM), which the scripts read back from PostgreSQL and write into
# recovery_target_time. Returns integer microseconds since the epoch (exact in Perl's 64-bit integers;
# floats are not): sub-microsecond digits are truncated, PostgreSQL timestamps have microseconds.
sub parse_time {
    my ($s) = @_;
    return undef unless defined $s && !ref $s;
    my ($y, $mo, $d, $sep, $h, $mi, $sec, $frac, $zone) =
        $s =~ /^(\d{4})-(\d\d)-(\d\d)([Tt ])(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?([Zz]|[+-]\d\d(?::?\d\d)?)$/ or return undef;
    # RFC 3339 proper takes Z or ±HH:MM; PostgreSQL's form (space) takes a numeric offset.
    return undef if $sep ne ' ' ? $zone !~ /^(?:[Zz]|[+-]\d\d:\d\d)$/ : $zone =~ /^[Zz]$/;
    return undef if $mo < 1 || $mo > 12 || $d < 1 || $h > 23 || $mi > 59 || $sec > 59;
    my $t = eval { timegm_modern($sec, $mi, $h, $d, $mo - 1, $y) };    # dies on a day the month lacks
    return undef unless defined $t;
    if ($zone =~ /^([+-])(\d\d):?(\d\d)?$/) {
        return undef if $2 > 23 || ($3 // 0) > 59;
        my $off = $2 * 3600 + ($3 // 0) * 60;
        $t -= $1 eq '+' ? $off : -$off;
    }
    return $t * 1_000_000 + substr(($frac // '') . '000000', 0, 6);
}

# microseconds -> "YYYY-MM-DD HH:MM:SS[.ffffff]+00" (the form written to recovery_target_time).
sub fmt_time {
    my ($us) = @_;
    my $whole = floor($us / 1_000_000);
    my $frac = $us - $whole * 1_000_000;
    my $s = strftime('%Y-%m-%d %H:%M:%S', gmtime($whole));
    $s .= sprintf('.%06d', $frac) if $frac;
    return "$s+00";
}

sub seconds { return 0 + sprintf('%.6f', $_[0] / 1_000_000); }

sub read_json {
    my ($what) = @_;
    local $/;
    my $text = <STDIN>;
    fail(2, "no $what on stdin") unless defined $text && $text =~ /\S/;
    my $data = eval { $json->decode($text) };
    fail(2, "stdin is not $what: " . ($@ =~ s/\s+at \S+ line \d+.*//sr)) unless defined $data;
    return $data;
}

sub finish_us {
    my ($b) = @_;
    my $t = parse_time($b->{finish_time});
    # WAL-G writes 0001-01-01T00:00:00Z when it does not know the time.
    return (defined $t && $t > 0) ? $t : undef;
}

sub seg_tli { return hex(substr($_[0], 0, 8)); }
sub seg_no  { return hex(substr($_[0], 8, 8)) * 256 + hex(substr($_[0], 16, 8)); }   # 16 MiB segments

sub choose {
    my ($target) = @_;
    fail(2, "usage: choose latest|base_<24 hex>|<RFC 3339 time>") unless defined $target && $target ne '';
    my $list = read_json('wal-g backup-list --detail --json output');
    fail(2, 'backup list is not a JSON array') unless ref $list eq 'ARRAY';
    fail(1, 'no backups in storage') unless @$list;
    my ($kind, $t, $pick);
    if (lc $target eq 'latest') {
        $kind = 'latest';
        my @done = grep { defined finish_us($_) } @$list;
        @done = @$list unless @done;
        ($pick) = sort { (finish_us($b) // 0) <=> (finish_us($a) // 0) || $b->{backup_name} cmp $a->{backup_name} } @done;
    } elsif ($target =~ /^base_[0-9A-F]{24}(?:_D_[0-9A-F]{24})?$/) {
        $kind = 'name';
        ($pick) = grep { $_->{backup_name} eq $target } @$list;
        fail(1, "backup $target is not in storage (have: " . join(', ', map { $_->{backup_name} } @$list) . ')') unless $pick;
    } else {
        $t = parse_time($target);
        fail(2, "target '$target' is neither latest, a backup name (base_<24 hex>) nor an RFC 3339 time with a zone") unless defined $t;
        $kind = 'time';
        my @before = grep { my $f = finish_us($_); defined $f && $f < $t } @$list;
        if (!@before) {
            my ($oldest) = sort { $a <=> $b } grep { defined } map { finish_us($_) } @$list;
            fail(1, "no backup finished before $target" . (defined $oldest ? ' (oldest finished at ' . fmt_time($oldest) . ')' : ''));
        }
        ($pick) = sort { finish_us($b) <=> finish_us($a) || $b->{backup_name} cmp $a->{backup_name} } @before;
    }
    my %o = map { $_ => $pick->{$_} } grep { exists $pick->{$_} } qw(backup_name start_time finish_time wal_file_name start_lsn finish_lsn is_permanent pg_version compressed_size uncompressed_size);
    $o{target} = $target;
    $o{target_kind} = $kind;
    $o{target_time} = fmt_time($t) if defined $t;
    out(\%o);
}

# The highest timeline in wal-show output and its missing segments.
sub top_timeline {
    my ($show) = @_;
    fail(2, 'wal-show output is not a JSON array') unless ref $show eq 'ARRAY';
    my ($top) = sort { $b->{id} <=> $a->{id} } @$show;
    return $top;
}

sub window {
    my ($now_s, $canary, $timeout, $slack, $fraction) = @_;
    for ([NOW => $now_s]) { fail(2, "window: NOW '$now_s' is not an RFC 3339 time") unless defined parse_time($now_s); }
    for my $n (['CANARY_INTERVAL', $canary], ['ARCHIVE_TIMEOUT', $timeout], ['SLACK', $slack]) {
        fail(2, "window: $n->[0]='" . ($n->[1] // '') . "' is not a number of seconds") unless defined $n->[1] && $n->[1] =~ /^\d+(\.\d+)?$/;
    }
    if (defined $fraction) {
        fail(2, "window: FRACTION='$fraction' is not in [0,1]") unless $fraction =~ /^(0(\.\d+)?|1(\.0+)?)$/;
    } else {
        $fraction = rand();
    }
    my $show = read_json('wal-g wal-show --detailed-json output');
    my $top = top_timeline($show);
    fail(1, 'PITR window empty: no WAL in storage') unless $top;
    my @missing = map { seg_no($_) } @{ $top->{missing_segments} // [] };
    my @backups = grep { defined finish_us($_) } @{ $top->{backups} // [] };
    # A backup's WAL is continuous when no segment from its start segment onwards is missing.
    my @continuous = grep {
        my $start = seg_no($_->{wal_file_name});
        !grep { $_ >= $start } @missing;
    } @backups;
    fail(1, "PITR window empty: no base backup with continuous WAL on timeline $top->{id}"
        . (@missing ? ' (missing: ' . join(', ', @{ $top->{missing_segments} }) . ')' : '')) unless @continuous;
    my ($oldest) = sort { finish_us($a) <=> finish_us($b) } @continuous;
    my $from = finish_us($oldest);
    my $to = parse_time($now_s) - floor(($canary + $timeout + $slack) * 1_000_000);
    fail(1, 'PITR window empty: oldest usable backup ' . $oldest->{backup_name} . ' finished at ' . fmt_time($from)
        . ', later than now - (canary interval + archive_timeout + slack) = ' . fmt_time($to)) unless $to > $from;
    my $target = $from + floor($fraction * ($to - $from));
    out({ from => fmt_time($from), to => fmt_time($to), target => fmt_time($target), timeline => $top->{id}, backup_name => $oldest->{backup_name} });
}

sub wal_verify {
    my $v = read_json('wal-g wal-verify --json output');
    fail(2, 'wal-verify output has no integrity result') unless ref $v eq 'HASH' && ref $v->{integrity} eq 'HASH';
    my @lost = grep { ($_->{status} // '') eq 'MISSING_LOST' } @{ $v->{integrity}{details} // [] };
    my $count = 0;
    $count += $_->{segments_count} // 0 for @lost;
    my $istatus = $v->{integrity}{status} // 'UNKNOWN';
    my $tstatus = ref $v->{timeline} eq 'HASH' ? ($v->{timeline}{status} // 'UNKNOWN') : 'NOT_RUN';
    my $ok = ($istatus ne 'FAILURE' && !@lost && $tstatus ne 'FAILURE') ? JSON::PP::true : JSON::PP::false;
    my @names = map { $_->{start_segment} eq $_->{end_segment} ? $_->{start_segment} : "$_->{start_segment}..$_->{end_segment}" } @lost;
    out({ integrity => $istatus, timeline => $tstatus, lost => \@names, lost_segments => $count, ok => $ok });
    print STDERR 'plan: WAL lost in storage: ' . join(', ', @names) . "\n" if @names;
    exit($ok ? 0 : 1);
}

sub canary {
    my ($target_s, $newest_s, $max_lag) = @_;
    my $target = parse_time($target_s);
    fail(2, "canary: TARGET '" . ($target_s // '') . "' is not an RFC 3339 time") unless defined $target;
    fail(2, "canary: MAX_LAG_SECONDS '" . ($max_lag // '') . "' is not a number") unless defined $max_lag && $max_lag =~ /^\d+(\.\d+)?$/;
    if (!defined $newest_s || $newest_s eq '') {
        out({ ok => JSON::PP::false, target => fmt_time($target), newest => undef, lag_seconds => undef, reason => 'no canary row' });
        exit 1;
    }
    my $newest = parse_time($newest_s);
    fail(2, "canary: NEWEST '$newest_s' is not an RFC 3339 time") unless defined $newest;
    my $lag = seconds($target - $newest);
    my $ok = ($lag >= 0 && $lag <= $max_lag) ? 1 : 0;
    my $reason = $lag < 0 ? 'newest canary row is after the target: recovery went past T'
        : $lag > $max_lag ? "newest canary row is $lag s before the target, more than $max_lag s: WAL before T is missing"
        : 'within bounds';
    out({ ok => $ok ? JSON::PP::true : JSON::PP::false, target => fmt_time($target), newest => fmt_time($newest),
          lag_seconds => $lag, max_lag_seconds => 0 + $max_lag, reason => $reason });
    exit($ok ? 0 : 1);
}

sub gap {
    my ($end) = @_;
    fail(2, "gap: END_SEGMENT '" . ($end // '') . "' is not a WAL segment name (24 hex digits)") unless defined $end && $end =~ /^[0-9A-F]{24}$/;
    my $show = read_json('wal-g wal-show --detailed-json output');
    fail(2, 'wal-show output is not a JSON array') unless ref $show eq 'ARRAY';
    my ($tl) = grep { $_->{id} == seg_tli($end) } @$show;
    my $archive_end = $tl ? $tl->{end_segment} : undef;
    my @missing = $tl ? grep { seg_no($_) >= seg_no($end) } @{ $tl->{missing_segments} // [] } : ();
    my $gap = (defined $archive_end && seg_no($archive_end) >= seg_no($end)) ? 1 : 0;
    out({ gap => $gap ? JSON::PP::true : JSON::PP::false, end_segment => $end, archive_end_segment => $archive_end, missing => \@missing });
    exit($gap ? 1 : 0);
}

sub fallback {
    my ($target, $failed_arg, $show_file) = @_;
    fail(2, 'usage: fallback TARGET FAILED[,FAILED...] WAL_SHOW_FILE') unless defined $show_file && defined $failed_arg && $failed_arg ne '';
    my $list = read_json('wal-g backup-list --detail --json output');
    fail(2, 'backup list is not a JSON array') unless ref $list eq 'ARRAY';
    open(my $fh, '<', $show_file) or fail(2, "cannot read $show_file: $!");
    my $show = eval { local $/; $json->decode(<$fh>) };
    fail(2, "$show_file is not wal-g wal-show --detailed-json output") unless ref $show eq 'ARRAY';
    my ($kind, $t);
    if (lc $target eq 'latest') {
        $kind = 'latest';
    } elsif ($target =~ /^base_[0-9A-F]{24}/) {
        fail(1, "the target names backup $target: a restore of a named backup has no other backup to fall back to");
    } else {
        $t = parse_time($target);
        fail(2, "fallback: target '$target' is neither latest, a backup name nor an RFC 3339 time with a zone") unless defined $t;
        $kind = 'time';
    }
    my %failed = map { $_ => 1 } split /,/, $failed_arg;
    my @failed = grep { $failed{ $_->{backup_name} } } @$list;
    fail(2, "fallback: the failed backup(s) $failed_arg are not in the backup list") unless @failed == keys %failed;
    # The first backup the restore chose: its WAL is what the restore needed from its start on.
    my ($first) = sort { (finish_us($b) // 0) <=> (finish_us($a) // 0) } @failed;
    my $oldest_failed = (sort { $a <=> $b } map { finish_us($_) // 0 } @failed)[0];
    my ($tli, $upto) = (seg_tli($first->{wal_file_name}), seg_no($first->{wal_file_name}));
    my ($tl) = grep { $_->{id} == $tli } @$show;
    my @missing = $tl ? map { seg_no($_) } @{ $tl->{missing_segments} // [] } : ();
    my (@skipped, $pick);
    my @older = sort { finish_us($b) <=> finish_us($a) || $b->{backup_name} cmp $a->{backup_name} }
        grep { my $f = finish_us($_); !$failed{ $_->{backup_name} } && defined $f && $f < $oldest_failed && (!defined $t || $f < $t) } @$list;
    for my $c (@older) {
        my $name = $c->{backup_name};
        if (($c->{wal_file_name} // '') !~ /^[0-9A-F]{24}$/) {
            push @skipped, { backup => $name, reason => 'no wal_file_name in the backup list' };
        } elsif (seg_tli($c->{wal_file_name}) != $tli) {
            push @skipped, { backup => $name, reason => sprintf('timeline %d, the failed backup is on timeline %d', seg_tli($c->{wal_file_name}), $tli) };
        } elsif (!$tl) {
            push @skipped, { backup => $name, reason => "wal-show lists no timeline $tli" };
        } elsif (my @gap = grep { $_ >= seg_no($c->{wal_file_name}) && $_ < $upto } @missing) {
            my %miss = map { seg_no($_) => $_ } @{ $tl->{missing_segments} };
            push @skipped, { backup => $name, reason => 'WAL missing between it and ' . $first->{backup_name} . ': ' . join(', ', map { $miss{$_} } @gap) };
        } else {
            $pick = $c;
            last;
        }
    }
    if (!$pick) {
        my $why = @older ? join('; ', map { "$_->{backup}: $_->{reason}" } @skipped)
            : 'no finished backup is older than ' . join(', ', sort keys %failed) . (defined $t ? " and finished before $target" : '');
        print STDERR "plan: no backup to fall back to: $why\n";
        out({ fallback_from => $first->{backup_name}, skipped => \@skipped });
        exit 1;
    }
    my %o = map { $_ => $pick->{$_} } grep { exists $pick->{$_} } qw(backup_name start_time finish_time wal_file_name start_lsn finish_lsn is_permanent pg_version compressed_size uncompressed_size);
    $o{target} = $target;
    $o{target_kind} = $kind;
    $o{target_time} = fmt_time($t) if defined $t;
    $o{fallback_from} = $first->{backup_name};
    $o{skipped} = \@skipped;
    out(\%o);
}

sub replay {
    my ($target_s, $last_s, $stopped) = @_;
    my $target = parse_time($target_s);
    fail(2, "replay: TARGET '" . ($target_s // '') . "' is not an RFC 3339 time") unless defined $target;
    $last_s //= '';
    $stopped //= '';
    my $last = $last_s eq '' ? undef : parse_time($last_s);
    fail(2, "replay: LAST_COMMIT '$last_s' is not an RFC 3339 time") if $last_s ne '' && !defined $last;
    my ($how, $stop_s) = $stopped =~ /recovery stopping (before|after) (?:commit|abort) of transaction \d+, time (.+?)\s*$/;
    my $stop = defined $stop_s ? parse_time($stop_s) : undef;
    my @why;
    push @why, 'replay went past the target: the last replayed commit is at ' . fmt_time($last) . ', after ' . fmt_time($target)
        if defined $last && $last > $target;
    if (!defined $how) {
        push @why, 'PostgreSQL logged no "recovery stopping before|after commit ... time ..." line: where replay stopped is not proven'
            . ($stopped ne '' ? " (it logged: $stopped)" : '');
    } elsif (!defined $stop) {
        push @why, "cannot read the time in \"$stopped\"";
    } elsif ($how eq 'before' && $stop <= $target) {
        push @why, 'replay stopped before a commit at ' . fmt_time($stop) . ', not after the target ' . fmt_time($target) . ': commits up to the target may be missing';
    } elsif ($how eq 'after' && $stop != $target) {
        push @why, 'replay stopped after a commit at ' . fmt_time($stop) . ', not at the target ' . fmt_time($target);
    }
    my $ok = @why ? 0 : 1;
    out({ ok => $ok ? JSON::PP::true : JSON::PP::false, target => fmt_time($target),
          last_replayed_commit => defined $last ? fmt_time($last) : undef, stopped_at => defined $stop ? fmt_time($stop) : undef,
          stopped => $stopped eq '' ? undef : $stopped, reason => @why ? join('; ', @why) : 'replay stopped at the target' });
    print STDERR 'plan: ' . join('; ', @why) . "\n" unless $ok;
    exit($ok ? 0 : 1);
}

# ---- retention --------------------------------------------------------------------------------
# retention --now <RFC 3339> --daily M --weekly N --pitr-days P --weekly-day <day> [FILE]: see the header.

my %WEEKDAYS = (sunday => 0, monday => 1, tuesday => 2, wednesday => 3, thursday => 4, friday => 5, saturday => 6);
my $FUTURE_TOLERANCE = 300;          # seconds of clock skew tolerated between backup host and us
my $STALE_AFTER = 36 * 3600;         # warn when the newest backup is older than this

sub retention_usage {
    my ($msg) = @_;
    print STDERR "plan retention: $msg\n";
    print STDERR "usage: plan.pl retention --now <RFC 3339> --daily M --weekly N --pitr-days P --weekly-day <sunday..saturday> [FILE]\n";
    exit 2;
}

# Epoch seconds (fractional) of a time, as the retention rules compute in seconds.
sub parse_seconds { my $us = parse_time($_[0]); return defined $us ? $us / 1_000_000 : undef; }

sub fmt_rfc3339 { return strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(floor($_[0]))) }

sub retention {
    my @argv = @_;
    # ---- arguments ----
    my %opt;
        my @files;
        while (@argv) {
        my $a = shift @argv;
        if ($a =~ /^--(now|daily|weekly|pitr-days|weekly-day)$/) {
            retention_usage("$a needs a value") unless @argv;
            $opt{$1} = shift @argv;
        } elsif ($a =~ /^--(now|daily|weekly|pitr-days|weekly-day)=(.*)$/) {
            $opt{$1} = $2;
        } elsif ($a eq '-' || $a !~ /^-/) {
            push @files, $a;
        } else {
            retention_usage("unknown option '$a'");
        }
    }
    retention_usage('at most one input file') if @files > 1;
    for my $k (qw(now daily weekly pitr-days weekly-day)) {
        retention_usage("--$k is required") unless defined $opt{$k};
    }
    my $now = parse_seconds($opt{now});
    retention_usage("--now: '$opt{now}' is not an RFC 3339 time with a zone (e.g. 2025-01-31T03:30:00Z)") unless defined $now;
    retention_usage("--daily: '$opt{daily}' must be an integer >= 1") unless $opt{daily} =~ /^\d+$/ && $opt{daily} >= 1;
    retention_usage("--weekly: '$opt{weekly}' must be an integer >= 0") unless $opt{weekly} =~ /^\d+$/;
    retention_usage("--pitr-days: '$opt{'pitr-days'}' must be an integer >= 0") unless $opt{'pitr-days'} =~ /^\d+$/;
    my $weekday_name = $opt{'weekly-day'};
    retention_usage("--weekly-day: '$weekday_name' is not one of sunday, monday, tuesday, wednesday, thursday, friday, saturday")
        unless exists $WEEKDAYS{$weekday_name};
    my ($M, $N, $P, $W) = (0 + $opt{daily}, 0 + $opt{weekly}, 0 + $opt{'pitr-days'}, $WEEKDAYS{$weekday_name});

    my %plan = (
        event    => 'retention-plan',
        now      => fmt_rfc3339($now),
        settings => { daily => $M, weekly => $N, pitrDays => $P, weeklyDay => $weekday_name },
        refused  => JSON::PP::false,
        reason   => undef,
        backups  => 0,
        weeklies => [], mark => [], unmark => [], keep => [], delete => [],
        dailyAnchor => undef, pitrAnchor => undef, pitrCutoff => fmt_rfc3339($now - $P * 86400),
        keepFrom => undef, keepFromReason => undef, pitrWindowStart => undef,
        deleteDryRunArgs => undef, deleteArgs => undef,
        warnings => [],
    );

    my (@backups, %seen);    # filled while reading; $refuse->() reports what was read

    my $emit = sub {
        print $json->encode(\%plan), "\n";
        exit($plan{refused} ? 3 : 0);
    };

    my $refuse = sub {
        my ($reason) = @_;
        $plan{refused} = JSON::PP::true;
        $plan{reason} = $reason;
        $plan{$_} = [] for qw(mark unmark delete);
        $plan{keep} = [map { $_->{name} } @backups];
        $plan{deleteDryRunArgs} = $plan{deleteArgs} = undef;
        $emit->();
    };

    # ---- input ----
    my $raw;
    {
        local $/;
        if (!@files || $files[0] eq '-') {
            $raw = <STDIN>;
        } else {
            open(my $fh, '<', $files[0]) or retention_usage("cannot read '$files[0]': $!");
            $raw = <$fh>;
            close $fh;
        }
    }
    $raw = '' unless defined $raw;
    $refuse->('backup list is empty output, expected a JSON array (wal-g backup-list --detail --json)') if $raw =~ /^\s*$/;
    my $list = eval { JSON::PP->new->decode($raw) };
    $refuse->("backup list is not valid JSON: " . ($@ =~ s/\s+at \S+ line \d+.*//sr)) unless defined $list;
    $refuse->('backup list is not a JSON array') unless ref $list eq 'ARRAY';

    for my $i (0 .. $#$list) {
        my $b = $list->[$i];
        $refuse->("backup list entry $i is not an object") unless ref $b eq 'HASH';
        my $name = $b->{backup_name};
        $refuse->("backup list entry $i has no backup_name") unless defined $name && !ref $name;
        $refuse->("backup $name is a delta backup; retention supports full backups only") if $name =~ /_D_/;
        my ($tl, $hi, $lo) = $name =~ /^base_([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/
            or $refuse->("backup name '$name' is not base_ followed by 24 hex digits");
        $refuse->("backup $name is listed twice") if $seen{$name}++;
        my %t;
        for my $k (qw(start_time finish_time)) {
            my $v = $b->{$k};
            $refuse->("backup $name has no $k") unless defined $v;
            $refuse->("backup $name has the zero $k '$v' (metadata incomplete)") if $v =~ /^0001-01-01/;
            $t{$k} = parse_seconds($v);
            $refuse->("backup $name: $k '$v' is not an RFC 3339 time") unless defined $t{$k};
        }
        $refuse->("backup $name finished ($b->{finish_time}) before it started ($b->{start_time})")
            if $t{finish_time} < $t{start_time};
        $refuse->("backup $name finished in the future ($b->{finish_time} > now $plan{now}): clock wrong?")
            if $t{finish_time} > $now + $FUTURE_TOLERANCE;
        $refuse->("backup $name has no boolean is_permanent (use backup-list --detail --json)")
            unless exists $b->{is_permanent} && JSON::PP::is_bool($b->{is_permanent});
        push @backups, {
            name => $name, key => lc("$tl$hi$lo"), start => $t{start_time}, finish => $t{finish_time},
            start_text => $b->{start_time}, permanent => $b->{is_permanent} ? 1 : 0,
        };
    }

    # WAL-G's order (timeline, segment) == hex order of the name; start times must agree with it.
    @backups = sort { $a->{key} cmp $b->{key} } @backups;
    for my $i (1 .. $#backups) {
        my ($p, $c) = @backups[$i - 1, $i];
        $refuse->("backup $c->{name} sorts after $p->{name} in WAL-G's order but started earlier "
            . "($c->{start_text} < $p->{start_text}); refusing to guess which is older")
            if $c->{start} < $p->{start};
    }
    $plan{backups} = scalar @backups;
    my $count = @backups;

    if ($count && $now - $backups[-1]{finish} > $STALE_AFTER) {
        push @{ $plan{warnings} }, sprintf('newest backup %s finished %.1f hours ago: backups are failing',
            $backups[-1]{name}, ($now - $backups[-1]{finish}) / 3600);
    }
    $refuse->("only $count backup(s) exist, fewer than the $M daily backups to keep; deleting nothing until there are $M")
        if $count < $M;

    # ---- weeklies ----
    my $week_key = sub {
        my ($t) = @_;
        my $day = floor($t / 86400);
        my $wday = ($day + 4) % 7;    # 1970-01-01 was a Thursday
        return $day - (($wday - $W + 7) % 7);
    };
    my %first_of_week;
    for my $b (@backups) {
        my $wk = $week_key->($b->{start});
        $first_of_week{$wk} //= $b;    # backups are in time order: the first seen is the first of its week
    }
    my @weeklies = sort { $b->{key} cmp $a->{key} } values %first_of_week;
    splice(@weeklies, $N) if @weeklies > $N;
    my %is_weekly = map { $_->{name} => 1 } @weeklies;
    $plan{weeklies} = [map { $_->{name} } @weeklies];
    if (@weeklies < $N) {
        push @{ $plan{warnings} }, sprintf('only %d of %d weekly backups exist yet', scalar @weeklies, $N);
    }

    my %permanent = map { $_->{name} => $_->{permanent} } @backups;
    for my $w (@weeklies) {
        next if $w->{permanent};
        push @{ $plan{mark} }, $w->{name};
        $permanent{ $w->{name} } = 1;
    }
    # While fewer than N weeklies exist the oldest weekly is the oldest backup, so nothing is older.
    my $oldest_weekly_key = @weeklies ? $weeklies[-1]{key} : undef;
    for my $b (@backups) {
        next unless $b->{permanent};
        next if $is_weekly{ $b->{name} };
        next if defined $oldest_weekly_key && $b->{key} ge $oldest_weekly_key;
        push @{ $plan{unmark} }, $b->{name};
        $permanent{ $b->{name} } = 0;
    }

    # ---- oldest backup to keep ----
    my $daily_anchor = $backups[$count - $M];
    my $cutoff = $now - $P * 86400;
    my ($pitr_anchor) = grep { $_->{finish} <= $cutoff } reverse @backups;
    $plan{dailyAnchor} = $daily_anchor->{name};
    my ($keep_from, $reason);
    if (!defined $pitr_anchor) {
        ($keep_from, $reason) = ($backups[0], 'oldest');
        push @{ $plan{warnings} }, sprintf('no backup finished before %s: the PITR window starts at %s, not %d days back',
            fmt_rfc3339($cutoff), fmt_rfc3339($backups[0]{finish}), $P);
    } else {
        $plan{pitrAnchor} = $pitr_anchor->{name};
        ($keep_from, $reason) = $pitr_anchor->{key} lt $daily_anchor->{key}
            ? ($pitr_anchor, 'pitr') : ($daily_anchor, 'daily');
    }
    $plan{keepFrom} = $keep_from->{name};
    $plan{keepFromReason} = $reason;
    $plan{pitrWindowStart} = fmt_rfc3339(defined $pitr_anchor ? $cutoff : $backups[0]{finish});

    # What `delete before keepFrom` removes: every older backup that is not permanent after mark/unmark.
    for my $b (@backups) {
        my $goes = $b->{key} lt $keep_from->{key} && !$permanent{ $b->{name} };
        push @{ $plan{ $goes ? 'delete' : 'keep' } }, $b->{name};
    }

    # ---- self-check: never delete what the rules keep ----
    my %deleted = map { $_ => 1 } @{ $plan{delete} };
    for my $b (@backups[$count - $M .. $count - 1], @weeklies, grep { defined } $pitr_anchor) {
        $refuse->("internal check failed: plan would delete $b->{name}, which the rules keep") if $deleted{ $b->{name} };
    }

    $plan{deleteDryRunArgs} = ['delete', 'before', $keep_from->{name}];
    $plan{deleteArgs} = ['delete', 'before', $keep_from->{name}, '--confirm'];
    $emit->();
}

my $cmd = shift @ARGV // '';
if ($cmd eq 'retention') { retention(@ARGV); }
elsif ($cmd eq 'choose') { choose(@ARGV); }
elsif ($cmd eq 'window') { window(@ARGV); }
elsif ($cmd eq 'wal-verify') { wal_verify(); }
elsif ($cmd eq 'canary') { canary(@ARGV); }
elsif ($cmd eq 'gap') { gap(@ARGV); }
elsif ($cmd eq 'fallback') { fallback(@ARGV); }
elsif ($cmd eq 'replay') { replay(@ARGV); }
elsif ($cmd eq 'lsn-after') {
    my ($seg, $more) = ($ARGV[0] // '', $ARGV[1] // 0);
    fail(2, "lsn-after: '$seg' is not a WAL segment name (24 hex digits)") unless $seg =~ /^[0-9A-F]{24}$/;
    fail(2, "lsn-after: SEGMENTS '$more' is not a whole number") unless $more =~ /^\d+$/;
    my $lsn = (seg_no($seg) + 1 + $more) * 16 * 1024 * 1024;
    out({ lsn => sprintf('%X/%X', $lsn >> 32, $lsn & 0xFFFFFFFF), timeline => seg_tli($seg) });
}
elsif ($cmd eq 'time') {
    my $t = parse_time($ARGV[0]);
    fail(2, "'" . ($ARGV[0] // '') . "' is not an RFC 3339 time with a zone (e.g. 2026-01-31T12:00:00Z) nor PostgreSQL's form of one") unless defined $t;
    # epoch_us is exact; epoch (seconds) is a JSON number, which JSON::PP prints to 15 digits.
    out({ time => fmt_time($t), epoch => seconds($t), epoch_us => $t });
}
else { fail(2, "unknown command '$cmd' (retention | choose | window | wal-verify | canary | gap | lsn-after | time | fallback | replay)"); }
