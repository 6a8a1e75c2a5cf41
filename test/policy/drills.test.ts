import { strict as assert } from "assert";
import { drReadOnlyKey } from "../../policy/policies/dr-read-only-key";
import { pitrDrillMonthly } from "../../policy/policies/pitr-drill-monthly";
import { restoreDrillWeekly } from "../../policy/policies/restore-drill-weekly";
import { UNKNOWN_STRING_SENTINEL } from "../../policy/lib/values";
import { CapturedResource } from "../../tools/harness";
import { RO_ACCESS_KEY, RW_ACCESS_KEY, containerOf, contractStack, edit, editResource, setEnv, without } from "./fixtures";
import { runPolicy } from "./run-policy";

type Props = Record<string, unknown>;

const drillSchedule = (name: string, expr: string, extra: Props = {}) => edit(contractStack(), name, (p) => {
    Object.assign(p.spec as Props, { schedule: expr, ...extra });
});

/** What the first preview sees: key ids and the Secret values made from them are unknown. */
function keysUnknown(rs: CapturedResource[]): CapturedResource[] {
    const blank = (v: unknown): unknown => (v === RW_ACCESS_KEY || v === RO_ACCESS_KEY ? UNKNOWN_STRING_SENTINEL
        : Array.isArray(v) ? v.map(blank) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, blank(x)])) : v);
    return rs.map((r) => ({ ...r, inputs: blank(r.inputs) as Props, outputs: blank(r.outputs) as Props }));
}

/** spaces.useExisting: no SpacesKey resources, the Secrets carry configured key ids. */
function existingKeys(drKeyId: string): CapturedResource[] {
    let stack = without(contractStack(), "storage-readwrite-key", "storage-dr-key");
    for (const name of ["postgres-backup-secret", "dr-backup-secret"]) {
        stack = editResource(stack, name, (r) => ({ ...r, dependencies: [], propertyDependencies: {} }));
    }
    return edit(stack, "dr-backup-secret", (p) => {
        (p.stringData as Props).AWS_ACCESS_KEY_ID = drKeyId;
    });
}

describe("policy restore-drill-weekly", () => {
    it("passes a daily restore drill in backend-dr", async () => {
        assert.equal((await runPolicy(restoreDrillWeekly, contractStack())).mandatory.length, 0);
    });

    it("passes a weekly restore drill (7 days worst case)", async () => {
        assert.equal((await runPolicy(restoreDrillWeekly, drillSchedule("drills-restore-drill", "0 5 * * 0"))).mandatory.length, 0);
    });

    it("refuses a stack without a restore drill", async () => {
        const r = await runPolicy(restoreDrillWeekly, without(contractStack(), "drills-restore-drill"));
        assert.match(r.text, /no restore drill CronJob/);
        assert.match(r.text, /ternent-postgres:schedules\.restoreDrill in Pulumi\.prod\.yaml/);
    });

    it("refuses a restore drill every two weeks", async () => {
        const r = await runPolicy(restoreDrillWeekly, drillSchedule("drills-restore-drill", "0 5 1,15 * *"));
        assert.match(r.text, /can leave 17 day\(s\) between restore drills; the maximum is 7 days \(policy config maxRestoreDrillIntervalDays\)/);
    });

    it("refuses a restore drill in the primary's namespace", async () => {
        const r = await runPolicy(restoreDrillWeekly, edit(contractStack(), "drills-restore-drill", (p) => {
            (p.metadata as Props).namespace = "backend";
        }));
        assert.match(r.text, /runs in the primary's namespace \(backend\); drills belong in the DR namespace \(backend-dr\)/);
    });

    it("refuses a suspended restore drill", async () => {
        const r = await runPolicy(restoreDrillWeekly, drillSchedule("drills-restore-drill", "0 5 * * *", { suspend: true }));
        assert.match(r.text, /is suspended/);
    });
});

describe("policy pitr-drill-monthly", () => {
    it("passes a monthly PITR drill on the 1st (31 days worst case)", async () => {
        assert.equal((await runPolicy(pitrDrillMonthly, contractStack())).mandatory.length, 0);
    });

    it("refuses a PITR drill every other month", async () => {
        const r = await runPolicy(pitrDrillMonthly, drillSchedule("drills-pitr-drill", "0 6 1 */2 *"));
        assert.match(r.text, /can leave 62 day\(s\) between PITR drills; the maximum is 31 days/);
    });

    it("refuses a stack without a PITR drill", async () => {
        const r = await runPolicy(pitrDrillMonthly, without(contractStack(), "drills-pitr-drill"));
        assert.match(r.text, /no PITR drill CronJob/);
    });
});

describe("policy dr-read-only-key", () => {
    it("passes a DR Secret carrying the read-only SpacesKey", async () => {
        const r = await runPolicy(drReadOnlyKey, contractStack());
        assert.equal(r.diagnostics.length, 0);
    });

    it("refuses a DR key with a readwrite grant, naming the Secret, the key and the grant", async () => {
        const r = await runPolicy(drReadOnlyKey, edit(contractStack(), "storage-dr-key", (p) => {
            p.grants = [{ bucket: "ternent-postgres-backups-prod", permission: "readwrite" }];
        }));
        assert.equal(r.mandatory.length, 1);
        assert.match(r.mandatory[0].urn, /Secret::dr-backup-secret$/);
        assert.match(r.text, /Secret backend-dr\/ternent-postgres-backup is built from SpacesKey ternent-postgres-backups-prod-dr \(its data depends on it\) with grant readwrite on "ternent-postgres-backups-prod"/);
        assert.match(r.text, /spaces\.drKeyPermission: read in Pulumi\.prod\.yaml/);
    });

    it("refuses a DR Secret carrying the read-write key's id", async () => {
        const r = await runPolicy(drReadOnlyKey, edit(contractStack(), "dr-backup-secret", (p) => {
            (p.stringData as Props).AWS_ACCESS_KEY_ID = RW_ACCESS_KEY;
        }));
        assert.match(r.text, /carries SpacesKey ternent-postgres-backups-prod-readwrite \(its accessKey equals AWS_ACCESS_KEY_ID\) with grant readwrite/);
    });

    it("finds a full-access DR key through the Secret's dependencies when key ids are unknown (preview)", async () => {
        const bad = edit(contractStack(), "storage-dr-key", (p) => {
            p.grants = [{ bucket: "", permission: "fullaccess" }];
        });
        const r = await runPolicy(drReadOnlyKey, keysUnknown(bad));
        assert.match(r.text, /is built from SpacesKey ternent-postgres-backups-prod-dr \(its data depends on it\) with grant fullaccess on all buckets/);
    });

    it("passes the read-only DR key found through dependencies when key ids are unknown (preview)", async () => {
        const r = await runPolicy(drReadOnlyKey, keysUnknown(contractStack()));
        assert.equal(r.diagnostics.length, 0);
    });

    it("reports an advisory, not a violation, when neither value nor dependencies identify the key", async () => {
        const stack = editResource(contractStack(), "dr-backup-secret", (r) => ({ ...r, dependencies: [], propertyDependencies: {} }));
        const r = await runPolicy(drReadOnlyKey, keysUnknown(stack));
        assert.equal(r.mandatory.length, 0);
        assert.equal(r.advisory.length, 1);
        assert.match(r.advisory[0].message, /can't run policy 'dr-read-only-key' .* during preview: .*which Spaces key Secret backend-dr\/ternent-postgres-backup carries/);
    });

    it("refuses a drill that gets its key as a literal", async () => {
        const r = await runPolicy(drReadOnlyKey, edit(contractStack(), "drills-pitr-drill", (p) => setEnv(containerOf(p), "AWS_ACCESS_KEY_ID", RO_ACCESS_KEY)));
        assert.match(r.text, /container pitr-drill of backend-dr\/ternent-postgres-pitr-drill gets AWS_ACCESS_KEY_ID as a literal in the pod spec/);
    });

    it("with existing keys, passes a DR key id that differs from the primary's", async () => {
        assert.equal((await runPolicy(drReadOnlyKey, existingKeys("DO00OTHEROTHEROTHER"))).mandatory.length, 0);
    });

    it("with existing keys, refuses the primary's key id in DR", async () => {
        const r = await runPolicy(drReadOnlyKey, existingKeys(RW_ACCESS_KEY));
        assert.match(r.text, /carries the same access key as the primary's postgres container/);
    });
});
