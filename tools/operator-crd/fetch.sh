#!/usr/bin/env bash
# tools/operator-crd/fetch.sh: gets the postgres-operator's own postgresql CRD at the version pinned in
# lib/postgres-operator.json, through the Go module proxy (the module zip holds the repository's
# manifests; go verifies it against sum.golang.org), into a cache outside the repository. The tests
# (test/components/ha-cluster.test.ts, test/tools/operator-crd.test.ts, test/controlplane/ha.test.ts)
# judge the rendered cluster resource by both schemas it writes:
#
#   $OUT/postgresql.crd.yaml             the module's manifests/postgresql.crd.yaml (what `kubectl apply`
#                                        and the Helm chart install), sha256 checked against the pin
#   $OUT/postgresql.crd.registered.json  the CRD the operator registers itself at start-up (its Go value
#                                        acidv1.PostgresCRD, printed by main.go built from go.mod here)
#   $OUT/status.json                     {"ok", "module", "version", "sum", "dir", "crd", "registeredCrd",
#                                        "reason"}; also printed as one JSON line on stdout
#
# with OUT=${TERNENT_CACHE:-~/.cache/ternent-postgres}/operator-crd/<version>, GOMODCACHE=$TERNENT_CACHE/gomod,
# GOCACHE=$TERNENT_CACHE/gobuild. Idempotent: a second run checks a stamp and rebuilds nothing.
#
# Inputs (env): TERNENT_CACHE (default ~/.cache/ternent-postgres). No options.
# Exit codes:   0 fetched (or cached); 1 the download, a checksum or the build failed (named, recorded in
#               status.json); 2 bad usage or environment (no go, no node, go.mod not pinning the version).
set -euo pipefail

if [ "$#" -gt 0 ]; then
	echo "operator-crd/fetch.sh: no arguments expected (got '$*')" >&2
	exit 2
fi
SRC=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$SRC/../.." && pwd)
CACHE=${TERNENT_CACHE:-$HOME/.cache/ternent-postgres}
export GOMODCACHE=$CACHE/gomod GOCACHE=$CACHE/gobuild
log() { printf 'operator-crd/fetch: %s\n' "$*" >&2; }
command -v go >/dev/null 2>&1 || { log "go not found on PATH"; exit 2; }
command -v node >/dev/null 2>&1 || { log "node not found on PATH"; exit 2; }

pin() { node -e 'const p = require(process.argv[1]); const v = p[process.argv[2]]; if (!v) process.exit(1); console.log(v)' "$REPO/lib/postgres-operator.json" "$1"; }
MODULE=$(pin module) VERSION=$(pin version) SUM=$(pin moduleSum) CRD_FILE=$(pin crdFile) CRD_SHA=$(pin crdSha256)
gomod_version=$(awk -v m="$MODULE" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$SRC/go.mod")
if [ "$gomod_version" != "$VERSION" ]; then
	log "tools/operator-crd/go.mod requires $MODULE ${gomod_version:-(nothing)}, lib/postgres-operator.json pins $VERSION: make them agree"
	exit 2
fi
OUT=$CACHE/operator-crd/$VERSION
mkdir -p "$OUT"

status() { # ok reason [dir]
	node -e '
	const [file, ok, reason, module, version, sum, dir, out] = process.argv.slice(1);
	const s = { ok: ok === "true", module, version, sum, dir: dir || null,
		crd: out + "/postgresql.crd.yaml", registeredCrd: out + "/postgresql.crd.registered.json", reason: reason || null };
	require("fs").writeFileSync(file, JSON.stringify(s, null, 2) + "\n");
	console.log(JSON.stringify(s));
	' "$OUT/status.json" "$1" "${2:-}" "$MODULE" "$VERSION" "$SUM" "${3:-}" "$OUT"
}
fail() {
	log "$1"
	status false "$1"
	exit 1
}

want=$({ go version; cat "$REPO/lib/postgres-operator.json" "$SRC/go.mod" "$SRC/go.sum" "$SRC/main.go"; } | sha256sum | cut -d' ' -f1)
if [ -s "$OUT/postgresql.crd.yaml" ] && [ -s "$OUT/postgresql.crd.registered.json" ] && [ "$(cat "$OUT/.stamp" 2>/dev/null || true)" = "$want" ]; then
	log "cached in $OUT ($MODULE $VERSION)"
	status true "" "$(node -e 'console.log(require(process.argv[1]).dir || "")' "$OUT/status.json" 2>/dev/null || true)"
	exit 0
fi
rm -f "$OUT/.stamp"

# 1. The module from the proxy; go checks its hash against go.sum's source (sum.golang.org).
log "go mod download $MODULE@$VERSION"
if ! dl=$(cd "$SRC" && go mod download -json "$MODULE@$VERSION" 2>"$OUT/download.err"); then
	fail "go mod download $MODULE@$VERSION failed: $(tail -n 3 "$OUT/download.err") $(printf '%s' "${dl:-}" | tr -d '\n' | cut -c1-300)"
fi
field() { printf '%s' "$dl" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s)[process.argv[1]] ?? ""))' "$1"; }
DIR=$(field Dir) GOT_SUM=$(field Sum)
[ "$GOT_SUM" = "$SUM" ] || fail "$MODULE@$VERSION has module hash $GOT_SUM, lib/postgres-operator.json pins $SUM"
[ -f "$DIR/$CRD_FILE" ] || fail "$DIR/$CRD_FILE is not in the module"
got=$(sha256sum "$DIR/$CRD_FILE" | cut -d' ' -f1)
[ "$got" = "$CRD_SHA" ] || fail "$CRD_FILE has sha256 $got, lib/postgres-operator.json pins $CRD_SHA"
cp "$DIR/$CRD_FILE" "$OUT/postgresql.crd.yaml.tmp"
chmod 0644 "$OUT/postgresql.crd.yaml.tmp"
mv "$OUT/postgresql.crd.yaml.tmp" "$OUT/postgresql.crd.yaml"

# 2. The CRD the operator registers itself, from its own Go code at the same version.
log "go build crd-dump (acidv1.PostgresCRD of $MODULE $VERSION)"
start=$SECONDS
if ! (cd "$SRC" && GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath -o "$OUT/crd-dump" .) 2>"$OUT/build.log"; then
	fail "building crd-dump failed: $(tail -n 5 "$OUT/build.log")"
fi
"$OUT/crd-dump" >"$OUT/postgresql.crd.registered.json.tmp" || fail "crd-dump failed"
mv "$OUT/postgresql.crd.registered.json.tmp" "$OUT/postgresql.crd.registered.json"
log "built and ran crd-dump in $((SECONDS - start)) s"

printf '%s\n' "$want" >"$OUT/.stamp"
status true "" "$DIR"
