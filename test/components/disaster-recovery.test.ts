import { strict as assert } from "assert";
import { byType, dependsOn, findK8s, metaOf, defaultRun, stackRun } from "./helpers";

const DR = "backend-dr";
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = Record<string, any>;

describe("components/disaster-recovery (DisasterRecovery)", () => {
    it("creates Namespace backend-dr enforcing the restricted pod security standard", async () => {
        const run = await stackRun("prod");
        const labels = metaOf(findK8s(run, "Namespace", DR)).labels!;
        assert.equal(labels["pod-security.kubernetes.io/enforce"], "restricted");
    });

    it("puts the DR key and the current prefix into Secret ternent-postgres-backup in backend-dr", async () => {
        const run = await stackRun("prod");
        const secret = findK8s(run, "Secret", "ternent-postgres-backup", DR);
        const key = byType(run, "digitalocean:index/spacesKey:SpacesKey").find((k) => k.name === "storage-dr-key")!;
        assert.deepEqual((key.inputs.grants as Any[]).map((g) => g.permission), ["read"]);
        const data = secret.inputs.stringData as Record<string, string>;
        assert.equal(data.AWS_ACCESS_KEY_ID, key.outputs.accessKey);
        assert.equal(data.AWS_SECRET_ACCESS_KEY, key.outputs.secretKey);
        assert.equal(data.WALG_S3_PREFIX, "s3://ternent-postgres-backups-prod/ternent-postgres");
        assert.equal(data.WALG_LIBSODIUM_KEY, run.outputs.walgLibsodiumKey);
        assert.equal(metaOf(secret).annotations!["ternent-postgres/spaces-key-permission"], "read");
        assert.ok(dependsOn(run, secret, findK8s(run, "Namespace", DR)), "the namespace exists first");
        assert.ok(secret.dependencies.includes(key.urn), "the key exists before the Secret carrying it");
    });

    it("gives backend-dr its own scripts and WAL-G ConfigMaps and denies all ingress", async () => {
        const run = await defaultRun();
        findK8s(run, "ConfigMap", "ternent-postgres-scripts", DR);
        findK8s(run, "ConfigMap", "ternent-postgres-walg", DR);
        const spec = findK8s(run, "NetworkPolicy", "ternent-postgres-deny-ingress", DR).inputs.spec as Any;
        assert.deepEqual(spec.podSelector, {});
        assert.deepEqual(spec.policyTypes, ["Ingress"]);
        assert.deepEqual(spec.ingress ?? [], []);
    });
});
