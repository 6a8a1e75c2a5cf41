import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { policies } from "../../policy/policies/all";
import { UNKNOWN_STRING_SENTINEL } from "../../policy/lib/values";
import { CapturedResource, PROJECT, securePlaceholder } from "../../tools/harness";
import { AnalyzerInfo, PackAnalyzer } from "../../tools/policy/analyzer";
import { GivenConfig, parsePolicyPackConfig, PolicyConfigError, reconcilePolicyConfig } from "../../tools/policy/config";
import { blankSecureConfig, engineResources } from "../../tools/policy/resources";
import { applyPack, PackRun, parseArgs, runPolicies, UsageError } from "../../tools/policy-run";
import { packAnalyzer } from "./analyzer";
import { RO_ACCESS_KEY, RW_ACCESS_KEY, containerOf, contractStack, edit, editResource, setEnv, without } from "./fixtures";
import { runPolicy } from "./run-policy";

const ROOT = "urn:pulumi:prod::ternent-postgres::pulumi:pulumi:Stack::ternent-postgres-prod";
type Props = Record<string, unknown>;

const retentionEnv = (name: string, value: string) => edit(contractStack(), "backups-retention", (p) => setEnv(containerOf(p), name, value));

/** Key ids and the Secret values made from them unknown, as in a first preview. */
function keysUnknown(rs: CapturedResource[]): CapturedResource[] {
    const blank = (v: unknown): unknown => (v === RW_ACCESS_KEY || v === RO_ACCESS_KEY ? UNKNOWN_STRING_SENTINEL
        : Array.isArray(v) ? v.map(blank) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, blank(x)])) : v);
    return rs.map((r) => ({ ...r, inputs: blank(r.inputs) as Props, outputs: blank(r.outputs) as Props }));
}

const brief = (d: { enforcementLevel: string; policyName: string; urn: string; message: string }) =>
    `${d.enforcementLevel} ${d.policyName} ${d.urn}\n${d.message}`;

describe("tools/policy-run.ts with the pack's own analyzer", function () {
    this.timeout(120_000);
    let analyzer: PackAnalyzer;
    let info: AnalyzerInfo;
    before(async function () {
        this.timeout(300_000); // the first suite installs and starts the standalone pack
        analyzer = await packAnalyzer();
        info = await analyzer.info();
    });

    /** The pack over a fixture stack, as the engine drives the analyzer. */
    const analyse = (captured: CapturedResource[], o: { stack?: string; config?: GivenConfig; tags?: Record<string, string> } = {}): Promise<PackRun> =>
        applyPack(analyzer, {
            stack: o.stack ?? "prod", resources: engineResources(PROJECT, o.stack ?? "prod", captured, {}), policyConfig: o.config,
            tags: new Map(Object.entries({ "pulumi:project": PROJECT, "pulumi:runtime": "nodejs", ...o.tags })),
        });

    describe("policy pack config (as --policy-pack-config, against the schemas GetAnalyzerInfo reports)", () => {
        it("starts from each policy's schema defaults and enforcement level", () => {
            const c = reconcilePolicyConfig(info);
            assert.deepEqual(c["retention-daily-backups"], { enforcementLevel: "mandatory", properties: { minDailyBackups: 7 } });
            assert.deepEqual(c["pitr-drill-monthly"].properties, { maxPitrDrillIntervalDays: 31 });
            assert.deepEqual(c["stateful-resources-protected"].properties.prodStacks, ["prod"]);
        });

        it("applies `all` first and then per-policy settings", () => {
            const c = reconcilePolicyConfig(info, parsePolicyPackConfig({
                all: "advisory", "archive-timeout": { enforcementLevel: "mandatory", maxArchiveTimeoutSeconds: 30 },
            }));
            assert.equal(c["retention-daily-backups"].enforcementLevel, "advisory");
            assert.deepEqual(c["archive-timeout"], { enforcementLevel: "mandatory", properties: { maxArchiveTimeoutSeconds: 30 } });
        });

        it("rejects a value of the wrong type, naming the policy, the key and the value", () => {
            assert.throws(() => reconcilePolicyConfig(info, parsePolicyPackConfig({ "retention-daily-backups": { minDailyBackups: "seven" } })),
                (e: unknown) => e instanceof PolicyConfigError && /retention-daily-backups: minDailyBackups: must be integer \(given "seven"\)/.test((e as Error).message));
        });

        it("rejects a value below the schema minimum", () => {
            assert.throws(() => reconcilePolicyConfig(info, parsePolicyPackConfig({ "retention-daily-backups": { minDailyBackups: 0 } })),
                /retention-daily-backups: minDailyBackups: must be >= 1 \(given 0\)/);
        });

        it("rejects an unknown enforcement level", () => {
            assert.throws(() => parsePolicyPackConfig({ "archive-timeout": "strict" }), /"strict" is not a valid enforcement level/);
        });

        it("refuses a config file naming a policy the pack does not have", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-policy-config-"));
            try {
                const file = path.join(dir, "config.json");
                fs.writeFileSync(file, JSON.stringify({ "retention-daily": { minDailyBackups: 3 } }));
                await assert.rejects(runPolicies({ stack: "prod", policyConfig: file }, analyzer),
                    /names "retention-daily", which is not a policy of ternent-postgres-recoverability/);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    describe("the resources and calls the engine makes", () => {
        it("adds the root stack as parent of top-level resources and one default provider per package", () => {
            const rs = engineResources(PROJECT, "prod", contractStack(), { out: "x" });
            const root = rs[0];
            assert.equal(root.urn, ROOT);
            assert.deepEqual(root.outputs, { out: "x" });
            assert.equal(rs.find((r) => r.name === "storage")!.parent, root.urn);
            const k8s = rs.find((r) => r.type === "pulumi:providers:kubernetes")!;
            assert.match(k8s.urn, /::pulumi:providers:kubernetes::default_\d+_\d+_\d+/);
            assert.equal(rs.find((r) => r.name === "postgres-statefulset")!.provider!.urn, k8s.urn);
            assert.equal(rs.find((r) => r.name === "postgres")!.provider, undefined, "components have no provider");
        });

        it("treats values built from undecryptable secure config as unknown", () => {
            const placeholder = securePlaceholder("ternent-postgres:walgLibsodiumKey");
            const rs = engineResources(PROJECT, "prod", contractStack(), {}).map((r) => (r.name === "dr-backup-secret"
                ? { ...r, inputs: { stringData: { WALG_LIBSODIUM_KEY: placeholder, X: "plain" } } } : r));
            const out = blankSecureConfig(rs, { "ternent-postgres:walgLibsodiumKey": placeholder });
            assert.deepEqual(out.find((r) => r.name === "dr-backup-secret")!.inputs, { stringData: { WALG_LIBSODIUM_KEY: UNKNOWN_STRING_SENTINEL, X: "plain" } });
        });

        it("gets a check an unknown value hid back as the analyzer's advisory, not as a violation", async () => {
            const r = await analyse(retentionEnv("TERNENT_RETAIN_DAILY", UNKNOWN_STRING_SENTINEL));
            assert.deepEqual(r.mandatory.map(brief), []);
            assert.deepEqual(r.advisory.map((d) => d.policyName), ["retention-daily-backups"]);
            assert.match(r.advisory[0].message, /^can't run policy 'retention-daily-backups' from policy pack 'ternent-postgres-recoverability@v0\.1\.0' during preview: 1 check\(s\) need values that are unknown/);
        });

        it("uses the enforcement level from the config, and skips disabled policies", async () => {
            const weak = retentionEnv("TERNENT_RETAIN_DAILY", "3");
            const advisory = await analyse(weak, { config: parsePolicyPackConfig({ "retention-daily-backups": "advisory" }) });
            const disabled = await analyse(weak, { config: parsePolicyPackConfig({ "retention-daily-backups": "disabled" }) });
            const mandatory = await analyse(weak);
            assert.deepEqual(advisory.diagnostics.map((d) => `${d.enforcementLevel} ${d.policyName}`), ["advisory retention-daily-backups"]);
            assert.deepEqual(disabled.diagnostics.map(brief), []);
            assert.deepEqual(mandatory.mandatory.map((d) => d.policyName), ["retention-daily-backups"]);
        });

        it("puts a stack violation that names no resource on the root stack, and resource violations on their resource", async () => {
            let stack = without(contractStack(), "backups-retention");
            stack = edit(stack, "postgres-statefulset", (p) => {
                containerOf(p).image = "postgres:latest";
            });
            const r = await analyse(stack);
            const on = (name: string) => r.mandatory.filter((d) => d.policyName === name).map((d) => `${d.phase} ${d.urn}`);
            assert.deepEqual(on("retention-job-scheduled"), [`stack ${ROOT}`]);
            assert.deepEqual(on("container-images-pinned"), [`resource ${stack.find((x) => x.name === "postgres-statefulset")!.urn}`]);
        });

        it("links dependencies and property dependencies: a read-write DR key is found while key ids are unknown", async () => {
            const stack = keysUnknown(edit(contractStack(), "storage-dr-key", (p) => {
                p.grants = [{ bucket: "ternent-postgres-backups-prod", permission: "readwrite" }];
            }));
            const r = await analyse(stack);
            assert.deepEqual(r.mandatory.map((d) => d.policyName), ["dr-read-only-key"]);
            assert.match(r.mandatory[0].message, /is built from SpacesKey ternent-postgres-backups-prod-dr \(its data depends on it\) with grant readwrite/);
        });

        it("sends the stack tags: a stack tagged environment=production must protect its state", async () => {
            const live = contractStack({ stack: "live", protect: false });
            const tagged = await analyse(live, { stack: "live", tags: { environment: "production" } });
            const untagged = await analyse(live, { stack: "live" });
            assert.ok(tagged.mandatory.some((d) => d.policyName === "stateful-resources-protected"), "the production tag is seen");
            assert.deepEqual(untagged.mandatory.map(brief), []);
        });

        it("gives exactly the findings of the policy tests' direct calls (test/policy/run-policy.ts)", async () => {
            let stack = retentionEnv("TERNENT_RETAIN_DAILY", "3");
            stack = edit(stack, "backups-retention", (p) => setEnv(containerOf(p), "TERNENT_RETAIN_WEEKLY", UNKNOWN_STRING_SENTINEL));
            stack = edit(stack, "storage-dr-key", (p) => {
                p.grants = [{ bucket: "ternent-postgres-backups-prod", permission: "readwrite" }];
            });
            stack = edit(stack, "postgres-statefulset", (p) => {
                containerOf(p).image = "postgres:latest";
            });
            stack = keysUnknown(editResource(stack, "storage-bucket", (r) => ({ ...r, options: { ...r.options, protect: false } })));
            const served = await analyse(stack, { config: parsePolicyPackConfig({ "archive-timeout": { maxArchiveTimeoutSeconds: 30 } }) });
            const direct = [];
            for (const policy of policies) {
                const config = policy.name === "archive-timeout" ? { maxArchiveTimeoutSeconds: 30 } : {};
                direct.push(...(await runPolicy(policy, stack, { config })).diagnostics);
            }
            const names = new Set(served.diagnostics.map((d) => `${d.enforcementLevel}:${d.policyName}`));
            for (const expected of ["mandatory:retention-daily-backups", "mandatory:dr-read-only-key", "mandatory:container-images-pinned",
                "mandatory:stateful-resources-protected", "mandatory:archive-timeout", "advisory:retention-weekly-backups"]) {
                assert.ok(names.has(expected), `expected ${expected} among ${[...names].join(", ")}`);
            }
            assert.deepEqual(direct.map(brief).sort(), served.diagnostics.map(brief).sort());
        });
    });
});

describe("tools/policy-run.ts: command line", () => {
    it("parses --stack, --stack-file, --config and --json", () => {
        assert.deepEqual(parseArgs(["--stack", "prod", "--stack-file", "x.yaml", "--config", "c.json", "--json"]),
            { stack: "prod", stackFile: "x.yaml", policyConfig: "c.json", json: true });
    });

    it("requires --stack", () => {
        assert.throws(() => parseArgs([]), (e: unknown) => e instanceof UsageError && /--stack is required/.test((e as Error).message));
    });

    it("rejects unknown arguments and stack names with path characters", () => {
        assert.throws(() => parseArgs(["--stack", "prod", "--yes"]), /unknown argument "--yes"/);
        assert.throws(() => parseArgs(["--stack", "../prod"]), /not a valid stack name/);
    });

    it("refuses --preview and names the real engine's preview instead", () => {
        assert.throws(() => parseArgs(["--stack", "prod", "--preview"]), /--preview is gone: .*npm run preview:real/);
    });
});
