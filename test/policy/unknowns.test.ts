import { strict as assert } from "assert";
import { policies } from "../../policy/policies/all";
import { baseBackupDaily } from "../../policy/policies/base-backup-daily";
import { drReadOnlyKey } from "../../policy/policies/dr-read-only-key";
import { retentionDailyBackups } from "../../policy/policies/retention-daily-backups";
import { walgClientSideEncryption } from "../../policy/policies/walg-client-side-encryption";
import { CapturedResource } from "../../tools/harness";
import { UNKNOWN_OBJECT, UNKNOWN_STRING, containerOf, contractStack, edit, firstPreview, setEnv } from "./fixtures";
import { runPolicy } from "./run-policy";

/** Every workload's pod template unknown, as when it is built from an output of a new resource. */
function templatesUnknown(rs: CapturedResource[]): CapturedResource[] {
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
            const r = await runPolicy(policy, firstPreview(contractStack()));
            assert.deepEqual(r.mandatory.map((d) => d.message), []);
        });
    }

    for (const policy of policies) {
        it(`${policy.name} runs without error when every pod template is unknown, reporting at most advisories`, async () => {
            const r = await runPolicy(policy, templatesUnknown(contractStack()));
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
        it("hides only the WAL-G encryption checks: one advisory, from walg-client-side-encryption", async () => {
            const stack = firstPreview(contractStack());
            const secrets = stack.filter((r) => r.type === "kubernetes:core/v1:Secret");
            assert.ok(secrets.length === 3 && secrets.every((r) => r.outputs.stringData === UNKNOWN_OBJECT), "every Secret's data is one unknown object");
            const advisories: string[] = [];
            for (const policy of policies) {
                advisories.push(...(await runPolicy(policy, stack)).advisory.map((d) => d.policyName));
            }
            assert.deepEqual(advisories, ["walg-client-side-encryption"]);
        });

        it("still refuses a read-write DR key, found through the Secret's dependencies", async () => {
            const stack = edit(contractStack(), "storage-dr-key", (p) => {
                p.grants = [{ bucket: "ternent-postgres-backups-prod", permission: "readwrite" }];
            });
            const r = await runPolicy(drReadOnlyKey, firstPreview(stack));
            assert.match(r.text, /is built from SpacesKey ternent-postgres-backups-prod-dr \(its data depends on it\) with grant readwrite/);
        });

        it("knows the backup job writes where the primary archives: both read WALG_S3_PREFIX from the same Secret", async () => {
            const r = await runPolicy(baseBackupDaily, firstPreview(contractStack()));
            assert.deepEqual(r.diagnostics, []);
        });

        it("says the encryption settings of each WAL-G consumer wait for the Secret's data", async () => {
            const r = await runPolicy(walgClientSideEncryption, firstPreview(contractStack()));
            assert.equal(r.mandatory.length, 0);
            assert.equal(r.advisory.length, 1);
            assert.match(r.advisory[0].message, /the WAL-G encryption settings of container backup of CronJob backend\/ternent-postgres-backup \(Secret backend\/ternent-postgres-backup: data unknown until apply\)/);
        });
    });
});
