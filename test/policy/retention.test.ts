import { strict as assert } from "assert";
import { retentionDailyBackups } from "../../policy/policies/retention-daily-backups";
import { retentionJobScheduled } from "../../policy/policies/retention-job-scheduled";
import { retentionPitrWindow } from "../../policy/policies/retention-pitr-window";
import { retentionWeeklyBackups } from "../../policy/policies/retention-weekly-backups";
import { containerOf, contractStack, edit, removeEnv, setEnv, without } from "./fixtures";
import { runPolicy } from "./run-policy";

const retentionEnv = (name: string, value: string) => edit(contractStack(), "backups-retention", (p) => setEnv(containerOf(p), name, value));

describe("policy retention-daily-backups", () => {
    it("passes a retention job that keeps 7 daily backups", async () => {
        const r = await runPolicy(retentionDailyBackups, contractStack());
        assert.equal(r.mandatory.length, 0);
    });

    it("refuses 3 daily backups, naming the value, the minimum, the config key and the stack key", async () => {
        const r = await runPolicy(retentionDailyBackups, retentionEnv("TERNENT_RETAIN_DAILY", "3"));
        assert.equal(r.mandatory.length, 1);
        assert.equal(r.mandatory[0].policyName, "retention-daily-backups");
        assert.match(r.mandatory[0].urn, /CronJob::backups-retention$/);
        assert.match(r.text, /TERNENT_RETAIN_DAILY="3".*keeps 3 daily backups, below the minimum of 7 \(policy config minDailyBackups\)/);
        assert.match(r.text, /ternent-postgres:retention\.daily to 7 or more in Pulumi\.prod\.yaml/);
    });

    it("refuses a retention job that does not set TERNENT_RETAIN_DAILY", async () => {
        const r = await runPolicy(retentionDailyBackups, edit(contractStack(), "backups-retention", (p) => removeEnv(containerOf(p), "TERNENT_RETAIN_DAILY")));
        assert.match(r.text, /TERNENT_RETAIN_DAILY is not set on container retention/);
    });

    it("reads the value the container gets through a ConfigMap key reference", async () => {
        let stack = retentionEnv("TERNENT_RETAIN_DAILY", { valueFrom: { configMapKeyRef: { name: "ternent-postgres-walg", key: "DAILY" } } } as never);
        stack = edit(stack, "postgres-walg", (p) => {
            (p.data as Record<string, string>).DAILY = "2";
        });
        const r = await runPolicy(retentionDailyBackups, stack);
        assert.match(r.text, /TERNENT_RETAIN_DAILY="2" from ConfigMap ternent-postgres-walg key DAILY/);
    });

    it("uses minDailyBackups from the policy pack config", async () => {
        const stack = retentionEnv("TERNENT_RETAIN_DAILY", "5");
        const strict = await runPolicy(retentionDailyBackups, stack);
        const relaxed = await runPolicy(retentionDailyBackups, stack, { config: { minDailyBackups: 5 } });
        assert.equal(strict.mandatory.length, 1);
        assert.equal(relaxed.mandatory.length, 0);
    });

    it("is not applicable when the stack has no retention job", async () => {
        const r = await runPolicy(retentionDailyBackups, without(contractStack(), "backups-retention"));
        assert.equal(r.diagnostics.length, 0);
        assert.ok(r.notApplicable.some((n) => n.policyName === "retention-daily-backups" && /retention-job-scheduled/.test(n.reason ?? "")));
    });
});

describe("policy retention-weekly-backups", () => {
    it("passes a retention job that keeps 4 weekly backups on sundays", async () => {
        assert.equal((await runPolicy(retentionWeeklyBackups, contractStack())).mandatory.length, 0);
    });

    it("refuses 2 weekly backups with the value and the minimum", async () => {
        const r = await runPolicy(retentionWeeklyBackups, retentionEnv("TERNENT_RETAIN_WEEKLY", "2"));
        assert.equal(r.mandatory.length, 1);
        assert.match(r.text, /keeps 2 weekly backups, below the minimum of 4 \(policy config minWeeklyBackups\).*retention\.weekly/s);
    });

    it("refuses a weekly day retention.sh cannot parse", async () => {
        const r = await runPolicy(retentionWeeklyBackups, retentionEnv("TERNENT_WEEKLY_DAY", "sundays"));
        assert.match(r.text, /"sundays" is not a day name/);
    });
});

describe("policy retention-pitr-window", () => {
    it("passes a 7-day PITR window", async () => {
        assert.equal((await runPolicy(retentionPitrWindow, contractStack())).mandatory.length, 0);
    });

    it("refuses a 3-day PITR window", async () => {
        const r = await runPolicy(retentionPitrWindow, retentionEnv("TERNENT_PITR_DAYS", "3"));
        assert.match(r.text, /keeps 3 days of point-in-time recovery, below the minimum of 7 \(policy config minPitrDays\).*retention\.pitrDays/s);
    });

    it("refuses a value that is not a whole number", async () => {
        const r = await runPolicy(retentionPitrWindow, retentionEnv("TERNENT_PITR_DAYS", "7d"));
        assert.match(r.text, /"7d" is not a whole number/);
    });
});

describe("policy retention-job-scheduled", () => {
    it("passes a scheduled, real retention job next to the primary", async () => {
        assert.equal((await runPolicy(retentionJobScheduled, contractStack())).mandatory.length, 0);
    });

    it("refuses a stack without a retention job, against the root stack", async () => {
        const r = await runPolicy(retentionJobScheduled, without(contractStack(), "backups-retention"));
        assert.equal(r.mandatory.length, 1);
        assert.equal(r.mandatory[0].urn, "urn:pulumi:prod::ternent-postgres::pulumi:pulumi:Stack::ternent-postgres-prod");
        assert.match(r.text, /no retention CronJob/);
    });

    it("refuses a retention job left in dry-run mode", async () => {
        const r = await runPolicy(retentionJobScheduled, retentionEnv("TERNENT_RETENTION_DRY_RUN", "true"));
        assert.match(r.text, /TERNENT_RETENTION_DRY_RUN="true".*only logs its plan/);
    });

    it("refuses a suspended retention job", async () => {
        const r = await runPolicy(retentionJobScheduled, edit(contractStack(), "backups-retention", (p) => {
            (p.spec as Record<string, unknown>).suspend = true;
        }));
        assert.match(r.text, /is suspended/);
    });

    it("refuses a retention job pruning another prefix than the primary archives to", async () => {
        const r = await runPolicy(retentionJobScheduled, retentionEnv("WALG_S3_PREFIX", "s3://other-bucket/x"));
        assert.match(r.text, /WALG_S3_PREFIX="s3:\/\/other-bucket\/x".*primary archives to/);
    });

    it("refuses a retention job whose script is not in the scripts ConfigMap", async () => {
        const r = await runPolicy(retentionJobScheduled, edit(contractStack(), "postgres-scripts", (p) => {
            delete (p.data as Record<string, string>)["retention.sh"];
        }));
        assert.match(r.text, /runs \/ternent\/scripts\/retention\.sh, but .*ConfigMap backend\/ternent-postgres-scripts key retention\.sh, which has no such key/);
    });
});
