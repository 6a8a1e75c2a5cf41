#!/usr/bin/env bash
# Builds the real Pulumi engine tools into a cache outside the repository and installs the plugins the
# real-engine runs need. Idempotent: a second run reuses everything whose inputs (go.mod, go.sum,
# sources, plugin versions, the launcher) did not change.
#
# The route (tools/realengine/README.md): the program runs as an Automation API inline program
# (driver.ts), the policy pack through the analyzer plugin `policy-nodejs`. No Node.js language host is
# built, fetched or installed, and none may be found: with one, the engine would run the pack through it.
#
#   $RE_BIN/pulumi                       github.com/pulumi/pulumi/pkg/v3/cmd/pulumi at the go.mod version,
#                                        which must be the @pulumi/pulumi release of package-lock.json
#   $RE_BIN/pulumi-resource-passthrough  the test double in passthrough/ (its Go tests pass first),
#                                        installed as the resource plugins kubernetes, random and
#                                        digitalocean at the package-lock.json versions
#   analyzer plugin policy-nodejs        analyzer-policy-nodejs.sh, installed at the CLI's version
# Then checks `pulumi version`, the installed plugins, that no language plugin can be found (plugin
# cache, next to the CLI) and that the pack's node_modules have run-policy-pack of the same release, and
# writes $RE_ROOT/status.json ({"pulumi", "plugins", "policyAnalyzer": "ok"|reason, ...}) for the tests.
#
# Inputs (env): TERNENT_CACHE (default ~/.cache/ternent-postgres).
# Output:       progress on stderr; status.json as one JSON line on stdout.
# Exit codes:   0 every tool ready; 1 a build, install or check failed (status.json says which);
#               2 bad usage or environment.
set -euo pipefail

if [ $# -gt 0 ]; then
	echo "build.sh: unknown argument '$1' (it takes none)" >&2
	exit 2
fi

# shellcheck source=env.sh disable=SC1091
. "$(dirname "$0")/env.sh"
REPO=$(cd "$RE_SRC/../.." && pwd)
command -v go >/dev/null || { echo "build.sh: go not found on PATH" >&2; exit 2; }
command -v node >/dev/null || { echo "build.sh: node not found on PATH" >&2; exit 2; }
mkdir -p "$RE_BIN" "$PULUMI_HOME" "$GOMODCACHE" "$GOCACHE"
log() { printf 'realengine: %s\n' "$*" >&2; }
build_start=$SECONDS

# The CLI must be the release of the npm SDK the program runs with.
lock_version() { node -p "require('$REPO/package-lock.json').packages['node_modules/$1'].version"; }
sdk_version=v$(lock_version @pulumi/pulumi)
if [ "$sdk_version" != "$PULUMI_VERSION" ]; then
	echo "build.sh: go.mod pins pulumi $PULUMI_VERSION but package-lock.json has @pulumi/pulumi $sdk_version; keep them on one release" >&2
	exit 2
fi
ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"

# stamp NAME FILES...: a hash of the inputs of one build step; the step is skipped while it matches.
stamp() {
	local name=$1; shift
	{ go version; printf '%s\n' "$ldflags"; cat "$@" 2>/dev/null || true; } | sha256sum | cut -d' ' -f1 >"$RE_ROOT/.$name.want"
	if [ -x "$RE_BIN/$name" ] && cmp -s "$RE_ROOT/.$name.want" "$RE_ROOT/.$name.stamp"; then
		return 0
	fi
	return 1
}
stamped() { mv "$RE_ROOT/.$1.want" "$RE_ROOT/.$1.stamp"; }

timed() {
	local start=$SECONDS
	"$@"
	log "  took $((SECONDS - start)) s"
}

pulumi_status="not built" plugins_status="not checked" analyzer_status="not checked"
write_status() {
	node -e '
	const [file, pulumi, plugins, policyAnalyzer] = process.argv.slice(1);
	const s = {
	  pulumi, plugins, policyAnalyzer,
	  route: "Automation API inline program (driver.ts) + analyzer plugin policy-nodejs; no language host",
	  bin: require("path").dirname(file) + "/bin",
	  pulumiHome: process.env.PULUMI_HOME,
	};
	require("fs").writeFileSync(file, JSON.stringify(s, null, 2) + "\n");
	process.stdout.write(JSON.stringify(s) + "\n");
	' "$RE_ROOT/status.json" "$pulumi_status" "$plugins_status" "$analyzer_status"
	log "status: $RE_ROOT/status.json"
}
fail() {
	echo "build.sh: $*" >&2
	write_status
	exit 1
}

# 0. Leftovers of the earlier language-host route: a pulumi-language-nodejs next to the CLI would be
#    found as the bundled nodejs language plugin and take over the policy pack.
rm -rf "$RE_BIN/pulumi-language-nodejs" "$RE_BIN/pulumi-language-nodejs.new" "$RE_ROOT/langhost-module" \
	"$RE_ROOT/.pulumi-language-nodejs.stamp" "$RE_ROOT/.pulumi-language-nodejs.want" "$RE_ROOT/language-host-origin.txt"

# 1. The CLI.
if stamp pulumi "$RE_SRC/go.mod" "$RE_SRC/go.sum"; then
	log "pulumi $PULUMI_VERSION: cached"
else
	log "pulumi $PULUMI_VERSION: building (cold: several minutes)"
	(cd "$RE_SRC" && timed go build -trimpath -ldflags "$ldflags" -o "$RE_BIN/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
	stamped pulumi
fi
if ! out=$("$RE_BIN/pulumi" version 2>&1) || [ "$out" != "$PULUMI_VERSION" ]; then
	pulumi_status="'$RE_BIN/pulumi version' printed '$out', expected '$PULUMI_VERSION'"
	fail "$pulumi_status"
fi
pulumi_status=ok
log "pulumi version: $out"

# 2. The pass-through double.
if stamp pulumi-resource-passthrough "$RE_SRC/go.mod" "$RE_SRC/go.sum" "$RE_SRC"/passthrough/*.go; then
	log "pass-through double: cached"
else
	log "pass-through double: testing and building"
	(cd "$RE_SRC" && timed go test ./passthrough >&2 && timed go build -trimpath -o "$RE_BIN/pulumi-resource-passthrough" ./passthrough)
	stamped pulumi-resource-passthrough
	rm -f "$RE_ROOT/.plugins.stamp"
fi

# 3. Plugins: the double under every resource plugin name the npm SDKs ask for, at their exact versions
#    (the engine loads providers at the version each registration sends), and the pack launcher as the
#    analyzer plugin policy-nodejs.
launcher=$RE_SRC/analyzer-policy-nodejs.sh
analyzer_version=${PULUMI_VERSION#v}
plugins=()
for name in kubernetes random digitalocean; do
	plugins+=("$name:$(lock_version "@pulumi/$name")")
done
{
	printf '%s\n' "${plugins[@]}" "policy-nodejs:$analyzer_version"
	cat "$RE_ROOT/.pulumi-resource-passthrough.stamp"
	sha256sum <"$launcher"
} >"$RE_ROOT/.plugins.want"
if cmp -s "$RE_ROOT/.plugins.want" "$RE_ROOT/.plugins.stamp"; then
	log "plugins ${plugins[*]} policy-nodejs:$analyzer_version: cached"
else
	for p in "${plugins[@]}"; do
		log "installing the double as resource plugin ${p%%:*} ${p#*:}"
		"$RE_BIN/pulumi" plugin install resource "${p%%:*}" "${p#*:}" --reinstall \
			-f "$RE_BIN/pulumi-resource-passthrough" >/dev/null
	done
	log "installing $(basename "$launcher") as analyzer plugin policy-nodejs $analyzer_version"
	"$RE_BIN/pulumi" plugin install analyzer policy-nodejs "$analyzer_version" --reinstall -f "$launcher" >/dev/null
	mv "$RE_ROOT/.plugins.want" "$RE_ROOT/.plugins.stamp"
fi

"$RE_BIN/pulumi" plugin ls --json >"$RE_ROOT/plugins.json"
# has KIND NAME VERSION: exit 0 when `pulumi plugin ls` lists that plugin.
has() {
	node -e '
	const [file, kind, name, version] = process.argv.slice(1);
	const ps = JSON.parse(require("fs").readFileSync(file, "utf8")) || [];
	process.exit(ps.some((p) => p.kind === kind && p.name === name && p.version === version) ? 0 : 1);
	' "$RE_ROOT/plugins.json" "$@"
}
# ls_plugins [KIND]: the installed plugins (of KIND), as "kind name version, ...".
ls_plugins() {
	# shellcheck disable=SC2016 # JavaScript, not shell
	node -p '
	const [file, kind] = process.argv.slice(1);
	(JSON.parse(require("fs").readFileSync(file, "utf8")) || []).filter((p) => !kind || p.kind === kind)
	  .map((p) => `${p.kind} ${p.name} ${p.version}`).join(", ")' "$RE_ROOT/plugins.json" "$@"
}
listed=$(ls_plugins)
plugins_status=ok
for p in "${plugins[@]}"; do
	has resource "${p%%:*}" "${p#*:}" || plugins_status="resource plugin ${p%%:*} ${p#*:} is not installed (pulumi plugin ls: $listed)"
done
if [ "$plugins_status" != ok ]; then
	fail "$plugins_status"
fi

# 4. The analyzer route for the pack: installed, no language plugin anywhere the engine looks (the
#    plugin cache, next to the CLI; $PATH is ignored, env.sh sets PULUMI_IGNORE_AMBIENT_PLUGINS), and the
#    pack's own run-policy-pack of the CLI's release.
analyzer_status=ok
if ! has analyzer policy-nodejs "$analyzer_version"; then
	analyzer_status="analyzer plugin policy-nodejs $analyzer_version is not installed (pulumi plugin ls: $listed)"
elif languages=$(ls_plugins language) && [ -n "$languages" ]; then
	analyzer_status="language plugins installed in $PULUMI_HOME would run the pack instead of policy-nodejs: $languages (pulumi plugin rm language)"
elif [ -e "$RE_BIN/pulumi-language-nodejs" ]; then
	analyzer_status="$RE_BIN/pulumi-language-nodejs would be found as the bundled nodejs language plugin"
elif ! pack_sdk=$(cd "$REPO/policy" && node -p 'require(require.resolve("@pulumi/pulumi/package.json", { paths: [process.cwd()] })).version' 2>&1); then
	analyzer_status="the policy pack's dependencies are not installed (npm ci in policy/): $pack_sdk"
elif [ "v$pack_sdk" != "$PULUMI_VERSION" ]; then
	analyzer_status="policy/node_modules has @pulumi/pulumi $pack_sdk, the CLI is $PULUMI_VERSION; keep them on one release"
fi
if [ "$analyzer_status" != ok ]; then
	fail "$analyzer_status"
fi
for f in pulumi-language-nodejs pulumi-analyzer-policy-nodejs pulumi-resource-kubernetes pulumi-resource-random pulumi-resource-digitalocean; do
	if p=$(command -v "$f"); then
		log "note: $p is on PATH; ignored (PULUMI_IGNORE_AMBIENT_PLUGINS=$PULUMI_IGNORE_AMBIENT_PLUGINS)"
	fi
done

log "ready in $((SECONDS - build_start)) s"
write_status
