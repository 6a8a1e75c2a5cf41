# shellcheck shell=bash
# common.sh: helpers sourced by the bash scripts (not run on its own).
#   . "${TERNENT_SCRIPTS:-/ternent/scripts}/common.sh"
# Provides: log, die, require_env, walg, plan, json_line, pg_query, wait_for_postgres, now_utc, now_ms,
#   seconds_since, check_generation, check_generation_sql, load_walg_env; for the drills: drill_scratch, drill_restore.
# Inputs (environment): TERNENT_BIN (wal-g directory, default /ternent/bin),
#   TERNENT_SCRIPTS (scripts directory, default /ternent/scripts), PG* for pg_query,
#   TERNENT_DATA_GENERATION for check_generation, TERNENT_WALG_ENV_FILE for load_walg_env.

TERNENT_BIN=${TERNENT_BIN:-/ternent/bin}
TERNENT_SCRIPTS=${TERNENT_SCRIPTS:-/ternent/scripts}
SCRIPT_NAME=${SCRIPT_NAME:-$(basename "$0" .sh)}

# Text for people, on stderr.
log() { printf '%s %s: %s\n' "$(date -u +%H:%M:%SZ)" "$SCRIPT_NAME" "$*" >&2; }

# die CODE MESSAGE: log and exit with CODE (1 failure, 2 bad input/config, 3 refused).
die() {
    local code=$1
    shift
    log "ERROR: $*"
    exit "$code"
}

# require_env VAR...: exit 2 naming the first variable that is unset or empty.
require_env() {
    local v
    for v in "$@"; do
        [ -n "${!v:-}" ] || die 2 "$v is required (see the header of $SCRIPT_NAME.sh)"
    done
}

walg() { "$TERNENT_BIN/wal-g" "$@"; }

# load_walg_env: export the WAL-G storage settings from TERNENT_WALG_ENV_FILE (KEY=value lines written
# by walg-secret.sh; only WALG_*, AWS_* and TERNENT_DATA_GENERATION are taken, nothing is evaluated).
# The primary's archive and restore commands get the Spaces keys this way, never from the postmaster's
# environment. Without TERNENT_WALG_ENV_FILE (jobs with the Secret in their env) it does nothing.
load_walg_env() {
    [ -n "${TERNENT_WALG_ENV_FILE:-}" ] || return 0
    [ -r "$TERNENT_WALG_ENV_FILE" ] || die 2 "TERNENT_WALG_ENV_FILE=$TERNENT_WALG_ENV_FILE cannot be read (written by walg-secret.sh at pod start)"
    local line key
    while IFS= read -r line || [ -n "$line" ]; do
        key=${line%%=*}
        [[ "$key" =~ ^(WALG_[A-Z0-9_]+|AWS_[A-Z0-9_]+|TERNENT_DATA_GENERATION)$ ]] || continue
        export "$key=${line#*=}"
    done <"$TERNENT_WALG_ENV_FILE"
}

# check_generation DATADIR: refuse (exit 3) to write a data directory into a prefix of another data
# generation. The directory's generation is in DATADIR/ternent-generation (written by restore.sh into
# every restored generation; absent means 0); the prefix's is TERNENT_DATA_GENERATION, which the WAL-G
# Secret carries next to WALG_S3_PREFIX. Without TERNENT_DATA_GENERATION there is nothing to compare.
check_generation() {
    [ -n "${TERNENT_DATA_GENERATION:-}" ] || return 0
    local have=0
    if [ -f "$1/ternent-generation" ]; then
        have=$(tr -d '[:space:]' <"$1/ternent-generation")
    fi
    generation_must_be "$have" "$1"
}

# check_generation_sql: check_generation for a backup over the replication protocol, which has no data
# directory to look into: the server reads its own ternent-generation file (pg_read_file, superuser).
check_generation_sql() {
    [ -n "${TERNENT_DATA_GENERATION:-}" ] || return 0
    local have
    have=$(pg_query "SELECT coalesce(pg_read_file('ternent-generation', 0, 64, true), '0')") \
        || die 1 "cannot read the data directory's generation (pg_read_file('ternent-generation') as $PGUSER)"
    generation_must_be "$(printf '%s' "$have" | tr -d '[:space:]')" "the data directory of $PGHOST"
}

# generation_must_be HAVE WHERE: exit 3 unless HAVE is TERNENT_DATA_GENERATION.
generation_must_be() {
    [ "$1" = "$TERNENT_DATA_GENERATION" ] || die 3 "$2 holds data generation $1 but $WALG_S3_PREFIX belongs to generation" \
        "$TERNENT_DATA_GENERATION: refusing to mix their histories (the Secret changed before the pod; rerun once the rollout is done)"
}

# The decisions that need no database (plan.pl).
plan() { perl "$TERNENT_SCRIPTS/plan.pl" "$@"; }

# json_line key=string key:=<raw JSON> ...: one JSON object on stdout, keys in the given order.
# A raw value that is empty becomes null; an invalid raw value is a bug and fails.
json_line() {
    perl -MJSON::PP -e '
        my $j = JSON::PP->new->allow_nonref->canonical;
        my @parts;
        for my $arg (@ARGV) {
            my ($k, $raw, $v) = $arg =~ /^([^=:]+)(:?)=(.*)$/s or die "json_line: bad argument $arg\n";
            my $val = !$raw ? $j->encode($v) : $v eq "" ? "null" : $j->encode($j->decode($v));
            push @parts, $j->encode($k) . ":" . $val;
        }
        print "{" . join(",", @parts) . "}\n";
    ' -- "$@"
}

# pg_query SQL [psql options]: unaligned, tuples only, stops at the first error.
pg_query() {
    local sql=$1
    shift
    psql -X -q -A -t -v ON_ERROR_STOP=1 "$@" -c "$sql"
}

# wait_for_postgres SECONDS [pg_isready options]: until the server accepts connections.
wait_for_postgres() {
    local deadline=$((SECONDS + $1))
    shift
    until pg_isready -q "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 1
    done
}

now_utc() { date -u +%Y-%m-%dT%H:%M:%SZ; }
now_ms() { date +%s%3N; }
# seconds_since MS: seconds (3 decimals) elapsed since a now_ms value.
seconds_since() { perl -e 'printf "%.3f", ($ARGV[1] - $ARGV[0]) / 1000' "$1" "$(now_ms)"; }

# drill_scratch PREFIX: a fresh scratch directory under TERNENT_WORKDIR in $work; on exit the server
# restored into it is stopped and the directory removed (TERNENT_DRILL_KEEP=true keeps it).
drill_scratch() {
    local base=${TERNENT_WORKDIR:-/ternent/work}
    mkdir -p "$base"
    work=$(mktemp -d "$base/$1.XXXXXX")
    trap 'pg_ctl -D "$work/pgdata" stop -m fast -w -s >/dev/null 2>&1 || true
        [ "${TERNENT_DRILL_KEEP:-false}" = true ] || rm -rf "$work"' EXIT
}

# drill_restore TARGET: restore.sh into $work/pgdata with the server left running, then
# smoke-checks.sh on it. Sets restore_json, restore_rc, restore_status (pass|fail), smoke_json and
# rto (seconds since $t0 until the smoke checks ran). Exits 2 when restore.sh rejects its input.
# shellcheck disable=SC2034,SC2154 # sets results for the calling drill, reads its $t0
drill_restore() {
    restore_rc=0
    restore_json=$(TERNENT_WORKDIR=$work PGDATA=$work/pgdata TERNENT_RESTORE_TARGET=$1 \
        TERNENT_RESTORE_KEEP_RUNNING=true "$TERNENT_SCRIPTS/restore.sh") || restore_rc=$?
    [ "$restore_rc" -ne 2 ] || die 2 "restore.sh rejected its input: $restore_json"
    restore_status=fail
    smoke_json='{"ok":false,"checks":{}}'
    rto=""
    if [ "$restore_rc" -eq 0 ]; then
        restore_status=pass
        smoke_json=$(PGHOST=$work/sock PGPORT=5432 "$TERNENT_SCRIPTS/smoke-checks.sh") || true
        rto=$(seconds_since "$t0")
    fi
}
