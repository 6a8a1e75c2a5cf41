import { strict as assert } from "assert";
import { problemsOf, validate } from "../helpers";

describe("config/sections/drills", () => {
    it("refuses a PITR drill target that is neither random nor an RFC 3339 time", () => {
        const msg = problemsOf({ drills: { pitrTarget: "yesterday" } });
        assert.match(msg, /ternent-postgres:drills\.pitrTarget = "yesterday" is not allowed: must be random or an RFC 3339 time with a zone/);
    });
});

describe("config/sections/drills: scratch and overlap", () => {
    it("refuses a scratch factor below 1 and a drill window that lets the two drills overlap", () => {
        const msg = problemsOf({ drills: { scratchFactor: 0.5 }, schedules: { restoreDrill: "0 5 * * *", pitrDrill: "0 6 1 * *" } });
        assert.match(msg, /ternent-postgres:drills\.scratchFactor = 0\.5 is not allowed: a number from 1 to 10/);
        assert.match(msg, /ternent-postgres:schedules\.pitrDrill = "0 6 1 \* \*" can run at the same time as schedules\.restoreDrill = "0 5 \* \* \*" \(e\.g\. 2025-07-01T05:00:00\.000Z and 2025-07-01T06:00:00\.000Z/);
    });

    it("accepts the same schedules when a drill is stopped before the other can start", () => {
        const { config } = validate({ drills: { maxMinutes: 40 }, schedules: { restoreDrill: "0 5 * * *", pitrDrill: "0 6 1 * *" } });
        assert.equal(config.drills.maxMinutes, 40);
    });

    it("passes the default and the prod schedules (the PITR drill after the restore drill's window)", () => {
        assert.doesNotThrow(() => validate({}));
        assert.doesNotThrow(() => validate({ schedules: { restoreDrill: "0 5 * * *", pitrDrill: "0 8 1 * *" } }));
    });
});
