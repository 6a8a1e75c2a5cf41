import { strict as assert } from "assert";
import { DEFAULTS } from "../../config";
import { validate } from "./helpers";

describe("config/derived", () => {
    it("derives the canary interval the drills get from the canary schedule", () => {
        assert.equal(validate({}).config.derived.canaryIntervalSeconds, 300);
        const custom = validate({ schedules: { ...DEFAULTS.schedules, canary: "*/10 * * * *" } });
        assert.equal(custom.config.derived.canaryIntervalSeconds, 600);
    });

    it("derives verify's ready-age limit from archiveTimeoutSeconds", () => {
        assert.equal(validate({ postgres: { archiveTimeoutSeconds: 45 } }).config.derived.verifyMaxReadyAgeSeconds, 45);
    });
});
