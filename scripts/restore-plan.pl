#!/usr/bin/perl
# restore-plan.pl: the decisions of restore.sh and the drills that need no database, callable with
# fixture JSON (core Perl only: JSON::PP, Time::Local, POSIX).
#
# Usage (JSON input on stdin, one JSON line on stdout, a short reason on stderr):
#   restore-plan.pl choose TARGET
#       stdin: `wal-g backup-list --detail --json`. TARGET: latest | base_<24 hex> | RFC 3339 time with zone.
#       latest: the backup that finished last; a name: that backup; a time T: the newest backup whose
#       finish_time is before T (a base backup is only consistent once it finished).
#       -> {"backup_name",…,"target","target_kind":"latest|name|time","target_time" (UTC, +00)}
#   restore-plan.pl window NOW CANARY_INTERVAL ARCHIVE_TIMEOUT SLACK [FRACTION]
#       stdin: `wal-g wal-show --detailed-json`. The PITR window runs from the finish of the oldest base
#       backup whose WAL is continuous to the newest segment on the highest timeline, up to
#       NOW - (CANARY_INTERVAL + ARCHIVE_TIMEOUT + SLACK) (seconds). FRACTION in [0,1] picks the target
#       inside the window (default: random).
#       -> {"from","to","target","timeline","backup_name"}
#   restore-plan.pl wal-verify
#       stdin: `wal-g wal-verify integrity timeline --json` (its exit code is 0 even on FAILURE).
#       -> {"integrity","timeline","lost":["<start>..<end>",…],"lost_segments":N,"ok":bool}
#   restore-plan.pl canary TARGET NEWEST MAX_LAG_SECONDS
#       PITR accuracy: NEWEST (newest canary row after the restore) must be <= TARGET and >= TARGET - MAX_LAG.
#       -> {"ok","lag_seconds","target","newest"}
#   restore-plan.pl gap END_SEGMENT
#       stdin: `wal-g wal-show --detailed-json`. Replay without a target stopped because END_SEGMENT (the
#       first segment restore_command did not find) is missing; a gap is when the archive holds a later
#       segment on that timeline. -> {"gap":bool,"end_segment","archive_end_segment","missing":[…]}
#   restore-plan.pl lsn-after SEGMENT [N] -> {"lsn":"X/Y"}: the LSN just past a segment, or N segments
#       further (for wal-verify --lsn)
#   restore-plan.pl time RFC3339   -> {"time":"<UTC, +00>","epoch":seconds} (validation and normalisation)
#   restore-plan.pl fallback TARGET FAILED WAL_SHOW_FILE
#       stdin: `wal-g backup-list --detail --json`; FAILED: the backups that could not be read (comma-
#       separated); WAL_SHOW_FILE: `wal-g wal-show --detailed-json` output. The backup to restore instead:
#       the newest finished backup older than every failed one (and finished before T for a time target)
#       on the failed backup's timeline whose WAL is unbroken from its start segment up to the failed
#       backup's start segment (from there on the restore needs the WAL the failed backup needed anyway).
#       A named target has no fallback. -> as choose, plus {"fallback_from","skipped":[{backup,reason}]}
#   restore-plan.pl replay TARGET LAST_COMMIT STOPPED
#       Where PITR replay stopped, proven: LAST_COMMIT (pg_last_xact_replay_timestamp() of the restored
#       server, "" when no commit was replayed) must be <= TARGET, and STOPPED (PostgreSQL's log line
#       "recovery stopping before|after commit|abort of transaction N, time X") must name the first
#       record after TARGET (before: X > TARGET) or one exactly at it (after: X = TARGET).
#       -> {"ok","target","last_replayed_commit","stopped_at","stopped","reason"}
#
# Exit codes: 0 decided (for canary/wal-verify/gap: check passed); 1 no answer or check failed
#   (e.g. no backup finished before T, empty window, lost segments, gap); 2 bad input.
use strict;
use warnings;
use JSON::PP;
use POSIX qw(floor strftime);
use Time::Local qw(timegm_modern);

my $json = JSON::PP->new->canonical(1);

sub fail { my ($code, $msg) = @_; print STDERR "restore-plan: $msg\n"; exit $code; }
sub out { print $json->encode($_[0]), "\n"; }

# Times are integer microseconds since the epoch (exact in Perl's 64-bit integers; floats are not).
# RFC 3339 with a zone (Z or ±HH:MM / ±HH / ±HHMM, as PostgreSQL prints +00) -> microseconds.
sub parse_time {
    my ($s) = @_;
    return undef unless defined $s;
    $s =~ /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?\s*(Z|z|[+-]\d\d(?::?\d\d)?)$/ or return undef;
    my ($y, $mo, $d, $h, $mi, $sec, $frac, $zone) = ($1, $2, $3, $4, $5, $6, $7 // '', $8);
    return undef if $mo < 1 || $mo > 12 || $d < 1 || $d > 31 || $h > 23 || $mi > 59 || $sec > 60;
    my $t = eval { timegm_modern($sec, $mi, $h, $d, $mo - 1, $y) };
    return undef unless defined $t;
    if ($zone =~ /^([+-])(\d\d):?(\d\d)?$/) {
        my $off = $2 * 3600 + ($3 // 0) * 60;
        $t -= $1 eq '+' ? $off : -$off;
    }
    # Sub-microsecond digits are truncated: PostgreSQL timestamps have microsecond resolution.
    return $t * 1_000_000 + substr($frac . '000000', 0, 6);
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
    print STDERR 'restore-plan: WAL lost in storage: ' . join(', ', @names) . "\n" if @names;
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
        print STDERR "restore-plan: no backup to fall back to: $why\n";
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
    print STDERR 'restore-plan: ' . join('; ', @why) . "\n" unless $ok;
    exit($ok ? 0 : 1);
}

my $cmd = shift @ARGV // '';
if ($cmd eq 'choose') { choose(@ARGV); }
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
    fail(2, "'" . ($ARGV[0] // '') . "' is not an RFC 3339 time with a zone (e.g. 2026-01-31T12:00:00Z)") unless defined $t;
    out({ time => fmt_time($t), epoch => seconds($t) });
}
else { fail(2, "unknown command '$cmd' (choose | window | wal-verify | canary | gap | lsn-after | time | fallback | replay)"); }
