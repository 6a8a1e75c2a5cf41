import { strict as assert } from "assert";
import { DEFAULTS } from "../../../config";
import { problemsOf, validate } from "../helpers";

describe("config/sections/walg", () => {
    it("refuses a WAL-G URL without its sha256", () => {
        const msg = problemsOf({ walg: { version: "v3.0.9", url: "https://example.com/v3.0.9/wal-g.tar.gz" } });
        assert.match(msg, /ternent-postgres:walg\.sha256 is missing/);
        assert.match(msg, /64 lower-case hex digits/);
    });

    it("refuses an empty sha256 as missing", () => {
        const msg = problemsOf({ walg: { sha256: "" } });
        assert.match(msg, /ternent-postgres:walg\.sha256 is missing/);
        assert.match(msg, /64 lower-case hex digits/);
    });

    it("refuses a short sha256", () => {
        const msg = problemsOf({ walg: { sha256: "4f03ee4679" } });
        assert.match(msg, /ternent-postgres:walg\.sha256 = "4f03ee4679" has 10 characters: allowed are exactly 64 lower-case hex digits/);
    });

    it("refuses an upper-case sha256", () => {
        const msg = problemsOf({ walg: { sha256: DEFAULTS.walg.sha256.toUpperCase() } });
        assert.match(msg, /ternent-postgres:walg\.sha256 = .* has upper-case hex digits: allowed are exactly 64 lower-case hex digits/);
    });

    it("defaults walg.restoreDaemon to true and refuses a value that is not a boolean", () => {
        assert.equal(validate({}).config.walg.restoreDaemon, true);
        assert.equal(validate({ walg: { restoreDaemon: false } }).config.walg.restoreDaemon, false);
        assert.match(problemsOf({ walg: { restoreDaemon: "yes" } }), /ternent-postgres:walg\.restoreDaemon = "yes" is not a boolean: allowed values are true and false/);
    });

    it("refuses a WAL-G URL pointing at latest", () => {
        const msg = problemsOf({ walg: { url: "https://github.com/wal-g/wal-g/releases/latest/download/wal-g.tar.gz", sha256: DEFAULTS.walg.sha256 } });
        assert.match(msg, /ternent-postgres:walg\.url = .* points at "latest": allowed is the URL of one pinned release asset/);
    });

    it("refuses an untagged image", () => {
        const msg = problemsOf({ walg: { installerImage: "curlimages/curl" } });
        assert.match(msg, /ternent-postgres:walg\.installerImage = "curlimages\/curl" is not pinned: allowed is <image>:<tag>/);
    });

    it("defaults to 3 backup-fetch rounds and 5 request retries, a 520 s worst case under the 600 s bound", () => {
        const { config } = validate({});
        const r = config.walg.retries;
        assert.equal(r.fileRetries, 3);
        assert.equal(r.requestRetries, 5);
        assert.equal(r.maxSeconds, 600);
        assert.equal(r.worstCase.seconds, 520);
        assert.equal(r.worstCase.sleepSeconds, 420, "1 + 2 + 4 minutes");
    });

    it("merges walg.retries per field", () => {
        const { config } = validate({ walg: { retries: { fileRetries: 2 } } });
        assert.equal(config.walg.retries.fileRetries, 2);
        assert.equal(config.walg.retries.requestRetries, 5);
    });

    it("refuses settings whose worst case exceeds maxSeconds, naming the key, the values and what is allowed", () => {
        const msg = problemsOf({ walg: { retries: { fileRetries: 6, requestRetries: 5, maxSeconds: 600 } } });
        assert.match(msg, /ternent-postgres:walg\.retries = \{"fileRetries":6,"requestRetries":5,"maxSeconds":600\} with ternent-postgres:walg\.downloadConcurrency = 4 lets backup-fetch retry one unreadable object for up to 1495 s/);
        assert.match(msg, /more than maxSeconds = 600: allowed are settings whose worst case is at most maxSeconds/);
    });

    it("counts the concurrency halvings: downloadConcurrency 64 sleeps 6 rounds even with fileRetries 0", () => {
        const msg = problemsOf({ walg: { downloadConcurrency: 64, retries: { fileRetries: 0 } } });
        assert.match(msg, /downloadConcurrency = 64 lets backup-fetch retry one unreadable object for up to 1495 s \(6 rounds sleeping 1320 s, 7 attempts × 25 s of request retries\)/);
    });

    it("refuses counts outside 0..15 and a bound outside 60..21600, naming the key and the value", () => {
        const msg = problemsOf({ walg: { retries: { fileRetries: -1, requestRetries: "many", maxSeconds: 30, retry: 1 } } });
        assert.match(msg, /ternent-postgres:walg\.retries\.fileRetries = -1 is not allowed: must be an integer from 0 to 15/);
        assert.match(msg, /ternent-postgres:walg\.retries\.requestRetries = "many" is not allowed: must be an integer from 0 to 15/);
        assert.match(msg, /ternent-postgres:walg\.retries\.maxSeconds = 30 is not allowed: must be an integer from 60 to 21600/);
        assert.match(msg, /ternent-postgres:walg\.retries\.retry = 1 is not a known field of ternent-postgres:walg\.retries/);
    });
});
