import { strict as assert } from "assert";
import { DEFAULTS } from "../../config";
import { validate } from "./helpers";

describe("config/defaults", () => {
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
});
