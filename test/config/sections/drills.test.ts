import { strict as assert } from "assert";
import { problemsOf } from "../helpers";

describe("config/sections/drills", () => {
    it("refuses a PITR drill target that is neither random nor an RFC 3339 time", () => {
        const msg = problemsOf({ drills: { pitrTarget: "yesterday" } });
        assert.match(msg, /ternent-postgres:drills\.pitrTarget = "yesterday" is not allowed: must be random or an RFC 3339 time with a zone/);
    });
});
