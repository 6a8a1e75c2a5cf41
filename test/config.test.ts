import { strict as assert } from "assert";
import {
    checkAgainstPrevious, ConfigError, DEFAULTS, POLICY_NAMES, RawStackConfig, validateStackConfig, validationClock,
} from "../config";

const FLAGS = { enableSecretMutable: "true", enableConfigMapMutable: "true" };
const NOW = new Date("2025-06-15T12:00:00Z");

/** Validates a config given as a stack file would (objects are JSON-encoded like the language host does). */
function validate(values: Record<string, unknown>, extra: Partial<RawStackConfig> = {}) {
    const raw = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    return validateStackConfig({ stack: "dev", values: raw, secretKeys: [], kubernetes: FLAGS, now: NOW, ...extra });
}

/** The ConfigError a config raises (fails the test when there is none). */
function problemsOf(values: Record<string, unknown>, extra: Partial<RawStackConfig> = {}): string {
    try {
        validate(values, extra);
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
        return e.message;
    }
    assert.fail("expected the config to be refused");
}

describe("components/config", () => {
    describe("defaults", () => {
        it("gives an empty dev config the documented defaults", () => {
            const { config, warnings } = validate({});
            assert.equal(config.postgres.image, "postgres:15.18-bookworm");
            assert.equal(config.walg.version, "v3.0.9");
            assert.equal(config.walg.sha256, "4f03ee4679db7f660bfd1b2b8291ac5df247cd2ec48074b60c112f4897299f24");
            assert.equal(config.walg.installerImage, "curlimages/curl:8.11.1");
            assert.equal(config.postgres.archiveTimeoutSeconds, 60);
            assert.deepEqual(config.retention, { daily: 7, weekly: 4, pitrDays: 7, weeklyDay: "sunday", dryRun: false });
            assert.deepEqual({ ...config.schedules }, { ...DEFAULTS.schedules });
            assert.equal(config.spaces.bucket, "ternent-postgres-backups-dev");
            assert.equal(config.spaces.drKeyPermission, "read");
            assert.deepEqual(warnings, []);
        });

        it("keeps the cheap profile: the Postgres container requests at most 250m CPU and 512Mi", () => {
            const { config } = validate({});
            assert.equal(config.postgres.resources.requests.cpu, "250m");
            assert.equal(config.postgres.resources.requests.memory, "512Mi");
        });

        it("merges postgres, walg and spaces per field over the defaults", () => {
            const { config } = validate({ postgres: { storageSize: "20Gi" }, spaces: { region: "ams3" }, walg: { compression: "zstd" } });
            assert.equal(config.postgres.storageSize, "20Gi");
            assert.equal(config.postgres.image, DEFAULTS.postgres.image);
            assert.equal(config.spaces.region, "ams3");
            assert.equal(config.spaces.endpoint, "https://ams3.digitaloceanspaces.com");
            assert.equal(config.walg.sha256, DEFAULTS.walg.sha256);
            assert.equal(config.walg.compression, "zstd");
        });

        it("takes schedules whole: a job whose schedule is absent is off, with a warning naming it", () => {
            const { config, warnings } = validate({ schedules: { backup: "0 1 * * *", retention: "0 3 * * *", pitrDrill: "0 6 1 * *", canary: "*/5 * * * *", verify: "*/15 * * * *" } });
            assert.equal(config.schedules.restoreDrill, undefined);
            assert.equal(config.schedules.backup, "0 1 * * *");
            const w = warnings.find((x) => x.includes("ternent-postgres:schedules.restoreDrill"));
            assert.ok(w, warnings.join("\n"));
            assert.ok(w.endsWith(`(policy ${POLICY_NAMES.restoreDrill})`), w);
        });

        it("derives the canary interval the drills get from the canary schedule", () => {
            assert.equal(validate({}).config.derived.canaryIntervalSeconds, 300);
            const custom = validate({ schedules: { ...DEFAULTS.schedules, canary: "*/10 * * * *" } });
            assert.equal(custom.config.derived.canaryIntervalSeconds, 600);
        });

        it("reads the validation clock from TERNENT_NOW", () => {
            const saved = process.env.TERNENT_NOW;
            process.env.TERNENT_NOW = "2030-01-02T03:04:05Z";
            try {
                assert.equal(validationClock().toISOString(), "2030-01-02T03:04:05.000Z");
            } finally {
                if (saved === undefined) {
                    delete process.env.TERNENT_NOW;
                } else {
                    process.env.TERNENT_NOW = saved;
                }
            }
        });
    });

    describe("bad values fail with the key, the value and what is allowed", () => {
        it("refuses a malformed cron schedule", () => {
            const msg = problemsOf({ schedules: { ...DEFAULTS.schedules, backup: "0 25 * * *" } });
            assert.match(msg, /ternent-postgres:schedules\.backup = "0 25 \* \* \*" is not a valid cron schedule: 25 is outside 0-23 in the hour field/);
        });

        it("refuses a schedule that never repeats", () => {
            const msg = problemsOf({ schedules: { ...DEFAULTS.schedules, pitrDrill: "0 0 30 2 *" } });
            assert.match(msg, /ternent-postgres:schedules\.pitrDrill = "0 0 30 2 \*" never fires/);
        });

        it("refuses a PITR drill target that is neither random nor an RFC 3339 time", () => {
            const msg = problemsOf({ drills: { pitrTarget: "yesterday" } });
            assert.match(msg, /ternent-postgres:drills\.pitrTarget = "yesterday" is not allowed: must be random or an RFC 3339 time with a zone/);
        });

        it("refuses a zero storage size", () => {
            const msg = problemsOf({ postgres: { storageSize: "0Gi" } });
            assert.match(msg, /ternent-postgres:postgres\.storageSize = "0Gi"/);
            assert.match(msg, /at least 1Gi/);
        });

        it("refuses a storage size that is not a quantity", () => {
            const msg = problemsOf({ postgres: { storageSize: "lots" } });
            assert.match(msg, /ternent-postgres:postgres\.storageSize = "lots" is not a Kubernetes quantity/);
            assert.match(msg, /e\.g\. 10Gi/);
        });

        it("refuses an unknown Spaces region and lists the allowed ones", () => {
            const msg = problemsOf({ spaces: { region: "mars1" } });
            assert.match(msg, /ternent-postgres:spaces\.region = "mars1"/);
            assert.match(msg, /nyc3, sfo2, sfo3, ams3, sgp1, fra1, syd1, blr1, lon1, tor1, atl1/);
        });

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

        it("accepts an image pinned by digest alone, with a warning", () => {
            const image = `postgres@sha256:${"a".repeat(64)}`;
            const { config, warnings } = validate({ postgres: { image } });
            assert.equal(config.postgres.image, image);
            assert.ok(warnings.some((w) => w.startsWith(`ternent-postgres:postgres.image = "${image}" is pinned by digest only`)));
        });

        it("refuses a short sha256", () => {
            const msg = problemsOf({ walg: { sha256: "4f03ee4679" } });
            assert.match(msg, /ternent-postgres:walg\.sha256 = "4f03ee4679" has 10 characters: allowed are exactly 64 lower-case hex digits/);
        });

        it("refuses an upper-case sha256", () => {
            const msg = problemsOf({ walg: { sha256: DEFAULTS.walg.sha256.toUpperCase() } });
            assert.match(msg, /ternent-postgres:walg\.sha256 = .* has upper-case hex digits: allowed are exactly 64 lower-case hex digits/);
        });

        it("refuses a WAL-G URL pointing at latest", () => {
            const msg = problemsOf({ walg: { url: "https://github.com/wal-g/wal-g/releases/latest/download/wal-g.tar.gz", sha256: DEFAULTS.walg.sha256 } });
            assert.match(msg, /ternent-postgres:walg\.url = .* points at "latest": allowed is the URL of one pinned release asset/);
        });

        it("refuses the image tag latest", () => {
            const msg = problemsOf({ postgres: { image: "postgres:latest" } });
            assert.match(msg, /ternent-postgres:postgres\.image = "postgres:latest" uses the tag latest: allowed is an explicit version tag/);
        });

        it("refuses an untagged image", () => {
            const msg = problemsOf({ walg: { installerImage: "curlimages/curl" } });
            assert.match(msg, /ternent-postgres:walg\.installerImage = "curlimages\/curl" is not pinned: allowed is <image>:<tag>/);
        });

        it("refuses an image that is not PostgreSQL 15", () => {
            const msg = problemsOf({ postgres: { image: "postgres:16.4-bookworm" } });
            assert.match(msg, /ternent-postgres:postgres\.image = "postgres:16\.4-bookworm" is not PostgreSQL 15: allowed are PostgreSQL 15 tags/);
        });

        it("refuses an archive timeout of 0", () => {
            const msg = problemsOf({ postgres: { archiveTimeoutSeconds: 0 } });
            assert.match(msg, /ternent-postgres:postgres\.archiveTimeoutSeconds = 0 is not allowed: must be an integer from 10 to 3600/);
        });

        it("refuses an absurd archive timeout", () => {
            const msg = problemsOf({ postgres: { archiveTimeoutSeconds: 86400 } });
            assert.match(msg, /ternent-postgres:postgres\.archiveTimeoutSeconds = 86400 is not allowed: must be an integer from 10 to 3600/);
        });

        it("refuses retention that is not a positive integer", () => {
            const msg = problemsOf({ retention: { daily: 0, weekly: 2.5, pitrDays: "seven" } });
            assert.match(msg, /ternent-postgres:retention\.daily = 0 is not allowed: must be an integer from 1 to 3650/);
            assert.match(msg, /ternent-postgres:retention\.weekly = 2\.5 is not allowed: must be an integer from 1 to 520/);
            assert.match(msg, /ternent-postgres:retention\.pitrDays = "seven" is not allowed: must be an integer from 1/);
        });

        it("refuses a retention block that does not spell out daily, weekly and pitrDays", () => {
            const msg = problemsOf({ retention: { daily: 7, pitrDays: 7 } });
            assert.match(msg, /ternent-postgres:retention\.weekly is missing/);
        });

        it("refuses an unknown weekday", () => {
            const msg = problemsOf({ retention: { daily: 7, weekly: 4, pitrDays: 7, weeklyDay: "funday" } });
            assert.match(msg, /ternent-postgres:retention\.weeklyDay = "funday" is not allowed: must be one of sunday, monday, tuesday, wednesday, thursday, friday, saturday/);
        });

        it("refuses unknown keys and unknown fields (typo protection)", () => {
            const msg = problemsOf({ retension: { daily: 7 }, postgres: { imag: "postgres:15" } });
            assert.match(msg, /ternent-postgres:retension = .* is not a known key \(a typo\?\): allowed keys are protect, namespaces, postgres/);
            assert.match(msg, /ternent-postgres:postgres\.imag = "postgres:15" is not a known field of ternent-postgres:postgres \(a typo\?\): allowed fields are image/);
        });

        it("refuses an empty API pod selector, which would admit every pod", () => {
            const msg = problemsOf({ network: { apiPodSelector: {} } });
            assert.match(msg, /ternent-postgres:network\.apiPodSelector = \{\} is empty: it must select at least one label/);
        });

        it("refuses a DR key grant that does not exist", () => {
            const msg = problemsOf({ spaces: { drKeyPermission: "admin" } });
            assert.match(msg, /ternent-postgres:spaces\.drKeyPermission = "admin" is not allowed: must be one of read, readwrite, fullaccess/);
        });

        it("refuses a request above its limit", () => {
            const msg = problemsOf({ postgres: { resources: { requests: { cpu: "2" } } } });
            assert.match(msg, /ternent-postgres:postgres\.resources\.requests\.cpu = "2" is above postgres\.resources\.limits\.cpu = "1"/);
        });

        it("reports every problem of a config at once", () => {
            const msg = problemsOf({ postgres: { storageSize: "0" }, spaces: { region: "x" }, dataGeneration: -1 });
            assert.match(msg, /^3 problems in the stack config:/);
        });

        it("requires in-place updates of Secrets/ConfigMaps when protect is on", () => {
            const msg = problemsOf({ protect: true }, { kubernetes: {} });
            assert.match(msg, /kubernetes:enableSecretMutable = null: must be "true"/);
            assert.match(msg, /kubernetes:enableConfigMapMutable/);
        });
    });

    describe("existing bucket and secrets", () => {
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

        it("requires the existing database password and a new prefix when adopting the bundle", () => {
            const msg = problemsOf({ adopt: true });
            assert.match(msg, /ternent-postgres:postgresPassword is missing: ternent-postgres:adopt is true/);
            assert.match(msg, /ternent-postgres:spaces\.prefix is not set: ternent-postgres:adopt is true/);
        });
    });

    describe("values below the policy minimums warn and still render", () => {
        it("warns about retention below 7/4/7, naming key, value and policy", () => {
            const { config, warnings } = validate({ retention: { daily: 3, weekly: 1, pitrDays: 2 } });
            assert.equal(config.retention.daily, 3);
            assert.ok(warnings.includes(`ternent-postgres:retention.daily = 3 is below the policy minimum of 7 daily backups: the policy pack refuses it (policy ${POLICY_NAMES.retentionDaily})`), warnings.join("\n"));
            assert.ok(warnings.some((w) => w.startsWith("ternent-postgres:retention.weekly = 1 is below the policy minimum of 4")));
            assert.ok(warnings.some((w) => w.startsWith("ternent-postgres:retention.pitrDays = 2 is below the policy minimum of 7")));
        });

        it("warns about an archive timeout above 60 s", () => {
            const { warnings } = validate({ postgres: { archiveTimeoutSeconds: 300 } });
            assert.ok(warnings.some((w) => w.startsWith("ternent-postgres:postgres.archiveTimeoutSeconds = 300 is above the policy maximum of 60 s") &&
                w.includes(`policy ${POLICY_NAMES.archive}`)), warnings.join("\n"));
        });

        it("warns about a DR key that can write", () => {
            const { config, warnings } = validate({ spaces: { drKeyPermission: "readwrite" } });
            assert.equal(config.spaces.drKeyPermission, "readwrite");
            assert.ok(warnings.some((w) => w.startsWith('ternent-postgres:spaces.drKeyPermission = "readwrite"') && w.includes(`policy ${POLICY_NAMES.drKey}`)));
        });

        it("warns about a base backup less often than daily", () => {
            const { warnings } = validate({ schedules: { ...DEFAULTS.schedules, backup: "0 2 * * 0" } });
            assert.ok(warnings.some((w) => w.startsWith('ternent-postgres:schedules.backup = "0 2 * * 0" can wait 168 h between runs')), warnings.join("\n"));
        });
    });

    describe("walg.retries: one bounded retry policy for every WAL-G consumer", () => {
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

        it("warns when the worst case is above what the policy pack allows (900 s), even under a raised maxSeconds", () => {
            const { config, warnings } = validate({ walg: { retries: { fileRetries: 5, maxSeconds: 3600 } } });
            assert.equal(config.walg.retries.worstCase.seconds, 1170);
            assert.ok(warnings.some((w) => w.startsWith("ternent-postgres:walg.retries lets backup-fetch retry one unreadable object for up to 1170 s") &&
                w.endsWith(`(policy ${POLICY_NAMES.retries})`)), warnings.join("\n"));
        });
    });

    describe("the verify schedule against the stall bound (2 × archive_timeout)", () => {
        it("derives verify's ready-age limit from archiveTimeoutSeconds", () => {
            assert.equal(validate({ postgres: { archiveTimeoutSeconds: 45 } }).config.derived.verifyMaxReadyAgeSeconds, 45);
        });

        it("warns when verify runs too rarely to report a stall within 2 × archive_timeout", () => {
            const { warnings } = validate({ schedules: { ...DEFAULTS.schedules, verify: "*/15 * * * *" } });
            assert.ok(warnings.some((w) => w.startsWith('ternent-postgres:schedules.verify = "*/15 * * * *" can wait 900 s between runs') &&
                w.includes("2 × ternent-postgres:postgres.archiveTimeoutSeconds = 120 s") && w.endsWith(`(policy ${POLICY_NAMES.stall})`)), warnings.join("\n"));
            assert.ok(!validate({ schedules: { ...DEFAULTS.schedules, verify: "*/2 * * * *" } }).warnings.some((w) => w.includes(POLICY_NAMES.stall)),
                "every 2 minutes is 2 × 60 s");
        });

        it("warns when verify is off, naming the policy", () => {
            const schedules: Record<string, string> = { ...DEFAULTS.schedules };
            delete schedules.verify;
            const { warnings } = validate({ schedules });
            assert.ok(warnings.some((w) => w.startsWith("ternent-postgres:schedules.verify is not set") && w.includes(`policy ${POLICY_NAMES.stall}`)), warnings.join("\n"));
        });
    });

    describe("recovery", () => {
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
    });

    describe("rollback", () => {
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

        it("refuses a recovery.fromGeneration that is not older than the generation restored into", () => {
            const msg = problemsOf({ dataGeneration: 2, recovery: { target: "latest", fromGeneration: 2 } });
            assert.match(msg, /ternent-postgres:recovery\.fromGeneration = 2 is not older than ternent-postgres:dataGeneration = 2/);
        });
    });

    describe("history of the stack (previous deployment)", () => {
        const cfg = (values: Record<string, unknown>) => validate(values).config;
        const errorOf = (fn: () => void): string => {
            try {
                fn();
            } catch (e) {
                assert.ok(e instanceof ConfigError);
                return e.message;
            }
            assert.fail("expected an error");
        };

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
});
