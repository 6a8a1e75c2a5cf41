import { strict as assert } from "assert";
import { problemsOf, validate } from "../helpers";

describe("config/sections/recovery", () => {
    it("refuses a recovery block without a new data generation", () => {
        const msg = problemsOf({ recovery: { target: "latest" } });
        assert.match(msg, /ternent-postgres:recovery is set but ternent-postgres:dataGeneration = 0/);
    });

    it("refuses a target in the future", () => {
        const msg = problemsOf({ dataGeneration: 1, recovery: { target: "2025-06-15T12:30:00Z" } });
        assert.match(msg, /ternent-postgres:recovery\.target = "2025-06-15T12:30:00Z" is in the future \(now is 2025-06-15T12:00:00\.000Z\): allowed are times inside the PITR window, from 2025-06-08T12:00:00\.000Z to now/);
    });

    it("refuses a target older than the PITR window", () => {
        const msg = problemsOf({ dataGeneration: 1, recovery: { target: "2025-06-01T00:00:00Z" } });
        assert.match(msg, /ternent-postgres:recovery\.target = "2025-06-01T00:00:00Z" is older than the PITR window \(ternent-postgres:retention\.pitrDays = 7\)/);
    });

    it("refuses a malformed backup name", () => {
        const msg = problemsOf({ dataGeneration: 1, recovery: { target: "base_0000000100000000000000" } });
        assert.match(msg, /ternent-postgres:recovery\.target = "base_0000000100000000000000" is not a WAL-G backup name: allowed is base_ followed by 24 upper-case hex digits/);
    });

    it("refuses a time without a zone", () => {
        const msg = problemsOf({ dataGeneration: 1, recovery: { target: "2025-06-14T10:00:00" } });
        assert.match(msg, /ternent-postgres:recovery\.target = "2025-06-14T10:00:00" is not allowed: must be latest, a backup name base_<24 hex>, or an RFC 3339 time with a zone/);
    });

    it("accepts a time inside the window and restores from the previous generation's prefix", () => {
        const { config } = validate({ dataGeneration: 2, recovery: { target: "2025-06-14T10:00:00+02:00", scaleApi: false } });
        assert.equal(config.recovery?.targetKind, "time");
        assert.equal(config.recovery?.sourcePrefix, "ternent-postgres-gen1");
        assert.equal(config.derived.currentPrefix, "ternent-postgres-gen2");
        assert.equal(config.recovery?.scaleApi, false);
    });

    it("accepts a backup name", () => {
        const { config } = validate({ dataGeneration: 1, recovery: { target: "base_000000010000000000000002" } });
        assert.equal(config.recovery?.targetKind, "backup");
        assert.equal(config.recovery?.sourcePrefix, "ternent-postgres");
    });

    it("refuses a recovery.fromGeneration that is not older than the generation restored into", () => {
        const msg = problemsOf({ dataGeneration: 2, recovery: { target: "latest", fromGeneration: 2 } });
        assert.match(msg, /ternent-postgres:recovery\.fromGeneration = 2 is not older than ternent-postgres:dataGeneration = 2/);
    });
});
