import { strict as assert } from "assert";
import { problemsOf } from "../helpers";

describe("config/sections/adopt", () => {
    it("requires the existing database password and a new prefix when adopting the bundle", () => {
        const msg = problemsOf({ adopt: true });
        assert.match(msg, /ternent-postgres:postgresPassword is missing: ternent-postgres:adopt is true/);
        assert.match(msg, /ternent-postgres:spaces\.prefix is not set: ternent-postgres:adopt is true/);
    });
});
