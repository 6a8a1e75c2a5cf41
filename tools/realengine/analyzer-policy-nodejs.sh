#!/usr/bin/env bash
# Launcher of Node.js CrossGuard policy packs, installed by build.sh as the analyzer plugin
# `policy-nodejs` (the file pulumi-analyzer-policy-nodejs in the plugin cache). It replaces the
# Node.js language host for policy packs only.
#
# Why it is enough: for a pack with `runtime: nodejs` the v3.248 engine runs the pack through the
# `nodejs` language plugin when one is installed; without one it falls back to the analyzer plugin
# `policy-<runtime>`, started in the pack's directory with the arguments `<engine-address> .` (plus
# `-<option>=<value>` per runtime option of PulumiPolicy.yaml) and the stack's config, project, stack
# and dry-run flag in the environment (PULUMI_CONFIG, PULUMI_NODEJS_*). This script runs the pack's own
# `@pulumi/pulumi/cmd/run-policy-pack` with exactly those arguments, which type-checks and loads the
# pack (index.ts) and serves the Analyzer gRPC API.
#
# Usage (by the engine): pulumi-analyzer-policy-nodejs <engine-address> <pack-directory> [-option=value ...]
# Inputs: the working directory is the pack's; `node` on PATH; the engine's environment as above.
# Output: stdout belongs to the plugin protocol (the first line is the port the analyzer listens on),
#         so this launcher prints nothing there itself; errors go to stderr.
# Exit codes: those of run-policy-pack; 2 bad usage; 3 the pack's node_modules lack run-policy-pack.
set -euo pipefail

if [ $# -lt 2 ]; then
	echo "pulumi-analyzer-policy-nodejs: usage: <engine-address> <pack-directory> [-option=value ...]" >&2
	exit 2
fi
command -v node >/dev/null || { echo "pulumi-analyzer-policy-nodejs: node not found on PATH" >&2; exit 2; }

# The pack's own copy of @pulumi/pulumi (resolved from the pack directory), as the language host does.
# shellcheck disable=SC2016 # JavaScript, not shell
if ! entry=$(node -e '
try {
  process.stdout.write(require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [process.cwd()] }));
} catch (e) {
  process.stderr.write(`${e.message}\n`);
  process.exit(3);
}'); then
	echo "pulumi-analyzer-policy-nodejs: Cannot find module '@pulumi/pulumi/cmd/run-policy-pack' from $(pwd); run npm ci in the pack directory" >&2
	exit 3
fi
exec node "$entry" "$@"
