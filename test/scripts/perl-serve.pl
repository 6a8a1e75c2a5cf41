#!/usr/bin/perl
# Test helper: runs Perl scripts many times without starting a perl per run. Reads one JSON request per
# line on stdin ({"argv": [SCRIPT, ARGS…], "stdin": TEXT, "env": {NAME: VALUE}}), runs SCRIPT in a forked
# child (fresh @ARGV, %ENV additions, STDIN from TEXT, STDOUT/STDERR captured, exit code kept), and
# writes one JSON line back: {"code": N, "stdout": TEXT, "stderr": TEXT}. The modules the scripts use
# are loaded once here, so a run costs a fork and a compile instead of a perl start-up.
use strict;
use warnings;
use JSON::PP ();
use POSIX ();
use Time::Local ();
use File::Temp qw(tempfile);

my $json = JSON::PP->new->canonical(1);
$| = 1;
while (my $line = <STDIN>) {
    next unless $line =~ /\S/;
    my $req = $json->decode($line);
    my ($script, @args) = @{ $req->{argv} };
    my ($outfh, $outfile) = tempfile(UNLINK => 1);
    my ($errfh, $errfile) = tempfile(UNLINK => 1);
    my ($infh, $infile) = tempfile(UNLINK => 1);
    print $infh ($req->{stdin} // '');
    close $infh;
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        open(STDIN, '<', $infile) or die;
        open(STDOUT, '>&', $outfh) or die;
        open(STDERR, '>&', $errfh) or die;
        $ENV{$_} = $req->{env}{$_} for keys %{ $req->{env} // {} };
        @ARGV = @args;
        $0 = $script;
        do $script;
        if ($@) { print STDERR $@; POSIX::_exit(255); }
        close STDOUT; close STDERR;
        POSIX::_exit(0);
    }
    waitpid($pid, 0);
    my $code = $? & 127 ? 128 + ($? & 127) : $? >> 8;
    my $read = sub { open(my $fh, '<', $_[0]) or return ''; local $/; my $s = <$fh>; $s // '' };
    print $json->encode({ code => $code, stdout => $read->($outfile), stderr => $read->($errfile) }), "\n";
    close $outfh; close $errfh;
    unlink $outfile, $errfile, $infile;
}
