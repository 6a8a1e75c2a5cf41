#!/usr/bin/env bash
# lab/run.sh: `npm run lab [-- options]`: install what is missing (lab/install.sh), then run the local
# DR lab (lab/cli.ts: MinIO + PostgreSQL 15 + WAL-G on loopback, backup, PITR and restore drills,
# RPO/RTO report). Options are passed to lab/cli.ts (--archive-timeout S, --canary-interval S,
# --scale N, --load-seconds S, --keep, --json).
# Inputs (environment): TERNENT_CACHE, TERNENT_WALG_BIN, TERNENT_SKIP_APT (see lab/install.sh).
# Exit codes: 0 both drills passed; 1 a drill or step failed; 2 bad option; 4 blocked (a tool is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! bash lab/install.sh; then
    echo "lab: BLOCKED: lab/install.sh could not provide everything (see above)" >&2
    exit 4
fi
exec node_modules/.bin/ts-node --transpile-only lab/cli.ts "$@"
