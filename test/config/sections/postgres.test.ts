import { strict as assert } from "assert";
import { problemsOf, validate } from "../helpers";

describe("config/sections/postgres", () => {
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

    it("accepts an image pinned by digest alone, with a warning", () => {
        const image = `postgres@sha256:${"a".repeat(64)}`;
        const { config, warnings } = validate({ postgres: { image } });
        assert.equal(config.postgres.image, image);
        assert.ok(warnings.some((w) => w.startsWith(`ternent-postgres:postgres.image = "${image}" is pinned by digest only`)));
    });

    it("refuses the image tag latest", () => {
        const msg = problemsOf({ postgres: { image: "postgres:latest" } });
        assert.match(msg, /ternent-postgres:postgres\.image = "postgres:latest" uses the tag latest: allowed is an explicit version tag/);
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

    it("refuses requests that differ from the limits (Guaranteed QoS)", () => {
        const msg = problemsOf({ postgres: { resources: { requests: { cpu: "250m" } } } });
        assert.match(msg, /ternent-postgres:postgres\.resources\.requests\.cpu = "250m" differs from postgres\.resources\.limits\.cpu = "500m": the database runs with Guaranteed QoS/);
        const equal = validate({ postgres: { resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "1000m", memory: "2048Mi" } } } });
        assert.equal(equal.config.postgres.resources.limits.cpu, "1000m", "equal quantities in other units are fine");
    });

    it("refuses an app role that is the superuser, /dev/shm as large as the memory limit, a bad backup mode or priority", () => {
        const msg = problemsOf({ postgres: { appUser: "ternent", shmSize: "1Gi", backupMode: "pvc", priority: 0 } });
        assert.match(msg, /ternent-postgres:postgres\.appUser = "ternent" is postgres\.user, the superuser/);
        assert.match(msg, /ternent-postgres:postgres\.shmSize = "1Gi" is not below postgres\.resources\.limits\.memory/);
        assert.match(msg, /ternent-postgres:postgres\.backupMode = "pvc" is not allowed: remote .* or local/);
        assert.match(msg, /ternent-postgres:postgres\.priority = 0/);
    });

    it("accepts an image pinned by tag and digest", () => {
        const digest = `sha256:${"ab".repeat(32)}`;
        const { config } = validate({ postgres: { image: `postgres:15.18-bookworm@${digest}` }, walg: { installerImage: `curlimages/curl@${digest}` } });
        assert.equal(config.postgres.image, `postgres:15.18-bookworm@${digest}`);
        assert.equal(config.walg.installerImage, `curlimages/curl@${digest}`);
    });
});
