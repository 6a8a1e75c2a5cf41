# shellcheck shell=bash
# Sourced (not run) by build.sh and preview.sh (test/realengine/engine.ts mirrors it): where the built
# tools live and the environment that keeps the real Pulumi CLI offline, out of ~/.pulumi and on the
# plugins build.sh installed.
#
# Inputs:  TERNENT_CACHE (default $HOME/.cache/ternent-postgres)
# Sets:    RE_ROOT (cache root of these tools), RE_BIN (built binaries), RE_SRC (this directory),
#          PULUMI_VERSION (the CLI/SDK release pinned in go.mod), PULUMI_HOME, PATH, GOMODCACHE,
#          GOCACHE and the PULUMI_* switches below.

RE_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TERNENT_CACHE=${TERNENT_CACHE:-$HOME/.cache/ternent-postgres}
RE_ROOT=$TERNENT_CACHE/realengine
RE_BIN=$RE_ROOT/bin
PULUMI_VERSION=$(awk '$1 == "github.com/pulumi/pulumi/pkg/v3" { print $2; exit }' "$RE_SRC/go.mod")
export TERNENT_CACHE RE_ROOT RE_BIN RE_SRC PULUMI_VERSION

export GOMODCACHE=$TERNENT_CACHE/gomod
export GOCACHE=$TERNENT_CACHE/gobuild
export GOFLAGS=-mod=mod

# Plugins (the pass-through double, the policy-nodejs analyzer) live in this PULUMI_HOME, never in the
# user's ~/.pulumi. Plugins on $PATH are ignored, so no pulumi-language-nodejs or real provider
# installed elsewhere on the machine can shadow them.
export PULUMI_HOME=$RE_ROOT/pulumi-home
export PATH=$RE_BIN:$PATH
export PULUMI_IGNORE_AMBIENT_PLUGINS=true

# No network: no update check, no plugin downloads, no registry look-ups, no telemetry-ish extras.
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_DISABLE_REGISTRY_RESOLVE=true
export PULUMI_SUPPRESS_NEO_LINK=true
export PULUMI_SKIP_CONFIRMATIONS=true
export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
