#!/usr/bin/env bash
# Builds the real Pulumi engine tools into a cache outside the repository and installs the
# pass-through provider double as the plugins the program's SDKs ask for. Idempotent: a second run
# reuses everything whose inputs (go.mod, go.sum, sources, plugin versions) did not change.
#
# What it builds (all with plain `go build` of published Go modules, see tools/realengine/README.md):
#   $RE_BIN/pulumi                      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi at the go.mod version
#   $RE_BIN/pulumi-language-nodejs      github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
#                                       (langhost/go.mod; when the module proxy refuses it, the exact error
#                                       is printed and TERNENT_PULUMI_LANGUAGE_NODEJS_BIN may name a binary
#                                       of the same release built elsewhere; one handed in earlier is kept)
#   $RE_BIN/pulumi-resource-passthrough the test double in passthrough/ (its Go tests pass first), installed as the resource plugins
#                                       kubernetes, random, digitalocean at the package-lock.json versions
# Then checks `pulumi version` and that the language host starts, and writes $RE_ROOT/status.json
# ({"pulumi": "ok"|reason, "languageHost": "ok"|reason, "plugins": "ok"|reason, ...}) for the tests.
#
# Inputs (env): TERNENT_CACHE (default ~/.cache/ternent-postgres), TERNENT_PULUMI_LANGUAGE_NODEJS_BIN.
# Options:      --strict  exit 3 unless every tool is available.
#               --only-if-language-host  look for the language host first and, when none can be had,
#                         record why in status.json and stop without building the CLI (CI: the CLI
#                         alone cannot run the Node.js program, and its cold build takes ~16 minutes).
# Exit codes:   0 built (the CLI and the double; the language host may be missing, see status.json),
#               1 a build or check failed, 2 bad usage or environment, 3 --strict and something missing.
set -euo pipefail

strict=false
only_if_language_host=false
for arg in "$@"; do
	case $arg in
	--strict) strict=true ;;
	--only-if-language-host) only_if_language_host=true ;;
	*) echo "build.sh: unknown argument '$arg' (allowed: --strict, --only-if-language-host)" >&2; exit 2 ;;
	esac
done

# shellcheck source=env.sh disable=SC1091
. "$(dirname "$0")/env.sh"
REPO=$(cd "$RE_SRC/../.." && pwd)
command -v go >/dev/null || { echo "build.sh: go not found on PATH" >&2; exit 2; }
command -v node >/dev/null || { echo "build.sh: node not found on PATH" >&2; exit 2; }
mkdir -p "$RE_BIN" "$PULUMI_HOME" "$GOMODCACHE" "$GOCACHE"
log() { printf 'realengine: %s\n' "$*" >&2; }

# The CLI must be the release of the npm SDK the program runs with.
sdk_version=v$(node -p "require('$REPO/package-lock.json').packages['node_modules/@pulumi/pulumi'].version")
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

write_status() {
	node -e '
	const [file, pulumi, languageHost, plugins, origin] = process.argv.slice(1);
	const fs = require("fs");
	fs.writeFileSync(file, JSON.stringify({
	  pulumi, languageHost, plugins,
	  languageHostOrigin: languageHost !== "ok" ? "none" : fs.existsSync(origin) ? fs.readFileSync(origin, "utf8").trim() : "go module",
	  bin: require("path").dirname(file) + "/bin",
	  pulumiHome: process.env.PULUMI_HOME,
	}, null, 2) + "\n");
	' "$RE_ROOT/status.json" "$pulumi_status" "$langhost_status" "$plugins_status" "$RE_ROOT/language-host-origin.txt"
	log "status: $RE_ROOT/status.json"
}

# 1. The Node.js language host of the same release (a module without tags: required by pseudo-version).
langhost_status=ok
langhost_module=$(awk '$1 == "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3" { print $1 "@" $2; exit }' "$RE_SRC/langhost/go.mod")
if stamp pulumi-language-nodejs "$RE_SRC/langhost/go.mod"; then
	log "pulumi-language-nodejs ($langhost_module): cached"
else
	log "pulumi-language-nodejs: building $langhost_module"
	# Built from a copy of langhost/go.mod in the cache, so the go.sum the go command writes stays out of the repository.
	langhost_dir=$RE_ROOT/langhost-module
	mkdir -p "$langhost_dir"
	cp "$RE_SRC/langhost/go.mod" "$langhost_dir/go.mod"
	if err=$(cd "$langhost_dir" && go build -trimpath -ldflags "$ldflags" -o "$RE_BIN/pulumi-language-nodejs.new" \
		github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 2>&1); then
		mv "$RE_BIN/pulumi-language-nodejs.new" "$RE_BIN/pulumi-language-nodejs"
		stamped pulumi-language-nodejs
		rm -f "$RE_ROOT/language-host-origin.txt"
	else
		err=$(printf '%s\n' "$err" | grep -v '^go: downloading' | tr -s '\n\t' '  ')
		log "pulumi-language-nodejs: the Go module could not be built: $err"
		given=${TERNENT_PULUMI_LANGUAGE_NODEJS_BIN:-}
		if [ -n "$given" ] && [ -x "$given" ] && [ -f "$given" ]; then
			log "pulumi-language-nodejs: using TERNENT_PULUMI_LANGUAGE_NODEJS_BIN=$given (not built from the module proxy)"
			cp -p "$given" "$RE_BIN/pulumi-language-nodejs"
			printf 'copied from %s because %s\n' "$given" "$err" >"$RE_ROOT/language-host-origin.txt"
		elif [ -n "$given" ]; then
			langhost_status="TERNENT_PULUMI_LANGUAGE_NODEJS_BIN=$given is not an executable file; module build failed: $err"
		elif [ -x "$RE_BIN/pulumi-language-nodejs" ] && [ -f "$RE_ROOT/language-host-origin.txt" ]; then
			# Keep the host handed in by an earlier run (its -version is checked below).
			log "pulumi-language-nodejs: keeping the one $(cut -d' ' -f1-3 "$RE_ROOT/language-host-origin.txt")"
		else
			rm -f "$RE_BIN/pulumi-language-nodejs"
			langhost_status="module build failed: $err (set TERNENT_PULUMI_LANGUAGE_NODEJS_BIN to a pulumi-language-nodejs of $PULUMI_VERSION)"
		fi
	fi
fi
if [ "$langhost_status" = ok ]; then
	# The host starts, prints its version, and is of the CLI's release.
	if ! v=$("$RE_BIN/pulumi-language-nodejs" -version 2>&1) || [ "v${v#v}" != "$PULUMI_VERSION" ]; then
		langhost_status="pulumi-language-nodejs -version printed '$v', expected $PULUMI_VERSION"
	fi
fi
if [ "$langhost_status" = ok ]; then
	log "pulumi-language-nodejs: $v"
else
	log "pulumi-language-nodejs: NOT AVAILABLE: $langhost_status"
fi


if $only_if_language_host && [ "$langhost_status" != ok ]; then
	pulumi_status="not built: no Node.js language host to run the program with ($langhost_status)"
	plugins_status=$pulumi_status
	write_status
	log "stopping before the CLI build (--only-if-language-host); the real-engine tests will skip"
	exit 0
fi

# 2. The CLI.
if stamp pulumi "$RE_SRC/go.mod" "$RE_SRC/go.sum"; then
	log "pulumi $PULUMI_VERSION: cached"
else
	log "pulumi $PULUMI_VERSION: building (cold: several minutes)"
	(cd "$RE_SRC" && timed go build -trimpath -ldflags "$ldflags" -o "$RE_BIN/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
	stamped pulumi
fi
pulumi_status=ok
if ! out=$("$RE_BIN/pulumi" version 2>&1) || [ "$out" != "$PULUMI_VERSION" ]; then
	echo "build.sh: '$RE_BIN/pulumi version' printed '$out', expected '$PULUMI_VERSION'" >&2
	exit 1
fi
log "pulumi version: $out"

# 3. The pass-through double.
if stamp pulumi-resource-passthrough "$RE_SRC/go.mod" "$RE_SRC/go.sum" "$RE_SRC"/passthrough/*.go; then
	log "pass-through double: cached"
else
	log "pass-through double: testing and building"
	(cd "$RE_SRC" && timed go test ./passthrough >&2 && timed go build -trimpath -o "$RE_BIN/pulumi-resource-passthrough" ./passthrough)
	stamped pulumi-resource-passthrough
	rm -f "$RE_ROOT/.plugins.stamp"
fi

# Install it under every plugin name the npm SDKs ask for, at their exact versions.
plugins=()
for name in kubernetes random digitalocean; do
	v=$(node -p "require('$REPO/package-lock.json').packages['node_modules/@pulumi/$name'].version")
	plugins+=("$name:$v")
done
printf '%s\n' "${plugins[@]}" >"$RE_ROOT/.plugins.want"
cat "$RE_ROOT/.pulumi-resource-passthrough.stamp" >>"$RE_ROOT/.plugins.want"
if cmp -s "$RE_ROOT/.plugins.want" "$RE_ROOT/.plugins.stamp"; then
	log "plugins ${plugins[*]}: cached"
else
	for p in "${plugins[@]}"; do
		log "installing the double as resource plugin ${p%%:*} ${p#*:}"
		"$RE_BIN/pulumi" plugin install resource "${p%%:*}" "${p#*:}" --reinstall \
			-f "$RE_BIN/pulumi-resource-passthrough" >/dev/null
	done
	mv "$RE_ROOT/.plugins.want" "$RE_ROOT/.plugins.stamp"
fi
"$RE_BIN/pulumi" plugin ls >"$RE_ROOT/plugins.txt"
plugins_status=ok
for p in "${plugins[@]}"; do
	if ! grep -Eq "^${p%%:*}[[:space:]]+resource[[:space:]]+${p#*:}[[:space:]]" "$RE_ROOT/plugins.txt"; then
		plugins_status="resource plugin ${p%%:*} ${p#*:} is not installed (pulumi plugin ls: $(tr '\n' ' ' <"$RE_ROOT/plugins.txt"))"
	fi
done

write_status

if [ "$plugins_status" != ok ]; then
	echo "build.sh: $plugins_status" >&2
	exit 1
fi
if $strict && [ "$langhost_status" != ok ]; then
	exit 3
fi
exit 0
