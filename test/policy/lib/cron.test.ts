import { strict as assert } from "assert";
import { CronError, firings, maxIntervalSeconds, minIntervalSeconds, parseCron } from "../../../policy/lib/cron";

const HOUR = 3600;
const DAY = 24 * HOUR;

describe("policy/lib/cron", () => {
    it("accepts the schedules the stacks use", () => {
        for (const expr of ["0 2 * * *", "30 3 * * *", "0 5 * * 0", "0 6 1 * *", "*/5 * * * *", "@daily", "0 4 * * sun"]) {
            assert.doesNotThrow(() => parseCron(expr), expr);
        }
    });

    it("rejects malformed schedules with a reason", () => {
        const bad: Array<[string, RegExp]> = [
            ["", /empty/],
            ["0 2 * *", /expected 5 fields/],
            ["61 * * * *", /outside 0-59 in the minute field/],
            ["0 25 * * *", /outside 0-23 in the hour field/],
            ["0 2 * * funday", /not a number in the day of week field/],
            ["*/0 * * * *", /step "0"/],
            ["0 5-2 * * *", /runs backwards/],
            ["@sometimes", /unknown macro/],
            ["CRON_TZ=UTC 0 2 * * *", /time zones/],
        ];
        for (const [expr, reason] of bad) {
            assert.throws(() => parseCron(expr), (e: unknown) => e instanceof CronError && reason.test((e as Error).message), expr);
        }
    });

    it("measures the longest wait between firings", () => {
        assert.equal(maxIntervalSeconds(parseCron("0 2 * * *")), DAY);
        assert.equal(maxIntervalSeconds(parseCron("0 2,14 * * *")), 12 * HOUR);
        assert.equal(maxIntervalSeconds(parseCron("0 5 * * 0")), 7 * DAY);
        assert.equal(maxIntervalSeconds(parseCron("0 6 1 * *")), 31 * DAY);
        assert.equal(maxIntervalSeconds(parseCron("0 2 * * 1-5")), 3 * DAY);
        assert.equal(maxIntervalSeconds(parseCron("0 0 1 1 *")), 366 * DAY);
    });

    it("reports a schedule that can never fire as an infinite wait", () => {
        assert.equal(maxIntervalSeconds(parseCron("0 0 30 2 *")), Infinity);
    });

    it("measures the shortest interval between firings", () => {
        assert.equal(minIntervalSeconds(parseCron("*/5 * * * *")), 300);
        assert.equal(minIntervalSeconds(parseCron("0,10,50 * * * *")), 600);
        assert.equal(minIntervalSeconds(parseCron("0 2 * * *")), DAY);
    });

    it("finds the same worst gap as every firing of the four-year horizon, one by one", () => {
        // The reference: the longest gap between consecutive firings() (the slow way it used to be done).
        const bruteForce = (expr: string): number => {
            const t = firings(parseCron(expr), Date.UTC(2024, 0, 1), 4 * 366 + 1);
            let worst = 0;
            for (let i = 1; i < t.length; i++) worst = Math.max(worst, t[i] - t[i - 1]);
            return t.length < 2 ? Infinity : worst / 1000;
        };
        for (const expr of ["*/7 * * * *", "13 */5 * * *", "0 2,14 * * 1-5", "30 23 * * 0,3", "0 0 29 2 *", "0 0 31 * *", "5 4 1,15 * 1",
            "0 12 * 2 *", "0 0 1 1 *", "0 0 30 2 *", "59 23 31 12 *", "0,30 9-17 * * 1-5", "@weekly"]) {
            assert.equal(maxIntervalSeconds(parseCron(expr)), bruteForce(expr), expr);
        }
    });

    it("ORs day-of-month and day-of-week when both are restricted, as cron does", () => {
        // 1st of the month or any Monday: never more than 7 days apart.
        assert.equal(maxIntervalSeconds(parseCron("0 0 1 * 1")), 7 * DAY);
    });
});
