// The Node.js language host of the Pulumi release in ../go.mod. Its module has no tags, so it is required
// by the pseudo-version of the commit tagged v3.248.0 (a88168d865b7, committed 2026-06-24T12:07:34Z).
// A module of its own so that a refusal by the module proxy cannot break the CLI build in ../go.mod.
// No go.sum is committed while the proxy refuses this version (see ../README.md).
module ternent-postgres/tools/realengine/langhost

go 1.25.11

require (
	github.com/pulumi/pulumi/pkg/v3 v3.248.0
	github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 v3.0.0-20260624120734-a88168d865b7
	github.com/pulumi/pulumi/sdk/v3 v3.248.0
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
