#!/usr/bin/perl
# Stand-in for `wal-g` in the retention simulation. It keeps a bucket model in the JSON file
# $FAKE_WALG_STATE ({timeline, backups:[…], wal:[segment numbers], calls:[…]}) and implements only
# the commands retention.sh may use, with WAL-G 3.0.9's semantics (internal/delete_handler.go,
# internal/databases/postgres/delete.go and delete_util.go):
# - backup-list --detail --json: the listed backups, oldest first, as JSON.
# - backup-mark NAME / backup-mark -i NAME: set or clear is_permanent of exactly NAME.
# - st ls wal_005/: the WAL objects, one "obj" row each, as WAL-G's table prints them.
# - delete before NAME [--confirm]: target = newest backup whose name starts with NAME; deletes every
#   backup and WAL segment ordered before the target by (timeline, segment) that is not permanent; a
#   permanent backup protects itself and the WAL segments from (start_lsn-1) to (finish_lsn-1). Without
#   --confirm it only prints what it would delete, like WAL-G ("Object marked for deletion: …").
# Anything else (time-based delete, delete target/retain/everything/garbage) fails loudly so a test
# notices when the script uses it. `--batch` runs one command per stdin line in one process (the
# long simulations apply a plan's commands this way). FAKE_WALG_FAIL=<command> makes that command fail;
# FAKE_WALG_DRYRUN_EXTRA=<name> makes the dry run also claim to delete <name> (a WAL-G that disagrees);
# FAKE_WALG_DELETE_REFUSED=1 makes --confirm report success but delete nothing (WAL-G 3.0.9 with a key
# S3 refuses deletes for: it ignores DeleteObjects' per-object errors).
use strict;
use warnings;
use JSON::PP ();

my $SEG = 0x1000000;
my $state_file = $ENV{FAKE_WALG_STATE} or die "FAKE_WALG_STATE not set\n";
my $json = JSON::PP->new->canonical(1);
my $state = do {
    open(my $fh, '<', $state_file) or die "cannot read $state_file: $!\n";
    local $/;
    $json->decode(<$fh>);
};

sub save {
    open(my $fh, '>', "$state_file.tmp") or die "cannot write: $!\n";
    print $fh $json->encode($state);
    close $fh;
    rename("$state_file.tmp", $state_file) or die "rename: $!\n";
}

sub info { printf STDERR "INFO: 2025/01/01 00:00:00.000000 %s\n", $_[0] }
sub fatal { save(); printf STDERR "ERROR: 2025/01/01 00:00:00.000000 %s\n", $_[0]; exit 1 }

sub seg_of_name { my ($n) = @_; return hex(substr($n, 13, 8)) * 256 + hex(substr($n, 21, 8)) }
sub tl_of_name { return hex(substr($_[0], 5, 8)) }
sub wal_name { my ($tl, $seg) = @_; return sprintf('%08X%08X%08X', $tl, int($seg / 256), $seg % 256) }

sub run {
    my @args = @_;
    push @{ $state->{calls} }, join(' ', @args);
    my $cmd = $args[0] // '';
    fatal("injected failure of $cmd") if length($ENV{FAKE_WALG_FAIL} // '') && $ENV{FAKE_WALG_FAIL} eq $cmd;

    if ($cmd eq 'backup-list') {
        fatal('fake: only backup-list --detail --json is modelled') unless "@args" eq 'backup-list --detail --json';
        my @list = sort { $a->{start_time} cmp $b->{start_time} } @{ $state->{backups} };
        my @out = map {
            my %b = %$_;
            $b{is_permanent} = $b{is_permanent} ? JSON::PP::true : JSON::PP::false;
            \%b;
        } @list;
        print $json->encode(\@out), "\n";
        save();
        return;
    }

    if ($cmd eq 'backup-mark') {
        my @a = @args[1 .. $#args];
        my $permanent = 1;
        if (@a && $a[0] eq '-i') { $permanent = 0; shift @a }
        fatal('fake: backup-mark takes exactly one name') unless @a == 1;
        my ($b) = grep { $_->{backup_name} eq $a[0] } @{ $state->{backups} };
        fatal("Failed to get previous backups: backup $a[0] not found") unless $b;
        $b->{is_permanent} = $permanent ? 1 : 0;
        save();
        return;
    }

    if ($cmd eq 'delete') {
        my @a = grep { $_ ne '--confirm' } @args[1 .. $#args];
        my $confirm = @a != $#args;
        fatal("fake: only 'delete before NAME' is modelled, got 'delete @a'") unless @a == 2 && $a[0] eq 'before';
        my $name = $a[1];
        fatal("fake: time-based delete before '$name' is not allowed in retention") if $name =~ /^\d{4}-\d\d-\d\dT/;
        my ($target) = grep { index($_->{backup_name}, $name) == 0 }
            sort { $b->{backup_name} cmp $a->{backup_name} } @{ $state->{backups} };
        fatal('not found') unless $target;
        my $tkey = $target->{backup_name};
        my ($ttl, $tseg) = (tl_of_name($tkey), seg_of_name($tkey));

        my %perm_wal;
        for my $b (grep { $_->{is_permanent} } @{ $state->{backups} }) {
            my $tl = tl_of_name($b->{backup_name});
            for my $s (int(($b->{start_lsn} - 1) / $SEG) .. int(($b->{finish_lsn} - 1) / $SEG)) {
                $perm_wal{"$tl/$s"} = 1;
            }
        }
        my $tl = $state->{timeline} // 1;
        my @gone_backups = grep { !$_->{is_permanent} && $_->{backup_name} lt $tkey } @{ $state->{backups} };
        my @gone_wal = grep { ($tl < $ttl || ($tl == $ttl && $_ < $tseg)) && !$perm_wal{"$tl/$_"} } @{ $state->{wal} };
        info('Start delete');
        for my $b (@gone_backups) {
            info("Object marked for deletion: basebackups_005/$b->{backup_name}/metadata.json storage=default");
            info("Object marked for deletion: basebackups_005/$b->{backup_name}_backup_stop_sentinel.json storage=default");
        }
        if (my $extra = $ENV{FAKE_WALG_DRYRUN_EXTRA}) {
            info("Object marked for deletion: basebackups_005/${extra}_backup_stop_sentinel.json storage=default") unless $confirm;
        }
        info('Object marked for deletion: wal_005/' . wal_name($tl, $_) . '.br storage=default') for @gone_wal;
        my $count = 2 * @gone_backups + @gone_wal;
        if (!$count) {
            info('No objects matched the deletion criteria.');
        } elsif ($confirm && $ENV{FAKE_WALG_DELETE_REFUSED}) {
            info("Objects deleted successfully: count=$count");
        } elsif ($confirm) {
            my %gb = map { $_->{backup_name} => 1 } @gone_backups;
            my %gw = map { $_ => 1 } @gone_wal;
            $state->{backups} = [grep { !$gb{ $_->{backup_name} } } @{ $state->{backups} }];
            $state->{wal} = [grep { !$gw{$_} } @{ $state->{wal} }];
            info("Objects deleted successfully: count=$count");
        } else {
            info("Dry run: objects would be deleted count=$count, Run with --confirm to execute");
        }
        save();
        return;
    }

    if ($cmd eq 'st') {
        fatal("fake: only 'st ls wal_005/' is modelled, got '@args'") unless "@args" eq 'st ls wal_005/';
        my $tl = $state->{timeline} // 1;
        print "type size last modified                           name\n";
        printf "obj  100  2025-01-01 00:00:00.000000000 +0000 UTC %s.br\n", wal_name($tl, $_) for sort { $a <=> $b } @{ $state->{wal} };
        save();
        return;
    }

    fatal("fake: command '@args' is not modelled");
}

if (@ARGV && $ARGV[0] eq '--batch') {
    while (my $line = <STDIN>) {
        my @a = split ' ', $line;
        run(@a) if @a;
    }
} else {
    run(@ARGV);
}
