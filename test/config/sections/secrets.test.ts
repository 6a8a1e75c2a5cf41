import { strict as assert } from "assert";
import { problemsOf, validate } from "../helpers";

describe("config/sections/secrets", () => {
    const secrets = {
        spacesReadWriteKeyId: "RWKEYID123", spacesReadWriteSecret: "rw-secret-value",
        spacesReadOnlyKeyId: "ROKEYID123", spacesReadOnlySecret: "ro-secret-value",
        walgLibsodiumKey: "ab".repeat(32),
    };

    it("names every missing credential when spaces.useExisting is true", () => {
        const msg = problemsOf({ spaces: { useExisting: true, bucket: "old-bucket" } });
        for (const k of Object.keys(secrets)) {
            assert.match(msg, new RegExp(`ternent-postgres:${k} is missing: ternent-postgres:spaces.useExisting is true`));
        }
    });

    it("accepts the existing bucket's credentials from secret config", () => {
        const { config } = validate({ spaces: { useExisting: true, bucket: "old-bucket" }, ...secrets }, { secretKeys: Object.keys(secrets) });
        assert.ok(config.existing);
        assert.equal(config.spaces.bucket, "old-bucket");
    });

    it("refuses credentials set in plain text", () => {
        const msg = problemsOf({ spaces: { useExisting: true, bucket: "old-bucket" }, ...secrets }, { secretKeys: [] });
        assert.match(msg, /ternent-postgres:spacesReadWriteSecret is set in plain text/);
    });

    it("refuses a malformed libsodium key without printing it", () => {
        const bad = { ...secrets, walgLibsodiumKey: "not-hex-at-all" };
        const msg = problemsOf({ spaces: { useExisting: true, bucket: "old-bucket" }, ...bad }, { secretKeys: Object.keys(bad) });
        assert.match(msg, /ternent-postgres:walgLibsodiumKey \(secret, value not shown\) is not a WAL-G libsodium key: allowed are exactly 64 lower-case hex digits/);
        assert.ok(!msg.includes("not-hex-at-all"));
    });

    it("refuses bucket credentials the program would ignore", () => {
        const msg = problemsOf({ spacesReadWriteSecret: "x" }, { secretKeys: ["spacesReadWriteSecret"] });
        assert.match(msg, /ternent-postgres:spacesReadWriteSecret is set but ternent-postgres:spaces\.useExisting is false/);
    });
});
