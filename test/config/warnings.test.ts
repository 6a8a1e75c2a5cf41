import { strict as assert } from "assert";
import { DEFAULTS, POLICY_NAMES } from "../../config";
import { validate } from "./helpers";

describe("config/warnings", () => {
    it("warns about retention below 7/4/7, naming key, value and policy", () => {
        const { config, warnings } = validate({ retention: { daily: 3, weekly: 1, pitrDays: 2 } });
        assert.equal(config.retention.daily, 3);
        assert.ok(warnings.includes(`ternent-postgres:retention.daily = 3 is below the policy minimum of 7 daily backups: the policy pack refuses it (policy ${POLICY_NAMES.retentionDaily})`), warnings.join("\n"));
        assert.ok(warnings.some((w) => w.startsWith("ternent-postgres:retention.weekly = 1 is below the policy minimum of 4")));
        assert.ok(warnings.some((w) => w.startsWith("ternent-postgres:retention.pitrDays = 2 is below the policy minimum of 7")));
    });

    it("warns about an archive timeout above 60 s", () => {
        const { warnings } = validate({ postgres: { archiveTimeoutSeconds: 300 } });
        assert.ok(warnings.some((w) => w.startsWith("ternent-postgres:postgres.archiveTimeoutSeconds = 300 is above the policy maximum of 60 s") &&
            w.includes(`policy ${POLICY_NAMES.archive}`)), warnings.join("\n"));
    });

    it("warns about a DR key that can write", () => {
        const { config, warnings } = validate({ spaces: { drKeyPermission: "readwrite" } });
        assert.equal(config.spaces.drKeyPermission, "readwrite");
        assert.ok(warnings.some((w) => w.startsWith('ternent-postgres:spaces.drKeyPermission = "readwrite"') && w.includes(`policy ${POLICY_NAMES.drKey}`)));
    });

    it("warns about a base backup less often than daily", () => {
        const { warnings } = validate({ schedules: { ...DEFAULTS.schedules, backup: "0 2 * * 0" } });
        assert.ok(warnings.some((w) => w.startsWith('ternent-postgres:schedules.backup = "0 2 * * 0" can wait 168 h between runs')), warnings.join("\n"));
    });

    it("warns when the worst case is above what the policy pack allows (900 s), even under a raised maxSeconds", () => {
        const { config, warnings } = validate({ walg: { retries: { fileRetries: 5, maxSeconds: 3600 } } });
        assert.equal(config.walg.retries.worstCase.seconds, 1170);
        assert.ok(warnings.some((w) => w.startsWith("ternent-postgres:walg.retries lets backup-fetch retry one unreadable object for up to 1170 s") &&
            w.endsWith(`(policy ${POLICY_NAMES.retries})`)), warnings.join("\n"));
    });

    it("warns when verify runs too rarely to report a stall within 2 × archive_timeout", () => {
        const { warnings } = validate({ schedules: { ...DEFAULTS.schedules, verify: "*/15 * * * *" } });
        assert.ok(warnings.some((w) => w.startsWith('ternent-postgres:schedules.verify = "*/15 * * * *" can wait 900 s between runs') &&
            w.includes("2 × ternent-postgres:postgres.archiveTimeoutSeconds = 120 s") && w.endsWith(`(policy ${POLICY_NAMES.stall})`)), warnings.join("\n"));
        assert.ok(!validate({ schedules: { ...DEFAULTS.schedules, verify: "*/2 * * * *" } }).warnings.some((w) => w.includes(POLICY_NAMES.stall)),
            "every 2 minutes is 2 × 60 s");
    });
});
