#!/usr/bin/env bash
# verdict.sh: run one job script (a drill or verify) unchanged and keep its verdict for alert.sh, the
# alerting sidecar of the same pod: the last JSON line the script printed on stdout goes to
# $TERNENT_VERDICT_DIR/verdict.json and its exit code to $TERNENT_VERDICT_DIR/exit-code (written last
# and atomically: alert.sh posts once that file exists). The script's stdout and stderr pass through as
# they are, and verdict.sh exits with the script's own exit code: alerting can never change a verdict.
# When the verdict directory cannot be written, the script runs anyway (without a kept verdict).
#
# Usage: verdict.sh SCRIPT [ARGS...]   e.g. verdict.sh /ternent/scripts/restore-drill.sh
# Inputs (environment): TERNENT_VERDICT_DIR (default /ternent/verdict); everything else is the script's.
# Output: the script's; a short note on stderr when no verdict line was found.
# Exit codes: the script's; 2 bad usage.
set -euo pipefail

log() { printf '%s verdict: %s\n' "$(date -u +%H:%M:%SZ)" "$*" >&2; }

if [ "$#" -lt 1 ] || [ -z "$1" ]; then
    log "usage: verdict.sh SCRIPT [ARGS...]"
    exit 2
fi
dir=${TERNENT_VERDICT_DIR:-/ternent/verdict}
if ! mkdir -p "$dir" 2>/dev/null || ! : >"$dir/stdout" 2>/dev/null; then
    log "cannot write $dir: running $1 without keeping its verdict (no alert will carry it)"
    exec "$@"
fi
rm -f "$dir/exit-code" "$dir/verdict.json"

# The job scripts print one JSON line and nothing else on stdout, so it is kept whole and shown after.
rc=0
"$@" >"$dir/stdout" || rc=$?
cat "$dir/stdout" || true
grep '^[[:space:]]*{' "$dir/stdout" | tail -n 1 >"$dir/verdict.json" || true
[ -s "$dir/verdict.json" ] || log "$1 printed no JSON verdict line (exit code $rc)"
{ printf '%s\n' "$rc" >"$dir/exit-code.tmp" && mv -f "$dir/exit-code.tmp" "$dir/exit-code"; } \
    || log "cannot write $dir/exit-code: the alert sidecar will report a job without a verdict"
exit "$rc"
