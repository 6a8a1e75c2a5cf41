#!/bin/sh
# alert.sh: post a job's one-line JSON verdict to a Slack-compatible webhook (config alerts.webhookUrl):
# always when the job failed, when it succeeded only with TERNENT_ALERT_ON_SUCCESS=true. Runs as the
# alerting sidecar of the drill and verify pods (an init container with restartPolicy Always, image
# walg.installerImage: busybox sh + curl; the postgres image has no HTTPS client). It waits until
# verdict.sh, in the job's container, has written the exit code, or until the kubelet stops it (SIGTERM
# after the job's container ended, or when the pod is killed: deadline, eviction, a failed init
# container); a job that ended without an exit code is posted as a failure without a verdict.
# It cannot change the job's result: that is the other container's exit code, and the kubelet ignores a
# sidecar's. A webhook that is down, slow or refusing is logged and reported here, nothing more.
# POSIX sh (busybox): the webhook URL is a credential, so it is handed to curl on stdin, never on its
# command line, and never printed.
#
# Inputs (environment):
#   TERNENT_ALERT_WEBHOOK_URL      https:// (or http://) URL; unset or empty: nothing is posted
#   TERNENT_ALERT_ON_SUCCESS       true | false (default): also post passing verdicts
#   TERNENT_ALERT_JOB              job name for the message, e.g. restore-drill (default: job)
#   TERNENT_ALERT_SOURCE           where it ran, e.g. "prod backend-dr" (default: none)
#   TERNENT_VERDICT_DIR            where verdict.sh keeps verdict.json and exit-code (default /ternent/verdict)
#   TERNENT_ALERT_TIMEOUT_SECONDS  curl's limit per attempt (default 10; 2 retries on connection errors)
#   TERNENT_ALERT_WAIT_SECONDS     give up waiting for the exit code after this long (default 0: no limit)
# Output: one JSON line {"alert":"sent|skipped|failed","job","exitCode","httpStatus","reason"}; a short
#   note on stderr.
# Exit codes: 0 always (a sidecar's exit code means nothing to the job); 2 bad usage (arguments given).
set -eu

log() { printf 'alert: %s\n' "$*" >&2; }
if [ "$#" -ne 0 ]; then
    log "usage: alert.sh (no arguments; see the header)"
    exit 2
fi

dir=${TERNENT_VERDICT_DIR:-/ternent/verdict}
job=${TERNENT_ALERT_JOB:-job}
source_name=${TERNENT_ALERT_SOURCE:-}
url=${TERNENT_ALERT_WEBHOOK_URL:-}
on_success=${TERNENT_ALERT_ON_SUCCESS:-false}
timeout_s=${TERNENT_ALERT_TIMEOUT_SECONDS:-10}
wait_s=${TERNENT_ALERT_WAIT_SECONDS:-0}

json_escape() { printf '%s' "$1" | tr -d '\000-\037' | sed 's/\\/\\\\/g; s/"/\\"/g'; }
result() { # result STATUS EXIT_CODE HTTP_STATUS REASON
    printf '{"alert":"%s","job":"%s","exitCode":%s,"httpStatus":%s,"reason":"%s"}\n' \
        "$1" "$(json_escape "$job")" "${2:-null}" "${3:-null}" "$(json_escape "$4")"
    log "$1: $4"
    exit 0
}
case "$timeout_s" in '' | *[!0-9]* | 0) result failed "" "" "TERNENT_ALERT_TIMEOUT_SECONDS='$timeout_s' is not a positive number of seconds" ;; esac
case "$wait_s" in '' | *[!0-9]*) result failed "" "" "TERNENT_ALERT_WAIT_SECONDS='$wait_s' is not a number of seconds" ;; esac
case "$on_success" in true | false) ;; *) result failed "" "" "TERNENT_ALERT_ON_SUCCESS='$on_success' must be true or false" ;; esac

# --- wait for the job ------------------------------------------------------------------------------
stopped=false
trap 'stopped=true' TERM INT
started=$(date +%s)
while [ ! -f "$dir/exit-code" ] && [ "$stopped" = false ]; do
    if [ "$wait_s" -gt 0 ] && [ $(($(date +%s) - started)) -ge "$wait_s" ]; then
        break
    fi
    # In the background, so that SIGTERM is handled at once rather than after the sleep.
    sleep 1 &
    wait $! || true
done
trap - TERM INT

code=""
[ -f "$dir/exit-code" ] && code=$(tr -dc '0-9' <"$dir/exit-code")
verdict=""
[ -s "$dir/verdict.json" ] && verdict=$(head -c 35000 "$dir/verdict.json" | tr -d '\n')
if [ -z "$code" ]; then
    status="FAILED without a verdict (the job's container ended without an exit code: killed, out of memory, past its deadline, or it never started)"
elif [ "$code" = 0 ]; then
    status="passed"
else
    status="FAILED (exit $code)"
fi

if [ -z "$url" ]; then
    result skipped "$code" "" "no webhook configured (alerts.webhookUrl)"
fi
if [ "$code" = 0 ] && [ "$on_success" = false ]; then
    result skipped "$code" "" "$job passed; success is not posted (alerts.onSuccess false)"
fi
case "$url" in
    https://* | http://*) ;;
    *) result failed "$code" "" "the webhook URL is not http(s) (value not shown)" ;;
esac

# --- post ----------------------------------------------------------------------------------------------
# Slack's incoming-webhook body; the verdict line is the message (Slack, Mattermost and compatible
# receivers show "text").
text="ternent-postgres ${job}${source_name:+ ($source_name)} ${status}: ${verdict:-no verdict line}"
body="$dir/alert-body.json"
printf '{"text":"%s"}\n' "$(json_escape "$text")" >"$body" || result failed "$code" "" "cannot write $body"
curl_url=$(printf '%s' "$url" | sed 's/\\/\\\\/g; s/"/\\"/g')
http=""
rc=0
# The response goes to a file: curl cannot truncate /dev/null before a retry (exit 23).
http=$(printf 'url = "%s"\n' "$curl_url" | curl -K - -sS -o "$dir/alert-response" -w '%{http_code}' \
    --max-time "$timeout_s" --connect-timeout "$timeout_s" --retry 2 --retry-connrefused --retry-delay 1 \
    -H 'Content-Type: application/json' --data-binary "@$body" 2>"$dir/alert-curl.err") || rc=$?
http=$(printf '%s' "$http" | tr -dc '0-9')
case "$http" in '' | 000) http="" ;; esac
if [ "$rc" -ne 0 ]; then
    result failed "$code" "$http" "the webhook did not take the alert: curl exited $rc: $(head -c 300 "$dir/alert-curl.err" | tr '\n' ' ' | sed 's#[a-z][a-z0-9+.-]*://[^ ]*#<webhook>#g')"
fi
case "$http" in
    2??) result sent "$code" "$http" "$job ${status%% (*} posted" ;;
    *) result failed "$code" "$http" "the webhook answered HTTP ${http:-?}" ;;
esac
