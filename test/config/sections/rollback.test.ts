import { strict as assert } from "assert";
import { problemsOf, validate } from "../helpers";

describe("config/sections/rollback", () => {
    it("reads a rollback block: the generation left, the one gone back to, the API switch", () => {
        const { config } = validate({ dataGeneration: 1, rollback: { fromGeneration: 3, scaleApi: false } });
        assert.deepEqual({ ...config.rollback }, { fromGeneration: 3, toGeneration: 1, scaleApi: false, apiReplicas: 1 });
        assert.equal(config.dataGenerationMax, 3);
        assert.equal(config.derived.currentPrefix, "ternent-postgres-gen1");
    });

    it("refuses a rollback block without fromGeneration", () => {
        const msg = problemsOf({ dataGeneration: 0, rollback: { scaleApi: true } });
        assert.match(msg, /ternent-postgres:rollback\.fromGeneration is missing: it must name the generation the database leaves/);
    });

    it("refuses rolling back to the generation the database leaves", () => {
        const msg = problemsOf({ dataGeneration: 2, rollback: { fromGeneration: 2 } });
        assert.match(msg, /ternent-postgres:rollback\.fromGeneration = 2 equals ternent-postgres:dataGeneration = 2: that is rolling back to the generation the database leaves/);
    });

    it("refuses a rollback that goes forward", () => {
        const msg = problemsOf({ dataGeneration: 2, rollback: { fromGeneration: 1 } });
        assert.match(msg, /ternent-postgres:rollback\.fromGeneration = 1 is below ternent-postgres:dataGeneration = 2: a rollback only goes back/);
    });

    it("refuses a rollback block together with a recovery block", () => {
        const msg = problemsOf({ dataGeneration: 1, recovery: { target: "latest" }, rollback: { fromGeneration: 2 } });
        assert.match(msg, /ternent-postgres:rollback and ternent-postgres:recovery are both set/);
    });

    it("refuses unknown fields in the rollback block", () => {
        const msg = problemsOf({ dataGeneration: 0, rollback: { fromGeneration: 1, generation: 0 } });
        assert.match(msg, /ternent-postgres:rollback\.generation/);
    });
});
