import { strict as assert } from "assert";
import { problemsOf } from "../helpers";

describe("config/sections/spaces", () => {
    it("refuses an unknown Spaces region and lists the allowed ones", () => {
        const msg = problemsOf({ spaces: { region: "mars1" } });
        assert.match(msg, /ternent-postgres:spaces\.region = "mars1"/);
        assert.match(msg, /nyc3, sfo2, sfo3, ams3, sgp1, fra1, syd1, blr1, lon1, tor1, atl1/);
    });

    it("refuses a DR key grant that does not exist", () => {
        const msg = problemsOf({ spaces: { drKeyPermission: "admin" } });
        assert.match(msg, /ternent-postgres:spaces\.drKeyPermission = "admin" is not allowed: must be one of read, readwrite, fullaccess/);
    });
});
