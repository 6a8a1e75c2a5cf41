#!/bin/bash
# retention.sh: grandfather-father-son retention of the WAL-G backups of one prefix (run by the
# retention CronJob, read-write key, no PVC).
#
# Lists the backups, lets plan.pl retention decide (see its header for the rules: keep the M newest,
# the N newest weeklies as permanent backups, and a base backup finished at or before now - P days
# with all WAL after it), logs the plan, runs WAL-G's dry-run of the delete and logs it, checks that
# WAL-G would delete nothing the plan keeps, then marks new weeklies permanent, unmarks weeklies that
# fell out of the N newest, runs `wal-g delete before <name> --confirm` and lists backups and WAL
# again to verify.
# Never uses time-based `delete before <time>` nor `delete target`.
#
# Inputs (environment):
#   WALG_S3_PREFIX, AWS_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
#   AWS_S3_FORCE_PATH_STYLE, WALG_LIBSODIUM_KEY, WALG_LIBSODIUM_KEY_TRANSFORM   WAL-G storage (contract)
#   TERNENT_RETAIN_DAILY   M, newest backups always kept (integer >= 1, default 7)
#   TERNENT_RETAIN_WEEKLY  N, newest weekly backups kept as permanent (integer >= 0, default 4)
#   TERNENT_PITR_DAYS      P, days of point-in-time recovery kept (integer >= 0, default 7)
#   TERNENT_WEEKLY_DAY     day a week starts and its weekly is taken: sunday..saturday (default sunday)
#   TERNENT_RETENTION_DRY_RUN  true: log the plan and WAL-G's dry run, change nothing (default false)
#   TERNENT_BIN            directory holding wal-g (default /ternent/bin)
#   TERNENT_SCRIPTS        directory holding plan.pl (default /ternent/scripts)
#   TERNENT_RETENTION_NOW  RFC 3339 time used as "now" (tests only; default: the clock)
#
# Output: one JSON line on stdout (event "retention", status ok|dry-run|refused|failed, the plan);
# people-readable log and WAL-G's own log on stderr.
# Exit codes: 0 done (or dry run), 1 WAL-G failed or the result did not verify (a kept backup gone,
#             or a deleted backup or WAL object still listed: WAL-G exits 0 even when S3 refuses the
#             deletes), 2 bad configuration,
#             3 refused (fewer than M backups, inconsistent listing, or WAL-G would delete a kept backup).
set -euo pipefail

log() { printf 'retention: %s\n' "$*" >&2; }

json_string() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/ }
    printf '"%s"' "$s"
}

json_array() {
    local out="" sep="" x
    for x in "$@"; do
        out+="$sep$(json_string "$x")"
        sep=","
    done
    printf '[%s]' "$out"
}

plan='null'
dry_run=false
would_delete=()
marked=()
unmarked=()
deleted=()
deleted_wal=0

result() {
    local status=$1 message=$2
    printf '{"event":"retention","status":"%s","dryRun":%s,"message":%s,"walgWouldDelete":%s,"marked":%s,"unmarked":%s,"deleted":%s,"deletedWal":%s,"plan":%s}\n' \
        "$status" "$dry_run" "$(json_string "$message")" \
        "$(json_array ${would_delete[@]+"${would_delete[@]}"})" "$(json_array ${marked[@]+"${marked[@]}"})" \
        "$(json_array ${unmarked[@]+"${unmarked[@]}"})" "$(json_array ${deleted[@]+"${deleted[@]}"})" "$deleted_wal" "$plan"
}

bad_config() {
    log "bad configuration: $1"
    result failed "bad configuration: $1"
    exit 2
}

fail() {
    log "FAILED: $1"
    result failed "$1"
    exit 1
}

refuse() {
    {
        echo "retention: ================================================================"
        echo "retention: REFUSED: $1"
        echo "retention: nothing was deleted, marked or unmarked."
        echo "retention: next: check the backup CronJob (kubectl -n backend get jobs,cronjobs) and"
        echo "retention:       'wal-g backup-list --detail'; see FAILURE_RUNBOOK.md, 'Retention refused'."
        echo "retention: ================================================================"
    } >&2
    result refused "$1"
    exit 3
}

# ---- configuration ----
daily=${TERNENT_RETAIN_DAILY:-7}
weekly=${TERNENT_RETAIN_WEEKLY:-4}
pitr_days=${TERNENT_PITR_DAYS:-7}
weekly_day=${TERNENT_WEEKLY_DAY:-sunday}
dry_run_value=${TERNENT_RETENTION_DRY_RUN:-false}
bin=${TERNENT_BIN:-/ternent/bin}
scripts=${TERNENT_SCRIPTS:-/ternent/scripts}

[[ $daily =~ ^[0-9]+$ && $daily -ge 1 ]] || bad_config "TERNENT_RETAIN_DAILY='$daily' must be an integer >= 1"
[[ $weekly =~ ^[0-9]+$ ]] || bad_config "TERNENT_RETAIN_WEEKLY='$weekly' must be an integer >= 0"
[[ $pitr_days =~ ^[0-9]+$ ]] || bad_config "TERNENT_PITR_DAYS='$pitr_days' must be an integer >= 0"
case $weekly_day in
    sunday | monday | tuesday | wednesday | thursday | friday | saturday) ;;
    *) bad_config "TERNENT_WEEKLY_DAY='$weekly_day' must be one of sunday, monday, tuesday, wednesday, thursday, friday, saturday" ;;
esac
case $dry_run_value in
    true | false) dry_run=$dry_run_value ;;
    *) bad_config "TERNENT_RETENTION_DRY_RUN='$dry_run_value' must be true or false" ;;
esac
[[ -n ${WALG_S3_PREFIX:-} ]] || bad_config "WALG_S3_PREFIX is not set"
now=${TERNENT_RETENTION_NOW:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
walg="$bin/wal-g"
[[ -x $walg ]] || fail "wal-g not found or not executable at $walg"
[[ -r $scripts/plan.pl ]] || fail "plan.pl not found in $scripts"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Reads the plan's fields into shell variables (one perl start: this runs daily and in long simulations).
to_mark=() to_unmark=() to_delete=() to_keep=() dry_args=() confirm_args=() warnings=()
keep_from='' keep_from_reason='' refusal=''
read_plan() {
    local key value
    while IFS=$'\t' read -r key value; do
        case $key in
            mark) to_mark+=("$value") ;;
            unmark) to_unmark+=("$value") ;;
            delete) to_delete+=("$value") ;;
            keep) to_keep+=("$value") ;;
            deleteDryRunArgs) dry_args+=("$value") ;;
            deleteArgs) confirm_args+=("$value") ;;
            warnings) warnings+=("$value") ;;
            keepFrom) keep_from=$value ;;
            keepFromReason) keep_from_reason=$value ;;
            reason) refusal=$value ;;
        esac
    done < <(printf '%s' "$plan" | perl -MJSON::PP -e '
        my $p = JSON::PP->new->decode(do { local $/; <STDIN> });
        for my $k (sort keys %$p) {
            my $v = $p->{$k};
            next if ref $v eq "HASH" || !defined $v;
            print map { "$k\t" . s/[\t\n]/ /gr . "\n" } ref $v eq "ARRAY" ? @$v : ($v);
        }')
}

# Copies a WAL-G log to stderr, condensing its one line per WAL object, and prints on stdout the
# names of the backups it marks for deletion; with a second argument, writes there the names of the
# WAL objects it marks for deletion (as `wal-g st ls wal_005/` prints them).
show_walg_log() {
    awk -v walfile="${2:-/dev/null}" '
        /Object marked for deletion: wal_005\// {
            n++; w = $0; sub(/.*wal_005\//, "", w); sub(/[ \t].*/, "", w)
            print w > walfile
            sub(/\..*/, "", w)
            if (n == 1) first = w
            last = w
            next
        }
        { print "retention: wal-g: " $0 > "/dev/stderr" }
        /Object marked for deletion: basebackups_005\/base_/ {
            b = $0; sub(/.*basebackups_005\//, "", b); b = substr(b, 1, 29)
            if (b ~ /^base_[0-9A-F]+$/ && length(b) == 29 && !(b in seen)) { seen[b] = 1; print b }
        }
        END { if (n) printf "retention: wal-g: (%d WAL objects marked for deletion, %s .. %s)\n", n, first, last > "/dev/stderr" }
    ' "$1"
}

list_backups() {
    if ! "$walg" backup-list --detail --json >"$1" 2>"$work/list.err"; then
        sed 's/^/retention: wal-g: /' "$work/list.err" >&2
        fail "wal-g backup-list failed"
    fi
}

# ---- plan ----
log "prefix $WALG_S3_PREFIX, now $now, keep daily=$daily weekly=$weekly (on $weekly_day) pitrDays=$pitr_days, dryRun=$dry_run"
list_backups "$work/list.json"
set +e
plan=$(perl "$scripts/plan.pl" retention --now "$now" --daily "$daily" --weekly "$weekly" \
    --pitr-days "$pitr_days" --weekly-day "$weekly_day" "$work/list.json")
rc=$?
set -e
[[ $rc == 0 || $rc == 3 ]] && read_plan
case $rc in
    0) ;;
    3) refuse "$refusal" ;;
    2) plan='null'; bad_config "plan.pl retention rejected its arguments (see above)" ;;
    *) plan='null'; fail "plan.pl retention exited $rc" ;;
esac
[[ -n $plan ]] || fail "plan.pl retention printed no plan"
log "plan: $plan"
for w in ${warnings[@]+"${warnings[@]}"}; do log "warning: $w"; done
log "keep ${#to_keep[@]} backup(s) from $keep_from ($keep_from_reason); delete ${#to_delete[@]}; mark ${#to_mark[@]}; unmark ${#to_unmark[@]}"

# ---- WAL-G's dry run, checked against the plan ----
log "dry run: wal-g ${dry_args[*]}"
if ! "$walg" "${dry_args[@]}" >"$work/dry.log" 2>&1; then
    show_walg_log "$work/dry.log" >/dev/null
    fail "wal-g ${dry_args[*]} (dry run) failed"
fi
mapfile -t would_delete < <(show_walg_log "$work/dry.log")

declare -A listed=() allowed=()
for b in ${to_keep[@]+"${to_keep[@]}"} ${to_delete[@]+"${to_delete[@]}"}; do listed[$b]=1; done
# Before marking, WAL-G may still list the new weeklies: they are protected before the real delete.
for b in ${to_delete[@]+"${to_delete[@]}"} ${to_mark[@]+"${to_mark[@]}"}; do allowed[$b]=1; done
for b in ${would_delete[@]+"${would_delete[@]}"}; do
    if [[ -z ${listed[$b]:-} ]]; then
        log "dry run also removes leftovers of unfinished backup $b (no sentinel, never restorable)"
    elif [[ -z ${allowed[$b]:-} ]]; then
        refuse "WAL-G's dry run would delete $b, which the plan keeps; WAL-G's ordering disagrees with the plan"
    fi
done

if [[ $dry_run == true ]]; then
    log "dry run only (TERNENT_RETENTION_DRY_RUN=true): nothing marked, unmarked or deleted"
    result dry-run "dry run: would mark ${#to_mark[@]}, unmark ${#to_unmark[@]}, delete ${#to_delete[@]} backup(s)"
    exit 0
fi

# ---- apply: protect first, then release, then delete ----
for b in ${to_mark[@]+"${to_mark[@]}"}; do
    log "marking weekly $b permanent"
    "$walg" backup-mark "$b" 2>&1 | sed 's/^/retention: wal-g: /' >&2 || fail "wal-g backup-mark $b failed"
    marked+=("$b")
done
for b in ${to_unmark[@]+"${to_unmark[@]}"}; do
    log "unmarking $b (older than the $weekly newest weeklies)"
    "$walg" backup-mark -i "$b" 2>&1 | sed 's/^/retention: wal-g: /' >&2 || fail "wal-g backup-mark -i $b failed"
    unmarked+=("$b")
done
log "deleting: wal-g ${confirm_args[*]}"
if ! "$walg" "${confirm_args[@]}" >"$work/delete.log" 2>&1; then
    show_walg_log "$work/delete.log" >/dev/null
    fail "wal-g ${confirm_args[*]} failed"
fi
show_walg_log "$work/delete.log" "$work/wal-planned" >/dev/null

# ---- verify: every kept backup still listed, every deleted backup and WAL object gone ----
list_backups "$work/after.json"
mapfile -t after < <(perl -MJSON::PP -e '
    my $l = JSON::PP->new->decode(do { local $/; <STDIN> } || "[]");
    print map { "$_->{backup_name}\n" } @$l;' <"$work/after.json")
declare -A present=()
for b in ${after[@]+"${after[@]}"}; do present[$b]=1; done
for b in ${to_keep[@]+"${to_keep[@]}"}; do
    [[ -n ${present[$b]:-} ]] || fail "backup $b should have been kept but is no longer listed"
done
still=()
for b in ${to_delete[@]+"${to_delete[@]}"}; do
    if [[ -n ${present[$b]:-} ]]; then still+=("$b"); else deleted+=("$b"); fi
done
# WAL-G 3.0.9 ignores the per-object errors of S3 DeleteObjects: a key without delete permission
# (or any refused delete) still logs "Objects deleted successfully" and exits 0.
if ((${#still[@]})); then
    fail "wal-g reported success but ${#still[@]} backup(s) planned for deletion are still listed (${still[*]}): S3 refused the deletes? Check that the key is read-write"
fi
# The same for WAL: a plan that deletes no backup may still delete WAL before the oldest kept one.
wal_planned=0 wal_still=0
if [[ -s $work/wal-planned ]]; then
    if ! "$walg" st ls wal_005/ >"$work/wal-after" 2>"$work/ls.err"; then
        sed 's/^/retention: wal-g: /' "$work/ls.err" >&2
        fail "wal-g st ls wal_005/ failed: cannot verify the deletion of WAL"
    fi
    sort -u "$work/wal-planned" >"$work/wal-planned.sorted"
    awk '$1 == "obj" { print $NF }' "$work/wal-after" | sort -u >"$work/wal-after.sorted"
    wal_planned=$(wc -l <"$work/wal-planned.sorted")
    wal_still=$(comm -12 "$work/wal-planned.sorted" "$work/wal-after.sorted" | wc -l)
fi
deleted_wal=$((wal_planned - wal_still))
if ((wal_still)); then
    fail "wal-g reported success but $wal_still of $wal_planned WAL object(s) planned for deletion are still listed (first: $(comm -12 "$work/wal-planned.sorted" "$work/wal-after.sorted" | head -n 1)): S3 refused the deletes? Check that the key is read-write"
fi
log "done: marked ${#marked[@]}, unmarked ${#unmarked[@]}, deleted ${#deleted[@]} backup(s) and $deleted_wal WAL object(s), ${#after[@]} backup(s) remain"
result ok "kept ${#after[@]} backup(s), deleted ${#deleted[@]} backup(s) and $deleted_wal WAL object(s)"
