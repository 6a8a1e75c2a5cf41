#!/usr/bin/perl
# walg-daemon-client.pl: one request to a running `wal-g daemon SOCKET` (WAL-G 3.0.9 serves wal-push
# and wal-fetch over a unix socket but ships no client we install). restore.sh starts the daemon for
# the replay and sets
#   restore_command = 'perl /ternent/scripts/walg-daemon-client.pl SOCKET f %f %p'
# so one WAL-G process serves every segment of the recovery instead of one `wal-g wal-fetch` process
# (and its start, configuration and TLS handshake) per segment.
#
# Protocol (WAL-G's internal/databases/postgres/daemon_handler.go): a message is a type byte, a
# big-endian uint16 length that counts these 3 bytes, and a body; wal-push ('F') sends the file name,
# wal-fetch ('f') an argument count byte and each argument as uint16 length + bytes. The daemon answers
# one byte: 'O' done, 'N' the file is not in the archive, 'E' any other error.
#
# Arguments: SOCKET f FILE DEST (wal-fetch) | SOCKET F FILE (wal-push, bench only)
# Output (stderr, into the PostgreSQL log): the same lines as restore-command.sh, which restore.sh
#   reads: "restore-command: not in archive: <file>" or "restore-command: FATAL ...".
# Exit codes (restore-command.sh's contract): 0 done; 1 not in the archive (PostgreSQL ends recovery
#   there); 126 for wal-fetch on any error, bad usage or an unreachable daemon (fatal on purpose:
#   recovery must not end early on a transient error); 1 for wal-push errors (archive_command retries).
use strict;
use warnings;
use IO::Socket::UNIX;

my ($sock, $type, @args) = @ARGV;
$type //= '';
my $fail = $type eq 'F' ? 1 : 126;
my $want = $type eq 'f' ? 2 : $type eq 'F' ? 1 : -1;
if (!defined $sock || $want < 0 || @args != $want || grep { $_ eq '' } @args) {
    print STDERR "restore-command: FATAL usage: walg-daemon-client.pl SOCKET f FILE DEST | SOCKET F FILE\n";
    exit $fail;
}
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $sock)
    or do { print STDERR "restore-command: FATAL cannot connect to wal-g daemon at $sock: $!\n"; exit $fail };
my $body = $type eq 'F' ? $args[0] : pack('C', scalar @args) . join('', map { pack('n', length $_) . $_ } @args);
print {$s} $type . pack('n', length($body) + 3) . $body
    or do { print STDERR "restore-command: FATAL cannot write to wal-g daemon at $sock: $!\n"; exit $fail };
my $answer = '';
my $n = sysread($s, $answer, 1);
exit 0 if defined $n && $answer eq 'O';
if (defined $n && $answer eq 'N') {
    print STDERR "restore-command: not in archive: $args[0]\n";
    exit 1;
}
my $what = !defined $n ? "read failed: $!" : $n == 0 ? 'closed the connection without an answer' : "answered '$answer'";
print STDERR "restore-command: FATAL wal-g daemon $what for " . ($type eq 'f' ? 'wal-fetch' : 'wal-push') . " @args\n";
exit $fail;
