// The profile and the migration block against the previous deployment (config/history.ts).
import { strict as assert } from "assert";
import { checkAgainstPrevious } from "../../config";
import { errorOf, validate } from "./helpers";

describe("config/history: profile and migration", () => {
    const cfg = (values: Record<string, unknown>) => validate(values).config;
    // NOW is 2025-06-15T12:00:00Z (test/config/helpers.ts).
    const migrate = (at: string, extra: Record<string, unknown> = {}) => cfg({ profile: "ha", dataGeneration: 1, migration: { at }, ...extra });

    it("refuses switching a running single node to ha without a migration block", () => {
        const msg = errorOf(() => checkAgainstPrevious(cfg({ profile: "ha" }), { dataGeneration: 0, profile: "single" }));
        assert.match(msg, /ternent-postgres:profile = "ha" without a ternent-postgres:migration block while the previous deployment runs the single node: the operator's cluster would start empty/);
    });

    it("takes a deployment from before the profiles existed for the single profile", () => {
        assert.throws(() => checkAgainstPrevious(cfg({ profile: "ha" }), { dataGeneration: 0 }), /would start empty/);
    });

    it("refuses going back to single without a rollback block", () => {
        const msg = errorOf(() => checkAgainstPrevious(cfg({ dataGeneration: 1 }), { dataGeneration: 1, profile: "ha" }));
        assert.match(msg, /ternent-postgres:profile = "single" after the previous deployment ran the ha profile, without a ternent-postgres:rollback block/);
    });

    it("accepts a new migration whose T is still far enough ahead, cloning the running generation", () => {
        const c = checkAgainstPrevious(migrate("2025-06-15T12:05:00Z"), { dataGeneration: 0, profile: "single" });
        assert.equal(c.migration?.sourceGeneration, 0);
        assert.equal(c.migration?.sourcePrefix, "ternent-postgres");
        assert.equal(c.migration?.completed, false);
    });

    it("refuses a new migration whose T has passed or is less than two minutes ahead", () => {
        assert.match(errorOf(() => checkAgainstPrevious(migrate("2025-06-15T11:59:00Z"), { dataGeneration: 0 })),
            /ternent-postgres:migration\.at = "2025-06-15T11:59:00Z" is 60 s in the past \(now 2025-06-15T12:00:00\.000Z\): the API must be down and the cut-over Job running before T/);
        assert.match(errorOf(() => checkAgainstPrevious(migrate("2025-06-15T12:01:00Z"), { dataGeneration: 0 })), /is only 60 s ahead/);
    });

    it("accepts the block the previous deployment ran, with its T in the past (nothing is redone)", () => {
        const c = checkAgainstPrevious(migrate("2025-06-14T06:00:00Z"), { dataGeneration: 1, profile: "ha", migration: { generation: 1, at: "2025-06-14T06:00:00Z", sourceGeneration: 0 } });
        assert.equal(c.migration?.at, "2025-06-14T06:00:00Z");
        assert.equal(c.migration?.completed, true);
    });

    it("refuses changing the T of a finished migration", () => {
        const msg = errorOf(() => checkAgainstPrevious(migrate("2025-06-15T12:30:00Z"), { dataGeneration: 1, profile: "ha", migration: { generation: 1, at: "2025-06-14T06:00:00Z" } }));
        assert.match(msg, /ternent-postgres:migration is set for generation 1, which the previous deployment already runs on and migrated at "2025-06-14T06:00:00Z", not "2025-06-15T12:30:00Z"/);
    });

    it("clones the generation the single node runs on after a rollback, and refuses another one", () => {
        const c = checkAgainstPrevious(cfg({ profile: "ha", dataGeneration: 4, migration: { at: "2025-06-15T12:05:00Z" } }), { dataGeneration: 2, dataGenerationMax: 3 });
        assert.equal(c.migration?.sourceGeneration, 2);
        assert.equal(c.migration?.sourcePrefix, "ternent-postgres-gen2");
        const msg = errorOf(() => checkAgainstPrevious(cfg({ profile: "ha", dataGeneration: 4, migration: { at: "2025-06-15T12:05:00Z", fromGeneration: 3 } }), { dataGeneration: 2, dataGenerationMax: 3 }));
        assert.match(msg, /ternent-postgres:migration\.fromGeneration = 3 is not the generation the single node runs on \(2\)/);
    });

    it("refuses a new generation in the ha profile without a migration (a cluster already running)", () => {
        const msg = errorOf(() => checkAgainstPrevious(cfg({ profile: "ha", dataGeneration: 2 }), { dataGeneration: 1, profile: "ha" }));
        assert.match(msg, /ternent-postgres:dataGeneration = 2 advances from 1 without a ternent-postgres:recovery block/);
    });
});
