#!/usr/bin/env bash
# tools/controlplane/build-provider.sh: tries to build the real Kubernetes provider
# (pulumi-resource-kubernetes) from github.com/pulumi/pulumi-kubernetes/provider/v4 as the Go module
# proxy serves it, by the provider's own build steps and without editing its source:
#   1. download the provider module and github.com/pulumi/pulumi-kubernetes/sdk/v4 at the version the
#      provider's go.mod requires, and lay them out as in the upstream repository (provider/ next to
#      sdk/: the provider's go.mod replaces sdk/v4 with ../sdk) under $CP/provider/src;
#   2. its documented schema step: `VERSION=<v> go generate` in cmd/pulumi-resource-kubernetes (runs
#      generate.go: schema.json -> schema-embed.json, terraform-mapping.json -> -embed.json);
#   3. `go build -ldflags "-X .../pkg/version.Version=<v>" ./cmd/pulumi-resource-kubernetes`.
# CP=${TERNENT_CACHE:-~/.cache/ternent-postgres}/controlplane; GOMODCACHE/GOCACHE under TERNENT_CACHE.
# Writes $CP/provider/status.json ({"ok", "module", "version", "bin", "reason"}) and prints it as one
# JSON line; on failure the reason is the exact error of the step that failed.
#
# Inputs (env): TERNENT_CACHE. The version the plugin reports is the @pulumi/kubernetes release in
#   package-lock.json (the version the program's SDK asks the engine for).
# Exit codes: 0 built (or cached), 1 a step failed (recorded), 2 bad usage or environment.
set -euo pipefail

[ "$#" -eq 0 ] || { echo "build-provider.sh: no arguments expected" >&2; exit 2; }
SRC=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$SRC/../.." && pwd)
CACHE=${TERNENT_CACHE:-$HOME/.cache/ternent-postgres}
OUT=$CACHE/controlplane/provider
export GOMODCACHE=$CACHE/gomod GOCACHE=$CACHE/gobuild GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN=local
log() { printf 'controlplane/build-provider: %s\n' "$*" >&2; }
command -v go >/dev/null 2>&1 || { log "go not found on PATH"; exit 2; }
command -v node >/dev/null 2>&1 || { log "node not found on PATH"; exit 2; }

# The only version of the provider module the proxy lists (`go list -m -versions` shows none: the
# upstream repository tags its root, never provider/v4, so the module only has pseudo-versions).
MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
VERSION=$(node -p "require('$REPO/package-lock.json').packages['node_modules/@pulumi/kubernetes'].version")
mkdir -p "$OUT/bin"

status() { # ok reason
	node -e '
	const [file, ok, reason, module, version, bin] = process.argv.slice(1);
	const s = { ok: ok === "true", module, version, bin, reason: reason || null };
	require("fs").writeFileSync(file, JSON.stringify(s, null, 2) + "\n");
	console.log(JSON.stringify(s));
	' "$OUT/status.json" "$1" "${2:-}" "$MODULE@$MODULE_VERSION" "$VERSION" "$OUT/bin/pulumi-resource-kubernetes"
}
fail() { # step logfile
	log "$1 FAILED; the exact error:"
	sed 's/^/    /' "$2" >&2
	status false "$1: $(tail -c 3000 "$2" | tr '\n' ' ')"
	exit 1
}

want=$(printf '%s\n' "$(go version)" "$MODULE@$MODULE_VERSION" "$VERSION" "$(sha256sum "$0")" | sha256sum | cut -d' ' -f1)
if [ -x "$OUT/bin/pulumi-resource-kubernetes" ] && [ "$(cat "$OUT/.stamp" 2>/dev/null || true)" = "$want" ]; then
	log "cached: $OUT/bin/pulumi-resource-kubernetes ($MODULE@$MODULE_VERSION as $VERSION)"
	status true
	exit 0
fi
rm -f "$OUT/.stamp"

start=$SECONDS
log "go mod download $MODULE@$MODULE_VERSION"
dir=$(go mod download -json "$MODULE@$MODULE_VERSION" 2>"$OUT/download.log" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.Dir)})' 2>>"$OUT/download.log") \
	|| fail "go mod download $MODULE@$MODULE_VERSION" "$OUT/download.log"
sdk_version=$(awk '$1 == "github.com/pulumi/pulumi-kubernetes/sdk/v4" && $2 ~ /^v/ { print $2; exit }' "$dir/go.mod")
log "go mod download github.com/pulumi/pulumi-kubernetes/sdk/v4@$sdk_version (the provider's go.mod requires it and replaces it with ../sdk)"
sdk=$(go mod download -json "github.com/pulumi/pulumi-kubernetes/sdk/v4@$sdk_version" 2>"$OUT/download.log" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.Dir)})' 2>>"$OUT/download.log") \
	|| fail "go mod download github.com/pulumi/pulumi-kubernetes/sdk/v4@$sdk_version" "$OUT/download.log"

# The module cache is read-only and the schema step writes next to its sources: a copy, as in the repository.
rm -rf "$OUT/src"
mkdir -p "$OUT/src"
cp -R "$dir" "$OUT/src/provider"
cp -R "$sdk" "$OUT/src/sdk"
chmod -R u+w "$OUT/src"

log "VERSION=$VERSION go generate (cmd/pulumi-resource-kubernetes: schema.json -> schema-embed.json)"
(cd "$OUT/src/provider/cmd/pulumi-resource-kubernetes" && VERSION=$VERSION go generate) >"$OUT/generate.log" 2>&1 \
	|| fail "go generate ./cmd/pulumi-resource-kubernetes" "$OUT/generate.log"
log "  schema step took $((SECONDS - start)) s"

bstart=$SECONDS
log "go build ./cmd/pulumi-resource-kubernetes (Version=$VERSION)"
(cd "$OUT/src/provider" && go build -trimpath \
	-ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$VERSION" \
	-o "$OUT/bin/pulumi-resource-kubernetes.tmp" ./cmd/pulumi-resource-kubernetes) >"$OUT/build.log" 2>&1 \
	|| fail "go build ./cmd/pulumi-resource-kubernetes" "$OUT/build.log"
mv -f "$OUT/bin/pulumi-resource-kubernetes.tmp" "$OUT/bin/pulumi-resource-kubernetes"
log "  build took $((SECONDS - bstart)) s; total $((SECONDS - start)) s"
printf '%s\n' "$want" >"$OUT/.stamp"
status true
