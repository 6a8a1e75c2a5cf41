#!/usr/bin/env bash
# restore-command.sh: PostgreSQL restore_command; fetches one WAL/history file with `wal-g wal-fetch`
# and maps its exit code so that a transient storage error can never end recovery early.
#   postgresql.conf / restore.sh: restore_command = '/ternent/scripts/restore-command.sh %f %p'
#
# PostgreSQL treats exit codes 1..125 as "file not in the archive" (recovery ends there, quietly
# when no target is set) and a signal or an exit > 125 as fatal (the startup process stops).
# wal-g wal-fetch exits 74 when the file does not exist and 1 on any other error.
#
# Arguments: $1 = %f (file name), $2 = %p (destination path)
# Inputs (environment): TERNENT_BIN (directory holding wal-g, default /ternent/bin), TERNENT_SCRIPTS,
#   WALG_DOWNLOAD_CONCURRENCY; WALG_S3_PREFIX, AWS_*, WALG_LIBSODIUM_KEY* from the environment (drills,
#   restore Job) or, when TERNENT_WALG_ENV_FILE is set (the primary), from that file (walg-secret.sh).
# Output (stderr, into the PostgreSQL log): "restore-command: not in archive: <file>" for a missing file
#   (restore.sh reads this line to name a missing segment) or "restore-command: FATAL ..." otherwise.
# Exit codes: 0 fetched; 1 not in the archive (normal: PostgreSQL probes for files that do not exist);
#   126 bad usage, an unreadable TERNENT_WALG_ENV_FILE, or wal-fetch failed for any other reason (fatal on purpose: recovery must not end
#   early on a transient error; PostgreSQL stops and the drill/restore fails loudly).
set -euo pipefail

if [ "$#" -ne 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
    echo "restore-command: FATAL usage: restore-command.sh %f %p (got $# arguments)" >&2
    exit 126
fi
file=$1
dest=$2
if [ -n "${TERNENT_WALG_ENV_FILE:-}" ]; then
    if [ ! -r "$TERNENT_WALG_ENV_FILE" ]; then
        echo "restore-command: FATAL TERNENT_WALG_ENV_FILE=$TERNENT_WALG_ENV_FILE cannot be read; stopping recovery instead of ending it early" >&2
        exit 126
    fi
    # shellcheck source=common.sh source-path=SCRIPTDIR
    . "${TERNENT_SCRIPTS:-/ternent/scripts}/common.sh"
    load_walg_env
fi

rc=0
"${TERNENT_BIN:-/ternent/bin}/wal-g" wal-fetch "$file" "$dest" || rc=$?
case "$rc" in
    0) exit 0 ;;
    74)
        echo "restore-command: not in archive: $file" >&2
        exit 1
        ;;
    *)
        echo "restore-command: FATAL wal-fetch $file exited $rc (storage or configuration error); stopping recovery instead of ending it early" >&2
        exit 126
        ;;
esac
