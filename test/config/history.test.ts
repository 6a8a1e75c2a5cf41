import { strict as assert } from "assert";
import { checkAgainstPrevious } from "../../config";
import { errorOf, validate } from "./helpers";

describe("config/history", () => {
    const cfg = (values: Record<string, unknown>) => validate(values).config;

    it("refuses a data generation going backwards", () => {
        const msg = errorOf(() => checkAgainstPrevious(cfg({ dataGeneration: 1 }), { dataGeneration: 2 }));
        assert.match(msg, /ternent-postgres:dataGeneration = 1 goes backwards: the previous deployment runs on generation 2; allowed are 2 \(stay\) or 3/);
    });

    it("refuses skipping a generation", () => {
        const msg = errorOf(() => checkAgainstPrevious(cfg({ dataGeneration: 3, recovery: { target: "latest" } }), { dataGeneration: 1 }));
        assert.match(msg, /ternent-postgres:dataGeneration = 3 skips a generation/);
    });

    it("refuses a new generation without a restore", () => {
        const msg = errorOf(() => checkAgainstPrevious(cfg({ dataGeneration: 1 }), { dataGeneration: 0 }));
        assert.match(msg, /ternent-postgres:dataGeneration = 1 advances from 0 without a ternent-postgres:recovery block/);
    });

    it("refuses changing the target of a generation already restored", () => {
        const msg = errorOf(() => checkAgainstPrevious(
            cfg({ dataGeneration: 1, recovery: { target: "latest" } }),
            { dataGeneration: 1, recovery: { generation: 1, target: "2025-06-14T10:00:00Z" } },
        ));
        assert.match(msg, /ternent-postgres:recovery\.target = "latest" changed after generation 1 was restored/);
    });

    it("refuses a rollback that does not leave the generation that runs", () => {
        const msg = errorOf(() => checkAgainstPrevious(cfg({ dataGeneration: 0, rollback: { fromGeneration: 1 } }), { dataGeneration: 2, dataGenerationMax: 2 }));
        assert.match(msg, /ternent-postgres:rollback\.fromGeneration = 1 is not the generation the previous deployment runs on \(2\): .* allowed is 2/);
    });

    it("refuses a recovery.fromGeneration that never existed", () => {
        const msg = errorOf(() => checkAgainstPrevious(cfg({ dataGeneration: 3, recovery: { target: "latest", fromGeneration: 2 } }), { dataGeneration: 1, dataGenerationMax: 1 }));
        assert.match(msg, /ternent-postgres:recovery\.fromGeneration = 2 never existed \(generations 0\.\.1 have run and hold history\)/);
    });

    it("refuses a recovery block for the generation that runs when that block did not restore it", () => {
        const msg = errorOf(() => checkAgainstPrevious(cfg({ dataGeneration: 1, recovery: { target: "latest" } }), { dataGeneration: 1, dataGenerationMax: 2 }));
        assert.match(msg, /ternent-postgres:recovery is set for generation 1, which the previous deployment already runs on .* set ternent-postgres:dataGeneration to 3/);
    });

    it("keeps the highest generation ever run, from the previous deployment or from dataGeneration before it was exported", () => {
        assert.equal(checkAgainstPrevious(cfg({ dataGeneration: 1 }), { dataGeneration: 1, dataGenerationMax: 4 }).dataGenerationMax, 4);
        assert.equal(checkAgainstPrevious(cfg({ dataGeneration: 2 }), { dataGeneration: 2 }).dataGenerationMax, 2);
        assert.equal(checkAgainstPrevious(cfg({}), {}).dataGenerationMax, 0);
    });

    it("restores from the generation that runs, the one named, or the one a kept recovery block restored from", () => {
        const after = { dataGeneration: 1, dataGenerationMax: 2 };
        assert.equal(checkAgainstPrevious(cfg({ dataGeneration: 3, recovery: { target: "latest" } }), after).recovery?.sourcePrefix, "ternent-postgres-gen1");
        assert.equal(checkAgainstPrevious(cfg({ dataGeneration: 3, recovery: { target: "latest", fromGeneration: 2 } }), after).recovery?.sourceGeneration, 2);
        const kept = checkAgainstPrevious(cfg({ dataGeneration: 3, recovery: { target: "latest" } }),
            { dataGeneration: 3, dataGenerationMax: 3, recovery: { generation: 3, target: "latest", restoredFromGeneration: 1 } });
        assert.equal(kept.recovery?.sourceGeneration, 1);
    });

    it("accepts staying on a generation, advancing with a recovery block, and a first deployment", () => {
        const stay = checkAgainstPrevious(cfg({ dataGeneration: 1 }), { dataGeneration: 1 });
        assert.equal(stay.dataGeneration, 1);
        assert.equal(stay.recovery, undefined);
        const advance = checkAgainstPrevious(cfg({ dataGeneration: 1, recovery: { target: "latest" } }), { dataGeneration: 0 });
        assert.equal(advance.dataGeneration, 1);
        assert.equal(advance.recovery?.sourceGeneration, 0);
        const kept = checkAgainstPrevious(cfg({ dataGeneration: 1, recovery: { target: "latest" } }), { dataGeneration: 1, recovery: { generation: 1, target: "latest" } });
        assert.equal(kept.dataGeneration, 1);
        assert.equal(kept.recovery?.target, "latest");
        const first = checkAgainstPrevious(cfg({}), {});
        assert.equal(first.dataGeneration, 0);
        assert.equal(first.dataGenerationMax, 0);
    });
});
