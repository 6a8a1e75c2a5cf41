import { strict as assert } from "assert";
import { problemsOf } from "./helpers";

describe("config/validate", () => {
    it("refuses unknown keys and unknown fields (typo protection)", () => {
        const msg = problemsOf({ retension: { daily: 7 }, postgres: { imag: "postgres:15" } });
        assert.match(msg, /ternent-postgres:retension = .* is not a known key \(a typo\?\): allowed keys are protect, namespaces, postgres/);
        assert.match(msg, /ternent-postgres:postgres\.imag = "postgres:15" is not a known field of ternent-postgres:postgres \(a typo\?\): allowed fields are image/);
    });

    it("reports every problem of a config at once", () => {
        const msg = problemsOf({ postgres: { storageSize: "0" }, spaces: { region: "x" }, dataGeneration: -1 });
        assert.match(msg, /^3 problems in the stack config:/);
    });
});
