import { strict as assert } from "assert";
import { validationClock } from "../../config";

describe("config/load", () => {
    it("reads the validation clock from TERNENT_NOW", () => {
        const saved = process.env.TERNENT_NOW;
        process.env.TERNENT_NOW = "2030-01-02T03:04:05Z";
        try {
            assert.equal(validationClock().toISOString(), "2030-01-02T03:04:05.000Z");
        } finally {
            if (saved === undefined) {
                delete process.env.TERNENT_NOW;
            } else {
                process.env.TERNENT_NOW = saved;
            }
        }
    });
});
