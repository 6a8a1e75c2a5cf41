import { strict as assert } from "assert";
import { DEFAULTS, POLICY_NAMES } from "../../../config";
import { problemsOf, validate } from "../helpers";

describe("config/sections/schedules", () => {
    it("takes schedules whole: a job whose schedule is absent is off, with a warning naming it", () => {
        const { config, warnings } = validate({ schedules: { backup: "0 1 * * *", retention: "0 3 * * *", pitrDrill: "0 6 1 * *", canary: "*/5 * * * *", verify: "*/15 * * * *" } });
        assert.equal(config.schedules.restoreDrill, undefined);
        assert.equal(config.schedules.backup, "0 1 * * *");
        const w = warnings.find((x) => x.includes("ternent-postgres:schedules.restoreDrill"));
        assert.ok(w, warnings.join("\n"));
        assert.ok(w.endsWith(`(policy ${POLICY_NAMES.restoreDrill})`), w);
    });

    it("refuses a malformed cron schedule", () => {
        const msg = problemsOf({ schedules: { ...DEFAULTS.schedules, backup: "0 25 * * *" } });
        assert.match(msg, /ternent-postgres:schedules\.backup = "0 25 \* \* \*" is not a valid cron schedule: 25 is outside 0-23 in the hour field/);
    });

    it("refuses a schedule that never repeats", () => {
        const msg = problemsOf({ schedules: { ...DEFAULTS.schedules, pitrDrill: "0 0 30 2 *" } });
        assert.match(msg, /ternent-postgres:schedules\.pitrDrill = "0 0 30 2 \*" never fires/);
    });

    it("warns when verify is off, naming the policy", () => {
        const schedules: Record<string, string> = { ...DEFAULTS.schedules };
        delete schedules.verify;
        const { warnings } = validate({ schedules });
        assert.ok(warnings.some((w) => w.startsWith("ternent-postgres:schedules.verify is not set") && w.includes(`policy ${POLICY_NAMES.stall}`)), warnings.join("\n"));
    });
});
