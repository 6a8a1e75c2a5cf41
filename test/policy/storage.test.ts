import { strict as assert } from "assert";
import { backupBucketLifecycle } from "../../policy/policies/backup-bucket-lifecycle";
import { backupBucketPrivate } from "../../policy/policies/backup-bucket-private";
import { contractStack, edit, without } from "./fixtures";
import { runPolicy } from "./run-policy";
import { CapturedResource } from "../../tools/harness";

type Props = Record<string, unknown>;

const bucket = (change: (p: Props) => void) => edit(contractStack(), "storage-bucket", change);
const rule = (r: Props) => bucket((p) => {
    (p.lifecycleRules as Props[]).push({ id: "expire", enabled: true, ...r });
});

describe("policy backup-bucket-private", () => {
    it("passes a private bucket without forceDestroy", async () => {
        const r = await runPolicy(backupBucketPrivate, contractStack());
        assert.equal(r.mandatory.length, 0);
        assert.ok(r.notApplicable.some((n) => /only Spaces buckets/.test(n.reason ?? "")), "other resources are not applicable");
    });

    it("refuses a public-read bucket", async () => {
        const r = await runPolicy(backupBucketPrivate, bucket((p) => {
            p.acl = "public-read";
        }));
        assert.equal(r.mandatory.length, 1);
        assert.match(r.mandatory[0].urn, /SpacesBucket::storage-bucket$/);
        assert.match(r.text, /acl "public-read"/);
    });

    it("refuses forceDestroy", async () => {
        const r = await runPolicy(backupBucketPrivate, bucket((p) => {
            p.forceDestroy = true;
        }));
        assert.match(r.text, /forceDestroy: true: deleting the resource would delete every backup/);
    });

    it("refuses a bucket policy that allows everyone to read", async () => {
        const stack: CapturedResource[] = contractStack();
        const policyDoc = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }] });
        stack.push({
            ...stack.find((r) => r.name === "storage-bucket")!,
            urn: "urn:pulumi:prod::ternent-postgres::ternent-postgres:index:BackupStorage$digitalocean:index/spacesBucketPolicy:SpacesBucketPolicy::public",
            type: "digitalocean:index/spacesBucketPolicy:SpacesBucketPolicy", name: "public",
            inputs: { bucket: "b", region: "fra1", policy: policyDoc }, outputs: { bucket: "b", region: "fra1", policy: policyDoc },
        });
        const r = await runPolicy(backupBucketPrivate, stack);
        assert.match(r.text, /allows "s3:GetObject" to everyone/);
    });
});

describe("policy backup-bucket-lifecycle", () => {
    it("passes a bucket whose only rule aborts incomplete multipart uploads", async () => {
        assert.equal((await runPolicy(backupBucketLifecycle, contractStack())).mandatory.length, 0);
    });

    it("refuses a whole-bucket expiration after 30 days, inside the 35-day horizon", async () => {
        const r = await runPolicy(backupBucketLifecycle, rule({ expiration: { days: 30 } }));
        assert.match(r.text, /lifecycle rule expire expires every object of the bucket after 30 days, inside the retention horizon of 35 days/);
    });

    it("refuses an expiration on a prefix that covers the WAL-G prefix", async () => {
        const r = await runPolicy(backupBucketLifecycle, rule({ prefix: "ternent-postgres/wal_005/", expiration: { days: 10 } }));
        assert.match(r.text, /objects under "ternent-postgres\/wal_005\/", which covers the WAL-G prefix "ternent-postgres"/);
    });

    it("refuses an expiration by date", async () => {
        const r = await runPolicy(backupBucketLifecycle, rule({ expiration: { date: "2030-01-01" } }));
        assert.match(r.text, /on "2030-01-01"/);
    });

    it("passes an expiration on a prefix WAL-G does not use", async () => {
        const r = await runPolicy(backupBucketLifecycle, rule({ prefix: "exports/", expiration: { days: 3 } }));
        assert.equal(r.mandatory.length, 0);
    });

    it("passes an expiration beyond the horizon", async () => {
        assert.equal((await runPolicy(backupBucketLifecycle, rule({ expiration: { days: 400 } }))).mandatory.length, 0);
    });

    it("passes a disabled expiration rule", async () => {
        assert.equal((await runPolicy(backupBucketLifecycle, rule({ enabled: false, expiration: { days: 1 } }))).mandatory.length, 0);
    });

    it("widens the horizon from the retention job's weekly count", async () => {
        const stack = edit(rule({ expiration: { days: 50 } }), "backups-retention", (p) => {
            const c = (((((p.spec as Props).jobTemplate as Props).spec as Props).template as Props).spec as Props).containers as Props[];
            (c[0].env as Props[]).find((e) => e.name === "TERNENT_RETAIN_WEEKLY")!.value = "8";
        });
        const r = await runPolicy(backupBucketLifecycle, stack);
        assert.match(r.text, /after 50 days, inside the retention horizon of 63 days/);
    });

    it("is not applicable under spaces.useExisting (no bucket resource)", async () => {
        const r = await runPolicy(backupBucketLifecycle, without(contractStack(), "storage-bucket"));
        assert.equal(r.diagnostics.length, 0);
        assert.ok(r.notApplicable.some((n) => /useExisting/.test(n.reason ?? "")));
    });
});
