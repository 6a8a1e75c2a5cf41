#!/usr/bin/env bash
# npm test's static checks, side by side (each is mostly one core, and tsc and typed eslint each build
# the program's types): the type checks of the program and of the pack, eslint, shellcheck. Each one's
# output is printed whole, in this order, after all have finished; exit 1 naming every check that failed.
#   bash tools/check.sh [typecheck|lint]   (npm run typecheck / npm run lint: that group only; default: all)
set -u
group=${1:-all}
case $group in
    all | typecheck | lint) ;;
    *) echo "check: unknown group '$group' (typecheck, lint or nothing for all)" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.." || exit 1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

names=() pids=()
start() { # group name command…: runs the command in the background, its output to $out/name
    local name=$2
    [[ $group == all || $group == "$1" ]] || return 0
    shift 2
    "$@" >"$out/$name" 2>&1 &
    names+=("$name") pids+=($!)
}
start typecheck typecheck-program node_modules/.bin/tsc --noEmit -p .
start typecheck typecheck-pack node_modules/.bin/tsc --noEmit -p policy
start lint eslint node_modules/.bin/eslint .
start lint shellcheck shellcheck -x scripts/*.sh lab/*.sh tools/*.sh tools/realengine/*.sh tools/operator-crd/*.sh tools/controlplane/*.sh .ci/run

failed=()
for i in "${!names[@]}"; do
    wait "${pids[$i]}" || failed+=("${names[$i]}")
done
for name in "${names[@]}"; do
    [[ -s $out/$name ]] && { echo "== $name"; cat "$out/$name"; }
done
if ((${#failed[@]})); then
    echo "check: failed: ${failed[*]}" >&2
    exit 1
fi
echo "check: ${names[*]} passed"
