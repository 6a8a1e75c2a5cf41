#!/usr/bin/perl
# retention-plan.pl: decide grandfather-father-son retention for one WAL-G prefix. Pure logic: reads
# the output of `wal-g backup-list --detail --json` and prints one JSON plan line; it never calls WAL-G.
#
# Usage: retention-plan.pl --now <RFC 3339> --daily M --weekly N --pitr-days P --weekly-day <day> [FILE]
#   FILE (or stdin when absent or "-"): the backup-list JSON array.
#
# Rules (all times UTC; backups are ordered the way `wal-g delete` orders them: timeline, then WAL
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
# Output: one JSON line (event "retention-plan"). Exit codes: 0 plan, 2 bad arguments, 3 refused.
use strict;
use warnings;
use JSON::PP ();
use POSIX qw(floor strftime);
use Time::Local qw(timegm);

my %WEEKDAYS = (sunday => 0, monday => 1, tuesday => 2, wednesday => 3, thursday => 4, friday => 5, saturday => 6);
my $FUTURE_TOLERANCE = 300;          # seconds of clock skew tolerated between backup host and us
my $STALE_AFTER = 36 * 3600;         # warn when the newest backup is older than this

my $json = JSON::PP->new->canonical(1);

sub usage_error {
    my ($msg) = @_;
    print STDERR "retention-plan: $msg\n";
    print STDERR "usage: retention-plan.pl --now <RFC 3339> --daily M --weekly N --pitr-days P --weekly-day <sunday..saturday> [FILE]\n";
    exit 2;
}

# RFC 3339 with an explicit zone; returns epoch seconds (fractional) or undef.
sub parse_time {
    my ($s) = @_;
    return undef unless defined $s && !ref $s;
    my ($y, $mo, $d, $h, $mi, $sec, $frac, $zone) =
        $s =~ /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/ or return undef;
    return undef if $mo < 1 || $mo > 12 || $d < 1 || $d > 31 || $h > 23 || $mi > 59 || $sec > 60;
    my $t = eval { timegm($sec > 59 ? 59 : $sec, $mi, $h, $d, $mo - 1, $y) };
    return undef unless defined $t;
    $t += $frac if defined $frac;
    if ($zone !~ /^[Zz]$/) {
        my ($sign, $zh, $zm) = $zone =~ /^([+-])(\d\d):(\d\d)$/;
        my $off = ($zh * 60 + $zm) * 60;
        $t -= $sign eq '+' ? $off : -$off;
    }
    return $t;
}

sub fmt_time { return strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(floor($_[0]))) }

# ---- arguments ----
my %opt;
my @files;
while (@ARGV) {
    my $a = shift @ARGV;
    if ($a =~ /^--(now|daily|weekly|pitr-days|weekly-day)$/) {
        usage_error("$a needs a value") unless @ARGV;
        $opt{$1} = shift @ARGV;
    } elsif ($a =~ /^--(now|daily|weekly|pitr-days|weekly-day)=(.*)$/) {
        $opt{$1} = $2;
    } elsif ($a eq '-' || $a !~ /^-/) {
        push @files, $a;
    } else {
        usage_error("unknown option '$a'");
    }
}
usage_error('at most one input file') if @files > 1;
for my $k (qw(now daily weekly pitr-days weekly-day)) {
    usage_error("--$k is required") unless defined $opt{$k};
}
my $now = parse_time($opt{now});
usage_error("--now: '$opt{now}' is not an RFC 3339 time with a zone (e.g. 2025-01-31T03:30:00Z)") unless defined $now;
usage_error("--daily: '$opt{daily}' must be an integer >= 1") unless $opt{daily} =~ /^\d+$/ && $opt{daily} >= 1;
usage_error("--weekly: '$opt{weekly}' must be an integer >= 0") unless $opt{weekly} =~ /^\d+$/;
usage_error("--pitr-days: '$opt{'pitr-days'}' must be an integer >= 0") unless $opt{'pitr-days'} =~ /^\d+$/;
my $weekday_name = $opt{'weekly-day'};
usage_error("--weekly-day: '$weekday_name' is not one of sunday, monday, tuesday, wednesday, thursday, friday, saturday")
    unless exists $WEEKDAYS{$weekday_name};
my ($M, $N, $P, $W) = (0 + $opt{daily}, 0 + $opt{weekly}, 0 + $opt{'pitr-days'}, $WEEKDAYS{$weekday_name});

my %plan = (
    event    => 'retention-plan',
    now      => fmt_time($now),
    settings => { daily => $M, weekly => $N, pitrDays => $P, weeklyDay => $weekday_name },
    refused  => JSON::PP::false,
    reason   => undef,
    backups  => 0,
    weeklies => [], mark => [], unmark => [], keep => [], delete => [],
    dailyAnchor => undef, pitrAnchor => undef, pitrCutoff => fmt_time($now - $P * 86400),
    keepFrom => undef, keepFromReason => undef, pitrWindowStart => undef,
    deleteDryRunArgs => undef, deleteArgs => undef,
    warnings => [],
);

my (@backups, %seen);    # filled while reading; refuse() reports what was read

sub emit {
    print $json->encode(\%plan), "\n";
    exit($plan{refused} ? 3 : 0);
}

sub refuse {
    my ($reason) = @_;
    $plan{refused} = JSON::PP::true;
    $plan{reason} = $reason;
    $plan{$_} = [] for qw(mark unmark delete);
    $plan{keep} = [map { $_->{name} } @backups];
    $plan{deleteDryRunArgs} = $plan{deleteArgs} = undef;
    emit();
}

# ---- input ----
my $raw;
{
    local $/;
    if (!@files || $files[0] eq '-') {
        $raw = <STDIN>;
    } else {
        open(my $fh, '<', $files[0]) or usage_error("cannot read '$files[0]': $!");
        $raw = <$fh>;
        close $fh;
    }
}
$raw = '' unless defined $raw;
refuse('backup list is empty output, expected a JSON array (wal-g backup-list --detail --json)') if $raw =~ /^\s*$/;
my $list = eval { JSON::PP->new->decode($raw) };
refuse("backup list is not valid JSON: " . ($@ =~ s/\s+at \S+ line \d+.*//sr)) unless defined $list;
refuse('backup list is not a JSON array') unless ref $list eq 'ARRAY';

for my $i (0 .. $#$list) {
    my $b = $list->[$i];
    refuse("backup list entry $i is not an object") unless ref $b eq 'HASH';
    my $name = $b->{backup_name};
    refuse("backup list entry $i has no backup_name") unless defined $name && !ref $name;
    refuse("backup $name is a delta backup; retention supports full backups only") if $name =~ /_D_/;
    my ($tl, $hi, $lo) = $name =~ /^base_([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/
        or refuse("backup name '$name' is not base_ followed by 24 hex digits");
    refuse("backup $name is listed twice") if $seen{$name}++;
    my %t;
    for my $k (qw(start_time finish_time)) {
        my $v = $b->{$k};
        refuse("backup $name has no $k") unless defined $v;
        refuse("backup $name has the zero $k '$v' (metadata incomplete)") if $v =~ /^0001-01-01/;
        $t{$k} = parse_time($v);
        refuse("backup $name: $k '$v' is not an RFC 3339 time") unless defined $t{$k};
    }
    refuse("backup $name finished ($b->{finish_time}) before it started ($b->{start_time})")
        if $t{finish_time} < $t{start_time};
    refuse("backup $name finished in the future ($b->{finish_time} > now $plan{now}): clock wrong?")
        if $t{finish_time} > $now + $FUTURE_TOLERANCE;
    refuse("backup $name has no boolean is_permanent (use backup-list --detail --json)")
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
    refuse("backup $c->{name} sorts after $p->{name} in WAL-G's order but started earlier "
        . "($c->{start_text} < $p->{start_text}); refusing to guess which is older")
        if $c->{start} < $p->{start};
}
$plan{backups} = scalar @backups;
my $count = @backups;

if ($count && $now - $backups[-1]{finish} > $STALE_AFTER) {
    push @{ $plan{warnings} }, sprintf('newest backup %s finished %.1f hours ago: backups are failing',
        $backups[-1]{name}, ($now - $backups[-1]{finish}) / 3600);
}
refuse("only $count backup(s) exist, fewer than the $M daily backups to keep; deleting nothing until there are $M")
    if $count < $M;

# ---- weeklies ----
sub week_key {
    my ($t) = @_;
    my $day = floor($t / 86400);
    my $wday = ($day + 4) % 7;    # 1970-01-01 was a Thursday
    return $day - (($wday - $W + 7) % 7);
}
my %first_of_week;
for my $b (@backups) {
    my $wk = week_key($b->{start});
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
        fmt_time($cutoff), fmt_time($backups[0]{finish}), $P);
} else {
    $plan{pitrAnchor} = $pitr_anchor->{name};
    ($keep_from, $reason) = $pitr_anchor->{key} lt $daily_anchor->{key}
        ? ($pitr_anchor, 'pitr') : ($daily_anchor, 'daily');
}
$plan{keepFrom} = $keep_from->{name};
$plan{keepFromReason} = $reason;
$plan{pitrWindowStart} = fmt_time(defined $pitr_anchor ? $cutoff : $backups[0]{finish});

# What `delete before keepFrom` removes: every older backup that is not permanent after mark/unmark.
for my $b (@backups) {
    my $goes = $b->{key} lt $keep_from->{key} && !$permanent{ $b->{name} };
    push @{ $plan{ $goes ? 'delete' : 'keep' } }, $b->{name};
}

# ---- self-check: never delete what the rules keep ----
my %deleted = map { $_ => 1 } @{ $plan{delete} };
for my $b (@backups[$count - $M .. $count - 1], @weeklies, grep { defined } $pitr_anchor) {
    refuse("internal check failed: plan would delete $b->{name}, which the rules keep") if $deleted{ $b->{name} };
}

$plan{deleteDryRunArgs} = ['delete', 'before', $keep_from->{name}];
$plan{deleteArgs} = ['delete', 'before', $keep_from->{name}, '--confirm'];
emit();
