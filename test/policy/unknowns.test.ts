import { strict as assert } from "assert";
import { policies } from "../../policy/policies/all";
import { baseBackupDaily } from "../../policy/policies/base-backup-daily";
import { drReadOnlyKey } from "../../policy/policies/dr-read-only-key";
import { retentionDailyBackups } from "../../policy/policies/retention-daily-backups";
import { walgClientSideEncryption } from "../../policy/policies/walg-client-side-encryption";
import { EngineResource, simulateFirstPreview } from "../../tools/policy-run";
import { containerOf, contractStack, edit, runPolicy, setEnv } from "./fixtures";

const UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Every workload's pod template unknown, as when it is built from an output of a new resource. */
function templatesUnknown(rs: EngineResource[]): EngineResource[] {
    const blank = (props: Record<string, unknown>, type: string) => {
        const p = JSON.parse(JSON.stringify(props)) as { spec?: Record<string, unknown> };
        if (type.endsWith(":CronJob") && p.spec) {
            p.spec.jobTemplate = UNKNOWN_OBJECT;
        } else if (type.endsWith(":StatefulSet") && p.spec) {
            p.spec.template = UNKNOWN_OBJECT;
        }
        return p as Record<string, unknown>;
    };
    return rs.map((r) => ({ ...r, inputs: blank(r.inputs, r.type), outputs: blank(r.outputs, r.type) }));
}

describe("policies with values unknown during preview", () => {
    for (const policy of policies) {
        it(`${policy.name} reports no mandatory violation on the first preview of the contract stack`, async () => {
            const r = await runPolicy(policy, contractStack(), { transform: simulateFirstPreview });
            assert.deepEqual(r.mandatory.map((d) => d.message), []);
        });
    }

    for (const policy of policies) {
        it(`${policy.name} runs without error when every pod template is unknown, reporting at most advisories`, async () => {
            const r = await runPolicy(policy, contractStack(), { transform: templatesUnknown });
            assert.deepEqual(r.mandatory.map((d) => d.message), []);
        });
    }

    it("says which check an unknown value hid, as an advisory", async () => {
        const r = await runPolicy(retentionDailyBackups, edit(contractStack(), "backups-retention", (p) => setEnv(containerOf(p), "TERNENT_RETAIN_DAILY", UNKNOWN_STRING)));
        assert.equal(r.mandatory.length, 0);
        assert.equal(r.advisory.length, 1);
        assert.match(r.advisory[0].message, /during preview: 1 check\(s\) need values that are unknown .*TERNENT_RETAIN_DAILY=\(unknown until apply\) on container retention of backend\/ternent-postgres-retention/);
    });

    it("still reports a known violation next to an unknown value in the same policy", async () => {
        let stack = edit(contractStack(), "backups-retention", (p) => setEnv(containerOf(p), "TERNENT_RETAIN_DAILY", "2"));
        stack = [...stack, { ...stack.find((r) => r.name === "backups-retention")!, name: "second", urn: stack.find((r) => r.name === "backups-retention")!.urn.replace(/::backups-retention$/, "::second") }];
        stack = edit(stack, "second", (p) => {
            (p.metadata as Record<string, unknown>).name = "ternent-postgres-retention-2";
            setEnv(containerOf(p), "TERNENT_RETAIN_DAILY", UNKNOWN_STRING);
        });
        const r = await runPolicy(retentionDailyBackups, stack);
        assert.deepEqual(r.diagnostics.map((d) => d.enforcementLevel).sort(), ["advisory", "mandatory"]);
        assert.match(r.text, /keeps 2 daily backups/);
    });

    describe("as the engine previews a new stack (a Secret's whole stringData unknown)", () => {
        it("marks every Secret built from a new key or password wholly unknown", async () => {
            const rs = simulateFirstPreview((await import("../../tools/policy-run")).engineResources("ternent-postgres", "prod", contractStack(), {}));
            const secrets = rs.filter((r) => r.type === "kubernetes:core/v1:Secret");
            assert.ok(secrets.length === 3 && secrets.every((r) => r.outputs.stringData === UNKNOWN_OBJECT), "stringData is one unknown object");
        });

        it("still refuses a read-write DR key, found through the Secret's dependencies", async () => {
            const stack = edit(contractStack(), "storage-dr-key", (p) => {
                p.grants = [{ bucket: "ternent-postgres-backups-prod", permission: "readwrite" }];
            });
            const r = await runPolicy(drReadOnlyKey, stack, { transform: simulateFirstPreview });
            assert.match(r.text, /is built from SpacesKey ternent-postgres-backups-prod-dr \(its data depends on it\) with grant readwrite/);
        });

        it("knows the backup job writes where the primary archives: both read WALG_S3_PREFIX from the same Secret", async () => {
            const r = await runPolicy(baseBackupDaily, contractStack(), { transform: simulateFirstPreview });
            assert.deepEqual(r.diagnostics, []);
        });

        it("says the encryption settings of each WAL-G consumer wait for the Secret's data", async () => {
            const r = await runPolicy(walgClientSideEncryption, contractStack(), { transform: simulateFirstPreview });
            assert.equal(r.mandatory.length, 0);
            assert.equal(r.advisory.length, 1);
            assert.match(r.advisory[0].message, /the WAL-G encryption settings of container backup of CronJob backend\/ternent-postgres-backup \(Secret backend\/ternent-postgres-backup: data unknown until apply\)/);
        });
    });
});
