#!/usr/bin/env bash
# archive-command.sh: PostgreSQL archive_command; ships one WAL file with `wal-g wal-push`.
#   postgresql.conf: archive_command = '/ternent/scripts/archive-command.sh %p'
#
# Arguments: $1 = %p (path of the WAL file relative to the data directory; PostgreSQL runs it there)
# Inputs (environment of the postmaster): TERNENT_BIN (directory holding wal-g, default /ternent/bin),
#   TERNENT_SCRIPTS, WALG_COMPRESSION_METHOD, WALG_UPLOAD_CONCURRENCY;
#   TERNENT_WALG_ENV_FILE: the file walg-secret.sh wrote from the WAL-G Secret (the StatefulSet): the
#   storage settings below are read from it, so the postmaster's environment never holds the keys;
#   without it they come from the environment (lab, older pods):
#   WALG_S3_PREFIX, AWS_*, WALG_LIBSODIUM_KEY*;
#   TERNENT_DATA_GENERATION (from the WAL-G Secret): the generation WALG_S3_PREFIX belongs to; nothing
#   is archived unless the data directory (PostgreSQL runs this in it) holds that generation, in its
#   file ternent-generation (written by restore.sh; absent means 0).
# Exit codes: 0 archived (PostgreSQL may recycle the file); anything else: not archived, PostgreSQL
#   keeps the file and retries (pg_stat_archiver.failed_count grows; verify.sh reports it); 2 bad usage
#   or an unreadable TERNENT_WALG_ENV_FILE; 3 refused: the data directory belongs to another generation than the prefix.
set -euo pipefail

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
    echo "archive-command: usage: archive-command.sh %p" >&2
    exit 2
fi
if [ -n "${TERNENT_WALG_ENV_FILE:-}" ]; then
    # shellcheck source=common.sh source-path=SCRIPTDIR
    . "${TERNENT_SCRIPTS:-/ternent/scripts}/common.sh"
    load_walg_env
fi
if [ -n "${TERNENT_DATA_GENERATION:-}" ]; then
    have=0
    [ -f ternent-generation ] && have=$(tr -d '[:space:]' <ternent-generation)
    if [ "$have" != "$TERNENT_DATA_GENERATION" ]; then
        echo "archive-command: refusing: this data directory holds generation $have but ${WALG_S3_PREFIX:-the prefix} belongs to generation $TERNENT_DATA_GENERATION (WAL stays in pg_wal until they agree)" >&2
        exit 3
    fi
fi
exec "${TERNENT_BIN:-/ternent/bin}/wal-g" wal-push "$1"
