#!/usr/bin/env bash
# tools/controlplane/build.sh: builds the Kubernetes control plane the control-plane tests start
# (test/controlplane/), from the Go modules pinned in this directory's go.mod, into a cache outside the
# repository. Idempotent: a second run only checks the stamp (go.mod, go.sum, Go version, flags).
#
#   $CP/bin/etcd                     go.etcd.io/etcd/server/v3            (the version go.mod requires)
#   $CP/bin/kube-apiserver           k8s.io/kubernetes/cmd/kube-apiserver
#   $CP/bin/kube-controller-manager  k8s.io/kubernetes/cmd/kube-controller-manager
#   $CP/bin/kubectl                  k8s.io/kubernetes/cmd/kubectl (the same release: a kubectl on PATH may be
#                                    outside the supported +/-1 minor skew; the machine image's is 1.32)
# with CP=${TERNENT_CACHE:-~/.cache/ternent-postgres}/controlplane, `go build -trimpath -ldflags=-s -w`
# (plus the Kubernetes version stamp), GOMODCACHE=$TERNENT_CACHE/gomod, GOCACHE=$TERNENT_CACHE/gobuild.
# Writes $CP/status.json: {"ok": true|false, "kubernetes": "v1.34.4", "etcd": "v3.6.4", "bin": ...,
# "kubectl": <path>, "reason": <why not ok>} for the tests, and one JSON line on stdout.
#
# Inputs (env): TERNENT_CACHE (default ~/.cache/ternent-postgres). No options.
# Exit codes:   0 built (or cached), 1 a build failed (the exact error is printed and recorded),
#               2 bad usage or environment (no go, no openssl, no node).
set -euo pipefail

if [ "$#" -gt 0 ]; then
	echo "controlplane/build.sh: no arguments expected (got '$*')" >&2
	exit 2
fi

SRC=$(cd "$(dirname "$0")" && pwd)
CACHE=${TERNENT_CACHE:-$HOME/.cache/ternent-postgres}
CP=$CACHE/controlplane
BIN=$CP/bin
export GOMODCACHE=$CACHE/gomod GOCACHE=$CACHE/gobuild GOFLAGS="-mod=readonly -buildvcs=false"
log() { printf 'controlplane/build: %s\n' "$*" >&2; }
command -v go >/dev/null 2>&1 || { log "go not found on PATH"; exit 2; }
command -v openssl >/dev/null 2>&1 || { log "openssl not found on PATH (the tests generate their certificates with it)"; exit 2; }
command -v node >/dev/null 2>&1 || { log "node not found on PATH"; exit 2; }
mkdir -p "$BIN"

modver() { awk -v m="$1" '$1 == m { print $2; exit }' "$SRC/go.mod"; }
K8S_VERSION=$(modver k8s.io/kubernetes)
ETCD_VERSION=$(modver go.etcd.io/etcd/server/v3)
if [ -z "$K8S_VERSION" ] || [ -z "$ETCD_VERSION" ]; then
	log "go.mod does not pin k8s.io/kubernetes and go.etcd.io/etcd/server/v3"
	exit 2
fi
minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
# What `make` would stamp into the binaries (component-base/version; the apiserver reports it at /version).
vpkg=k8s.io/component-base/version
k8s_ldflags="-s -w -X $vpkg.gitVersion=$K8S_VERSION -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$minor -X $vpkg.gitTreeState=clean -X $vpkg.buildDate=1970-01-01T00:00:00Z"

targets=(etcd:go.etcd.io/etcd/server/v3 kube-apiserver:k8s.io/kubernetes/cmd/kube-apiserver
	kube-controller-manager:k8s.io/kubernetes/cmd/kube-controller-manager kubectl:k8s.io/kubernetes/cmd/kubectl)

write_status() { # ok reason
	node -e '
	const [file, ok, reason, k8s, etcd, bin, kubectl] = process.argv.slice(1);
	const s = { ok: ok === "true", kubernetes: k8s, etcd, bin, kubectl: kubectl || null, reason: reason || null };
	require("fs").writeFileSync(file, JSON.stringify(s, null, 2) + "\n");
	console.log(JSON.stringify(s));
	' "$CP/status.json" "$1" "${2:-}" "$K8S_VERSION" "$ETCD_VERSION" "$BIN" "$BIN/kubectl"
}

want=$({ go version; printf '%s\n' "$k8s_ldflags" "${targets[@]}"; cat "$SRC/go.mod" "$SRC/go.sum"; } | sha256sum | cut -d' ' -f1)
all_there=true
for t in "${targets[@]}"; do [ -x "$BIN/${t%%:*}" ] || all_there=false; done
if $all_there && [ "$(cat "$CP/.stamp" 2>/dev/null || true)" = "$want" ]; then
	log "cached in $BIN (kubernetes $K8S_VERSION, etcd $ETCD_VERSION)"
	write_status true
	exit 0
fi

rm -f "$CP/.stamp"
total_start=$SECONDS
for t in "${targets[@]}"; do
	name=${t%%:*} pkg=${t#*:}
	flags=$k8s_ldflags
	[ "$name" = etcd ] && flags="-s -w"
	log "go build $pkg -> $BIN/$name"
	start=$SECONDS
	if ! (cd "$SRC" && go build -trimpath -ldflags="$flags" -o "$BIN/$name.tmp" "$pkg") 2>"$CP/build-$name.log"; then
		log "building $name FAILED; the exact error:"
		sed 's/^/    /' "$CP/build-$name.log" >&2
		rm -f "$BIN/$name.tmp"
		write_status false "go build $pkg failed: $(head -c 2000 "$CP/build-$name.log" | tr '\n' ' ')"
		exit 1
	fi
	mv -f "$BIN/$name.tmp" "$BIN/$name"
	log "  $name took $((SECONDS - start)) s"
done
log "built in $((SECONDS - total_start)) s"
"$BIN/kube-apiserver" --version >&2
"$BIN/etcd" --version | head -1 >&2
printf '%s\n' "$want" >"$CP/.stamp"
write_status true
