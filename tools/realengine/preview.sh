#!/usr/bin/env bash
# Runs this program through the REAL Pulumi engine: the `pulumi` CLI built by tools/realengine/build.sh,
# its engine and its CrossGuard analyzer. The program runs as an Automation API inline program
# (tools/realengine/driver.ts, one Node process per step), the policy pack through the analyzer plugin
# `policy-nodejs` (analyzer-policy-nodejs.sh); no Node.js language host is involved. The cloud is the
# pass-through provider double (tools/realengine/README.md), so nothing leaves the machine.
#
#   npm run preview:real -- --stack <name> [--stack-file <file>] [--out <dir>] [--policy-pack-config <file>]
#                           [--preview-only] [--expect-no-changes] [--keep]
#
# In a temporary directory: a local file backend (PULUMI_BACKEND_URL=file://…), a project directory with a
# copy of the repository's files (node_modules linked), a disposable stack <name> initialised from a copy
# of Pulumi.<name>.yaml (or --stack-file) with the passphrase secrets provider, its `secure:` values set
# again for this stack (tools/realengine/stackfile.ts). Then:
#   driver.ts --step preview   pulumi preview --policy-pack policy (the real analyzer runs the pack)
#   driver.ts --step up        pulumi up --yes --skip-preview --policy-pack policy (unless --preview-only)
#   pulumi stack export        state.json; state.secrets.json with --show-secrets, mode 0600
#   driver.ts --step recheck   pulumi preview --expect-no-changes --policy-pack policy (with
#                              --expect-no-changes: the deployed stack has no diff)
# Writes <step>.log, <step>.events.jsonl (engine events, policy events included), state.json,
# state.secrets.json and summary.json to --out (default: a temporary directory, removed at exit unless
# --out or --keep is given) and prints summary.json as one JSON line:
# {"stack", "ok", "step", "out", "seconds": {...}, "resources"}.
#
# Inputs (env): TERNENT_CACHE (where build.sh put the tools), PULUMI_CONFIG_PASSPHRASE (default: a
#               throwaway passphrase for the disposable stack).
# Exit codes:   0 preview (and up) succeeded; 1 preview or up failed (a policy violation included: the
#               log names the policy); 2 bad usage, missing stack file or tools not built.
set -euo pipefail

usage() { sed -n "8,9p" "$0" | sed "1s/^#   /usage: /; 2s/^#   /       /" >&2; exit 2; }
stack='' stack_file='' out='' policy_config='' up=true recheck=false keep=false
while [ $# -gt 0 ]; do
	case $1 in
	--stack) stack=${2:-}; shift 2 || usage ;;
	--stack-file) stack_file=${2:-}; shift 2 || usage ;;
	--out) out=${2:-}; shift 2 || usage ;;
	--policy-pack-config) policy_config=${2:-}; shift 2 || usage ;;
	--preview-only) up=false; shift ;;
	--expect-no-changes) recheck=true; shift ;;
	--keep) keep=true; shift ;;
	*) echo "preview.sh: unknown argument '$1'" >&2; usage ;;
	esac
done
if ! [[ $stack =~ ^[A-Za-z0-9_.-]+$ ]]; then
	echo "preview.sh: --stack must be a stack name ([A-Za-z0-9_.-]+), got '$stack'" >&2
	exit 2
fi

# shellcheck source=env.sh disable=SC1091
. "$(dirname "$0")/env.sh"
REPO=$(cd "$RE_SRC/../.." && pwd)
stack_file=${stack_file:-$REPO/Pulumi.$stack.yaml}
if [ ! -f "$stack_file" ]; then
	echo "preview.sh: stack file '$stack_file' does not exist" >&2
	exit 2
fi
stack_file=$(cd "$(dirname "$stack_file")" && pwd)/$(basename "$stack_file")
if [ -n "$policy_config" ]; then
	[ -f "$policy_config" ] || { echo "preview.sh: --policy-pack-config '$policy_config' does not exist" >&2; exit 2; }
	policy_config=$(cd "$(dirname "$policy_config")" && pwd)/$(basename "$policy_config")
fi
status=$RE_ROOT/status.json
if [ ! -f "$status" ]; then
	echo "preview.sh: real-engine tools not built: run 'bash tools/realengine/build.sh' ($status missing)" >&2
	exit 2
fi
# shellcheck disable=SC2016 # JavaScript, not shell
missing=$(node -e '
const s = require(process.argv[1]);
const bad = ["pulumi", "plugins", "policyAnalyzer"].filter((k) => s[k] !== "ok").map((k) => `${k}: ${s[k]}`);
process.stdout.write(bad.join("; "));' "$status")
if [ -n "$missing" ]; then
	echo "preview.sh: real-engine tools not available: $missing" >&2
	exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ternent-realengine.XXXXXX")
cleanup() {
	if ! $keep; then rm -rf "$work"; else echo "preview.sh: kept $work" >&2; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT
umask 077
out=${out:-$work/out}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The project: a snapshot of the repository's files (other work on the tree cannot change the program
# between two steps of one run), with node_modules linked, not copied. Stack files are left out (the
# disposable stack gets its own), so are build output and the lab's data.
proj=$work/project
mkdir -p "$proj" "$work/backend"
# snapshot SRC DEST: copies the directory SRC to DEST, linking its node_modules.
snapshot() {
	local src=$1 dest=$2 entry name
	mkdir -p "$dest"
	for entry in "$src"/* "$src"/.[!.]*; do
		[ -e "$entry" ] || continue
		name=$(basename "$entry")
		case $name in
		.git | .pulumi | .lab | bin | out | Pulumi.*.yaml) ;;
		node_modules) ln -s "$entry" "$dest/$name" ;;
		policy) snapshot "$entry" "$dest/$name" ;;
		*) cp -R "$entry" "$dest/$name" ;;
		esac
	done
}
snapshot "$REPO" "$proj"
(cd "$REPO" && node_modules/.bin/ts-node --transpile-only tools/realengine/stackfile.ts \
	--in "$stack_file" --out "$proj/Pulumi.$stack.yaml" --secrets "$work/secure.json")

export PULUMI_BACKEND_URL=file://$work/backend
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-ternent-realengine-disposable-stack}
cd "$proj"

timings=()
step=init
summary() {
	local ok=$1 resources=${2:-0}
	node -e '
const [file, stack, ok, step, out, resources, ...timings] = process.argv.slice(1);
const seconds = {};
for (const t of timings) { const [k, v] = t.split("="); seconds[k] = Number(v); }
const s = { stack, ok: ok === "true", step, out, seconds, resources: Number(resources) };
require("fs").writeFileSync(file, JSON.stringify(s) + "\n");
process.stdout.write(JSON.stringify(s) + "\n");' "$out/summary.json" "$stack" "$ok" "$step" "$out" "$resources" "${timings[@]}"
}
# run STEP LOG CMD...: runs one step, timing it; on failure prints the logs' tails and exits 1.
run() {
	local name=$1 log=$2 start=$SECONDS
	shift 2
	step=$name
	if "$@" >"$log" 2>&1; then
		timings+=("$name=$((SECONDS - start))")
		return 0
	fi
	timings+=("$name=$((SECONDS - start))")
	echo "preview.sh: step $name failed (stack $stack): $*" >&2
	# The driver writes the CLI's output to <step>.log and its own result line to <step>.driver.log.
	for f in "$out/$name.log" "$log"; do
		if [ -s "$f" ]; then
			echo "-- last lines of $f:" >&2
			tail -n 40 "$f" >&2
		fi
	done
	summary false >/dev/null
	cat "$out/summary.json"
	exit 1
}
# drive STEP [ARGS...]: one step of the program through the real engine, in a Node process of its own.
drive() {
	local name=$1
	shift
	run "$name" "$out/$name.driver.log" node "$REPO/node_modules/ts-node/dist/bin.js" "$RE_SRC/driver.ts" \
		--step "$name" --dir "$proj" --stack "$stack" --out "$out" "$@"
}

run init "$out/init.log" pulumi stack init "$stack" --secrets-provider passphrase --non-interactive
# shellcheck disable=SC2016
mapfile -t secure < <(node -e '
for (const s of require(process.argv[1])) console.log(`${s.path}=${s.value}`);' "$work/secure.json")
if [ ${#secure[@]} -gt 0 ]; then
	args=()
	for kv in "${secure[@]}"; do args+=(--secret "$kv"); done
	run config "$out/config.log" pulumi config set-all --stack "$stack" --path "${args[@]}"
fi

policy_args=(--policy-pack policy)
[ -n "$policy_config" ] && policy_args+=(--policy-pack-config "$policy_config")
drive preview "${policy_args[@]}"
if $up; then
	# The pack runs again on up: checks that need values unknown during preview run there.
	drive up "${policy_args[@]}"
	run export "$out/export.log" pulumi stack export --stack "$stack" --file "$out/state.json"
	run export-secrets "$out/export.log" pulumi stack export --stack "$stack" --show-secrets --file "$out/state.secrets.json"
	if $recheck; then
		# Running the program again against what it just deployed must change nothing (no perpetual diff).
		drive recheck "${policy_args[@]}"
	fi
fi
resources=0
[ -f "$out/state.json" ] && resources=$(node -p 'require(process.argv[1]).deployment.resources.length' "$out/state.json")
step=finished
summary true "$resources"
