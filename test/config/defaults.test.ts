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

    it("keeps the cheap profile with Guaranteed QoS: the Postgres container requests and is limited to 500m CPU and 1Gi", () => {
        const { config } = validate({});
        assert.deepEqual(config.postgres.resources, { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "500m", memory: "1Gi" } });
    });

    it("gives dev its own namespaces and bucket, and prod the bundle's namespaces", () => {
        const dev = validate({}).config;
        assert.deepEqual(dev.namespaces, { primary: "backend-dev", dr: "backend-dev-dr" });
        assert.equal(dev.spaces.bucket, "ternent-postgres-backups-dev");
        const prod = validate({}, { stack: "prod" }).config;
        assert.deepEqual(prod.namespaces, { primary: "backend", dr: "backend-dr" });
        assert.equal(prod.spaces.bucket, "ternent-postgres-backups-prod");
        const shared = validate({ namespaces: { primary: "backend", dr: "backend-dr" } }).config;
        assert.deepEqual(shared.namespaces, { primary: "backend", dr: "backend-dr" }, "explicit names win (separate clusters)");
    });

    it("keeps volumes that outlive their claim, backs up over the replication protocol, and gives the API its own role", () => {
        const { config } = validate({});
        assert.equal(config.postgres.storageClass, "do-block-storage-retain");
        assert.equal(config.postgres.backupMode, "remote");
        assert.equal(config.postgres.appUser, "ternent_app");
        assert.equal(config.postgres.serviceName, "ternent-postgres-headless");
        assert.equal(config.postgres.shmSize, "256Mi");
        assert.equal(config.postgres.priority, undefined);
        assert.deepEqual(config.drills, { smokeSql: "", pitrTarget: "random", scratchFactor: 1.5, scratchStorageClass: "do-block-storage", maxMinutes: 120 });
        assert.deepEqual(config.alerts, { onSuccess: false });
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
