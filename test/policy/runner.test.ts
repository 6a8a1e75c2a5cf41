import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ResourceValidationPolicy, StackValidationPolicy } from "../../policy/lib/sdk";
import { UNKNOWN_STRING_SENTINEL } from "../../policy/lib/values";
import { PROJECT, securePlaceholder } from "../../tools/harness";
import {
    analyzeResource, analyzerContext, analyzeStack, blankSecureConfig, defaultPack, engineResources, PackInfo, parseArgs,
    parsePolicyPackConfig, PolicyConfigError, reconcilePolicyPackConfig, runPolicies, UsageError,
} from "../../tools/policy-run";
import { contractStack } from "./fixtures";

const packOf = (...policies: Array<ResourceValidationPolicy | StackValidationPolicy>): PackInfo =>
    ({ name: "test-pack", version: "0.0.1", enforcementLevel: "advisory", policies });

describe("tools/policy-run.ts: policy pack config (as --policy-pack-config)", () => {
    it("starts from each policy's schema defaults and enforcement level", () => {
        const c = reconcilePolicyPackConfig(defaultPack());
        assert.deepEqual(c["retention-daily-backups"], { enforcementLevel: "mandatory", properties: { minDailyBackups: 7 } });
        assert.deepEqual(c["pitr-drill-monthly"].properties, { maxPitrDrillIntervalDays: 31 });
        assert.deepEqual(c["stateful-resources-protected"].properties.prodStacks, ["prod"]);
    });

    it("applies `all` first and then per-policy settings", () => {
        const c = reconcilePolicyPackConfig(defaultPack(), parsePolicyPackConfig({
            all: "advisory", "archive-timeout": { enforcementLevel: "mandatory", maxArchiveTimeoutSeconds: 30 },
        }));
        assert.equal(c["retention-daily-backups"].enforcementLevel, "advisory");
        assert.deepEqual(c["archive-timeout"], { enforcementLevel: "mandatory", properties: { maxArchiveTimeoutSeconds: 30 } });
    });

    it("rejects a value of the wrong type, naming the policy and the key", () => {
        assert.throws(() => reconcilePolicyPackConfig(defaultPack(), parsePolicyPackConfig({ "retention-daily-backups": { minDailyBackups: "seven" } })),
            (e: unknown) => e instanceof PolicyConfigError && /retention-daily-backups: minDailyBackups: Invalid type\. Expected: integer/.test((e as Error).message));
    });

    it("rejects a value below the schema minimum", () => {
        assert.throws(() => reconcilePolicyPackConfig(defaultPack(), parsePolicyPackConfig({ "retention-daily-backups": { minDailyBackups: 0 } })),
            /minDailyBackups: Must be greater than or equal to 1/);
    });

    it("rejects an unknown enforcement level", () => {
        assert.throws(() => parsePolicyPackConfig({ "archive-timeout": "strict" }), /"strict" is not a valid enforcement level/);
    });

    it("refuses a config naming a policy the pack does not have", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-policy-config-"));
        try {
            const file = path.join(dir, "config.json");
            fs.writeFileSync(file, JSON.stringify({ "retention-daily": { minDailyBackups: 3 } }));
            await assert.rejects(runPolicies({ stack: "prod", policyConfig: file }), /names "retention-daily", which is not a policy of ternent-postgres-recoverability/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("tools/policy-run.ts: the analyzer", () => {
    const resources = () => engineResources(PROJECT, "prod", contractStack(), { out: "x" });

    it("adds the root stack as parent of top-level resources and one default provider per package", () => {
        const rs = resources();
        const root = rs[0];
        assert.equal(root.urn, "urn:pulumi:prod::ternent-postgres::pulumi:pulumi:Stack::ternent-postgres-prod");
        assert.deepEqual(root.outputs, { out: "x" });
        assert.equal(rs.find((r) => r.name === "storage")!.parent, root.urn);
        const k8s = rs.find((r) => r.type === "pulumi:providers:kubernetes")!;
        assert.match(k8s.urn, /::pulumi:providers:kubernetes::default_\d+_\d+_\d+/);
        assert.equal(rs.find((r) => r.name === "postgres-statefulset")!.provider!.urn, k8s.urn);
        assert.equal(rs.find((r) => r.name === "postgres")!.provider, undefined, "components have no provider");
    });

    it("passes inputs through the unknown-checking proxy: touching an unknown turns the policy into an advisory", async () => {
        const policy: ResourceValidationPolicy = {
            name: "reads-image", description: "reads spec.replicas", enforcementLevel: "mandatory",
            validateResource: (args, report) => {
                if (args.type === "kubernetes:apps/v1:StatefulSet" && args.props.spec.replicas !== 1) {
                    report("not one replica");
                }
            },
        };
        const sts = resources().find((r) => r.name === "postgres-statefulset")!;
        const unknown = { ...sts, inputs: { ...sts.inputs, spec: { ...(sts.inputs.spec as object), replicas: UNKNOWN_STRING_SENTINEL } } };
        const r = await analyzeResource(analyzerContext({ stack: "prod", pack: packOf(policy) }), unknown);
        assert.equal(r.diagnostics.length, 1);
        assert.equal(r.diagnostics[0].enforcementLevel, "advisory");
        assert.match(r.diagnostics[0].message, /can't run policy 'reads-image' from policy pack 'test-pack@v0\.0\.1' during preview: string value at \.spec\.replicas can't be known during preview/);
    });

    it("uses the enforcement level from the config, and skips disabled policies", async () => {
        const policy: StackValidationPolicy = {
            name: "always", description: "always reports", enforcementLevel: "mandatory",
            validateStack: (_args, report) => report("found"),
        };
        const rs = resources();
        const advisory = await analyzeStack(analyzerContext({ stack: "prod", pack: packOf(policy), config: { always: { enforcementLevel: "advisory", properties: {} } } }), rs);
        const disabled = await analyzeStack(analyzerContext({ stack: "prod", pack: packOf(policy), config: { always: { enforcementLevel: "disabled", properties: {} } } }), rs);
        assert.deepEqual(advisory.diagnostics.map((d) => d.enforcementLevel), ["advisory"]);
        assert.equal(disabled.diagnostics.length, 0);
    });

    it("attributes stack violations without a resource (or with a foreign URN) to the root stack", async () => {
        const policy: StackValidationPolicy = {
            name: "two", description: "d", enforcementLevel: "mandatory",
            validateStack: (_args, report) => {
                report("no urn");
                report("foreign", "urn:pulumi:other::x::t::n");
            },
        };
        const r = await analyzeStack(analyzerContext({ stack: "prod", pack: packOf(policy) }), resources());
        assert.deepEqual(r.diagnostics.map((d) => d.urn), Array(2).fill("urn:pulumi:prod::ternent-postgres::pulumi:pulumi:Stack::ternent-postgres-prod"));
        assert.equal(r.diagnostics[0].message, "d\nno urn");
    });

    it("links parents, dependencies and propertyDependencies to resource objects and freezes the stack tags", async () => {
        let seen: { parent?: string; deps: string[]; prop: string[]; tag?: string; frozen: boolean } | undefined;
        const policy: StackValidationPolicy = {
            name: "inspect", description: "d", enforcementLevel: "mandatory",
            validateStack: (args) => {
                const secret = args.resources.find((r) => r.name === "dr-backup-secret")!;
                seen = {
                    parent: secret.parent?.name, deps: secret.dependencies.map((d) => d.name).sort(),
                    prop: (secret.propertyDependencies.stringData ?? []).map((d) => d.name).sort(),
                    tag: args.stackTags.get("environment"), frozen: Object.isFrozen(args.stackTags),
                };
            },
        };
        await analyzeStack(analyzerContext({ stack: "prod", pack: packOf(policy), tags: { environment: "production" } }), resources());
        assert.deepEqual(seen, {
            parent: "dr", deps: ["storage-bucket", "storage-dr-key", "storage-walg-libsodium-key"],
            prop: ["storage-bucket", "storage-dr-key", "storage-walg-libsodium-key"], tag: "production", frozen: true,
        });
    });

    it("treats values built from undecryptable secure config as unknown", () => {
        const placeholder = securePlaceholder("ternent-postgres:walgLibsodiumKey");
        const rs = resources().map((r) => (r.name === "dr-backup-secret"
            ? { ...r, inputs: { stringData: { WALG_LIBSODIUM_KEY: placeholder, X: "plain" } } } : r));
        const out = blankSecureConfig(rs, { "ternent-postgres:walgLibsodiumKey": placeholder });
        assert.deepEqual(out.find((r) => r.name === "dr-backup-secret")!.inputs, { stringData: { WALG_LIBSODIUM_KEY: UNKNOWN_STRING_SENTINEL, X: "plain" } });
    });
});

describe("tools/policy-run.ts: command line", () => {
    it("parses --stack, --stack-file, --config and --preview", () => {
        assert.deepEqual(parseArgs(["--stack", "prod", "--stack-file", "x.yaml", "--config", "c.json", "--preview"]),
            { stack: "prod", stackFile: "x.yaml", policyConfig: "c.json", preview: true, json: false });
    });

    it("requires --stack", () => {
        assert.throws(() => parseArgs([]), (e: unknown) => e instanceof UsageError && /--stack is required/.test((e as Error).message));
    });

    it("rejects unknown arguments and stack names with path characters", () => {
        assert.throws(() => parseArgs(["--stack", "prod", "--yes"]), /unknown argument "--yes"/);
        assert.throws(() => parseArgs(["--stack", "../prod"]), /not a valid stack name/);
    });
});
