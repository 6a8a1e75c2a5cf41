import { strict as assert } from "assert";
import { problemsOf } from "../helpers";

describe("config/sections/retention", () => {
    it("refuses retention that is not a positive integer", () => {
        const msg = problemsOf({ retention: { daily: 0, weekly: 2.5, pitrDays: "seven" } });
        assert.match(msg, /ternent-postgres:retention\.daily = 0 is not allowed: must be an integer from 1 to 3650/);
        assert.match(msg, /ternent-postgres:retention\.weekly = 2\.5 is not allowed: must be an integer from 1 to 520/);
        assert.match(msg, /ternent-postgres:retention\.pitrDays = "seven" is not allowed: must be an integer from 1/);
    });

    it("refuses a retention block that does not spell out daily, weekly and pitrDays", () => {
        const msg = problemsOf({ retention: { daily: 7, pitrDays: 7 } });
        assert.match(msg, /ternent-postgres:retention\.weekly is missing/);
        assert.match(msg, /the policy minimums are 7, 4 and 7\)/);
    });

    it("refuses an unknown weekday", () => {
        const msg = problemsOf({ retention: { daily: 7, weekly: 4, pitrDays: 7, weeklyDay: "funday" } });
        assert.match(msg, /ternent-postgres:retention\.weeklyDay = "funday" is not allowed: must be one of sunday, monday, tuesday, wednesday, thursday, friday, saturday/);
    });
});
