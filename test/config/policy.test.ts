import { strict as assert } from "assert";
import { POLICY_MINIMUMS, POLICY_NAMES } from "../../config";
import { policies } from "../../policy/policies/all";

/** The default of one setting in a policy's configSchema. */
function schemaDefault(policy: string, setting: string): unknown {
    const p = policies.find((x) => x.name === policy);
    assert.ok(p, `no policy ${policy} in the pack`);
    const s = p.configSchema?.properties?.[setting];
    return typeof s === "object" ? s.default : undefined;
}

describe("config/policy", () => {
    it("names only policies of the pack", () => {
        const names = new Set(policies.map((p) => p.name));
        for (const [key, name] of Object.entries(POLICY_NAMES)) {
            assert.ok(names.has(name), `POLICY_NAMES.${key} = ${name}`);
        }
    });

    it("warns at the thresholds the pack's configSchemas default to", () => {
        assert.deepEqual({ ...POLICY_MINIMUMS }, {
            dailyBackups: schemaDefault("retention-daily-backups", "minDailyBackups"),
            weeklyBackups: schemaDefault("retention-weekly-backups", "minWeeklyBackups"),
            pitrDays: schemaDefault("retention-pitr-window", "minPitrDays"),
            maxArchiveTimeoutSeconds: schemaDefault("archive-timeout", "maxArchiveTimeoutSeconds"),
            backupEverySeconds: Number(schemaDefault("base-backup-daily", "maxBaseBackupIntervalHours")) * 3600,
            restoreDrillEverySeconds: Number(schemaDefault("restore-drill-weekly", "maxRestoreDrillIntervalDays")) * 86_400,
            pitrDrillEverySeconds: Number(schemaDefault("pitr-drill-monthly", "maxPitrDrillIntervalDays")) * 86_400,
            verifyIntervalArchiveTimeouts: schemaDefault("archive-stall-detection", "maxVerifyIntervalArchiveTimeouts"),
            maxRetrySeconds: schemaDefault("walg-retries-bounded", "maxRetrySeconds"),
        });
        assert.equal(POLICY_MINIMUMS.backupEverySeconds, 86_400);
    });
});
