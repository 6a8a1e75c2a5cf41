import { strict as assert } from "assert";
import { checkAgainstPrevious, ConfigError, PreviousDeployment } from "../config";
import { validate } from "./config/helpers";
import { runWith, stackRun } from "./components/helpers";

describe("outputs.ts (the stack outputs)", () => {
    it("exports what users need, the libsodium key as a secret output", async () => {
        const run = await stackRun("prod");
        assert.deepEqual(Object.keys(run.outputs).sort(), [
            "appCredentialsSecret", "bucket", "bucketEndpoint", "credentialsSecret", "dataClaim", "dataGeneration", "dataGenerationMax", "drNamespace", "haCluster", "migration", "namespace", "port",
            "profile", "recovery", "rollback", "serviceHost", "walgLibsodiumKey", "walgPrefix", "walgPrefixes",
        ]);
        assert.deepEqual(run.secretOutputs, ["walgLibsodiumKey"]);
        assert.equal(run.outputs.serviceHost, "ternent-postgres.backend.svc");
        assert.equal(run.outputs.appCredentialsSecret, "ternent-postgres-app", "the API's Secret is the application role's");
        assert.equal(run.outputs.credentialsSecret, "ternent-postgres");
        assert.equal(run.outputs.walgPrefix, "s3://ternent-postgres-backups-prod/ternent-postgres");
        assert.equal(run.outputs.dataGeneration, 0);
        assert.equal(run.outputs.recovery, null);
        assert.equal(run.outputs.profile, "single");
        assert.equal(run.outputs.migration, null);
    });


    it("exports what the next deployment's history check reads back", async () => {
        const values = { dataGeneration: 1, recovery: { target: "latest" } };
        const run = await runWith(values, { previousOutputs: { dataGeneration: 0 } });
        const previous = run.outputs as PreviousDeployment;
        const kept = checkAgainstPrevious(validate(values).config, previous);
        assert.equal(kept.recovery?.sourceGeneration, 0);
        assert.throws(() => checkAgainstPrevious(validate({ dataGeneration: 1, recovery: { target: "2025-06-15T10:00:00Z" } }).config, previous),
            (e: unknown) => e instanceof ConfigError && /recovery\.target = "2025-06-15T10:00:00Z" changed after generation 1 was restored/.test(e.message));
        assert.throws(() => checkAgainstPrevious(validate({ dataGeneration: 0 }).config, previous),
            (e: unknown) => e instanceof ConfigError && /dataGeneration = 0 goes backwards/.test(e.message));
    });
});
