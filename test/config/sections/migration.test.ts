import { strict as assert } from "assert";
import { problemsOf, validate } from "../helpers";

describe("config/sections/migration", () => {
    const ha = { profile: "ha", dataGeneration: 1 };

    it("reads T, the clone timestamp with an explicit offset, and the source generation's prefix", () => {
        const { config } = validate({ ...ha, migration: { at: "2025-06-15T12:10:00Z", apiReplicas: 2 } });
        assert.equal(config.migration?.at, "2025-06-15T12:10:00Z");
        assert.equal(config.migration?.cloneTimestamp, "2025-06-15T12:10:00+00:00");
        assert.equal(config.migration?.sourceGeneration, 0);
        assert.equal(config.migration?.sourcePrefix, "ternent-postgres");
        assert.equal(config.migration?.generation, 1);
        assert.equal(config.migration?.scaleApi, true);
        assert.equal(config.migration?.apiReplicas, 2);
        assert.equal(config.derived.currentPrefix, "ternent-postgres-gen1");
    });

    it("converts a T given in another zone to UTC for the clone", () => {
        const { config } = validate({ ...ha, migration: { at: "2025-06-15T14:10:00+02:00" } });
        assert.equal(config.migration?.cloneTimestamp, "2025-06-15T12:10:00+00:00");
    });

    it("refuses a migration without profile ha or without a new generation", () => {
        assert.match(problemsOf({ dataGeneration: 1, migration: { at: "2025-06-15T12:10:00Z" } }), /ternent-postgres:migration = .* is set but ternent-postgres:profile is not ha/);
        assert.match(problemsOf({ profile: "ha", migration: { at: "2025-06-15T12:10:00Z" } }), /ternent-postgres:migration is set but ternent-postgres:dataGeneration = 0/);
    });

    it("refuses a missing T, a T without a zone, fractions of a second and a T more than 6 h ahead", () => {
        assert.match(problemsOf({ ...ha, migration: {} }), /ternent-postgres:migration\.at is missing: the cut-over time T/);
        assert.match(problemsOf({ ...ha, migration: { at: "2025-06-15T12:10:00" } }), /ternent-postgres:migration\.at = "2025-06-15T12:10:00" is not an RFC 3339 time with a zone/);
        assert.match(problemsOf({ ...ha, migration: { at: "2025-06-15T12:10:00.5Z" } }), /has fractions of a second/);
        assert.match(problemsOf({ ...ha, migration: { at: "2025-06-15T18:00:01Z" } }), /ternent-postgres:migration\.at = "2025-06-15T18:00:01Z" is more than 6 h after now/);
    });

    it("refuses a fromGeneration that is not older than the cluster's generation", () => {
        assert.match(problemsOf({ ...ha, migration: { at: "2025-06-15T12:10:00Z", fromGeneration: 1 } }),
            /ternent-postgres:migration\.fromGeneration = 1 is not older than ternent-postgres:dataGeneration = 1/);
    });
});
