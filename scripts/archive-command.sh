#!/usr/bin/env bash
# archive-command.sh: PostgreSQL archive_command; ships one WAL file with `wal-g wal-push`.
#   postgresql.conf: archive_command = '/ternent/scripts/archive-command.sh %p'
#
# Arguments: $1 = %p (path of the WAL file relative to the data directory; PostgreSQL runs it there)
# Inputs (environment of the postmaster): TERNENT_BIN (directory holding wal-g, default /ternent/bin),
#   WALG_S3_PREFIX, AWS_*, WALG_LIBSODIUM_KEY*, WALG_COMPRESSION_METHOD, WALG_UPLOAD_CONCURRENCY.
# Exit codes: 0 archived (PostgreSQL may recycle the file); anything else: not archived, PostgreSQL
#   keeps the file and retries (pg_stat_archiver.failed_count grows; verify.sh reports it); 2 bad usage.
set -euo pipefail

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
    echo "archive-command: usage: archive-command.sh %p" >&2
    exit 2
fi
exec "${TERNENT_BIN:-/ternent/bin}/wal-g" wal-push "$1"
