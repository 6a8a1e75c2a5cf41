import { strict as assert } from "assert";
import { flattenStackConfig, runProgram, securePlaceholder } from "../../tools/harness";
import { BUNDLE_NAMESPACES, byType, defaultRun, findK8s, K8S_FLAGS, NOW, runWith, stackRun } from "./helpers";

const BUCKET = "digitalocean:index/spacesBucket:SpacesBucket";
const KEY = "digitalocean:index/spacesKey:SpacesKey";
const PASSWORD = "random:index/randomPassword:RandomPassword";

describe("components/storage (BackupStorage)", () => {
    it("creates one private bucket that cannot be force-destroyed and has no expiring lifecycle rule", async () => {
        const run = await stackRun("prod");
        const buckets = byType(run, BUCKET);
        assert.equal(buckets.length, 1);
        const b = buckets[0].inputs as { name: string; region: string; acl: string; forceDestroy: boolean; lifecycleRules?: Record<string, unknown>[] };
        assert.equal(b.name, "ternent-postgres-backups-prod");
        assert.equal(b.region, "fra1");
        assert.equal(b.acl, "private");
        assert.equal(b.forceDestroy, false);
        for (const rule of b.lifecycleRules ?? []) {
            assert.equal(rule.expiration, undefined, "no rule may expire current objects");
            assert.equal(rule.noncurrentVersionExpiration, undefined);
        }
    });

    it("creates a read-write key and a read-only key, both scoped to the bucket", async () => {
        const run = await stackRun("prod");
        const keys = byType(run, KEY).map((k) => (k.inputs.grants as { bucket: string; permission: string }[]));
        assert.equal(keys.length, 2);
        assert.deepEqual(keys.map((g) => g.map((x) => x.permission)).flat().sort(), ["read", "readwrite"]);
        for (const grants of keys) {
            assert.deepEqual(grants.map((g) => g.bucket), ["ternent-postgres-backups-prod"]);
        }
    });

    it("grants the DR key what spaces.drKeyPermission says", async () => {
        const run = await runWith({ spaces: { drKeyPermission: "readwrite" } });
        const dr = byType(run, KEY).find((k) => k.name === "storage-dr-key")!;
        assert.deepEqual((dr.inputs.grants as { permission: string }[]).map((g) => g.permission), ["readwrite"]);
        const secret = findK8s(run, "Secret", "ternent-postgres-backup", "backend-dr");
        assert.equal((secret.inputs.metadata as { annotations: Record<string, string> }).annotations["ternent-postgres/spaces-key-permission"], "readwrite");
    });

    it("generates the WAL-G libsodium key as a 64-character hex secret and exports it as a secret output", async () => {
        const run = await defaultRun();
        const key = byType(run, PASSWORD).find((p) => p.name === "storage-walg-libsodium-key")!;
        assert.deepEqual(
            { length: key.inputs.length, lower: key.inputs.lower, upper: key.inputs.upper, numeric: key.inputs.numeric, overrideSpecial: key.inputs.overrideSpecial },
            { length: 64, lower: false, upper: false, numeric: true, overrideSpecial: "abcdef" },
        );
        assert.ok(run.secretOutputs.includes("walgLibsodiumKey"));
        assert.equal(run.outputs.walgLibsodiumKey, key.outputs.result);
    });

    it("makes no DigitalOcean resource at all and uses the secret config with spaces.useExisting", async () => {
        const flat = flattenStackConfig({
            ...K8S_FLAGS,
            ...BUNDLE_NAMESPACES,
            spaces: { useExisting: true, bucket: "existing-bucket" },
            spacesReadWriteKeyId: { secure: "v1:a" }, spacesReadWriteSecret: { secure: "v1:b" },
            spacesReadOnlyKeyId: { secure: "v1:c" }, spacesReadOnlySecret: { secure: "v1:d" },
        });
        const sodium = "0123456789abcdef".repeat(4);
        const run = await runProgram({
            stack: "dev", now: NOW,
            config: { ...flat.config, "ternent-postgres:walgLibsodiumKey": sodium },
            secretKeys: [...flat.secretKeys, "ternent-postgres:walgLibsodiumKey"],
        });
        assert.deepEqual(run.resources.filter((r) => r.type.startsWith("digitalocean:")), []);
        assert.equal(byType(run, PASSWORD).filter((p) => p.name.includes("libsodium")).length, 0);
        const rw = findK8s(run, "Secret", "ternent-postgres-backup", "backend");
        const data = rw.inputs.stringData as Record<string, string>;
        assert.equal(data.AWS_ACCESS_KEY_ID, securePlaceholder("ternent-postgres:spacesReadWriteKeyId"));
        assert.equal(data.WALG_LIBSODIUM_KEY, sodium);
        assert.equal(data.WALG_S3_PREFIX, "s3://existing-bucket/ternent-postgres");
        assert.deepEqual(rw.secretPaths, ["stringData"]);
        const dr = findK8s(run, "Secret", "ternent-postgres-backup", "backend-dr");
        assert.equal((dr.inputs.stringData as Record<string, string>).AWS_SECRET_ACCESS_KEY, securePlaceholder("ternent-postgres:spacesReadOnlySecret"));
        assert.equal(run.outputs.walgLibsodiumKey, sodium);
        assert.ok(run.secretOutputs.includes("walgLibsodiumKey"));
    });

    it("protects the bucket, the keys and the generated key in prod but not in dev", async () => {
        for (const [stack, expected] of [["prod", true], ["dev", false]] as const) {
            const run = await stackRun(stack);
            for (const r of [...byType(run, BUCKET), ...byType(run, KEY), ...byType(run, PASSWORD)]) {
                assert.equal(r.options.protect, expected, `${stack}: ${r.urn}`);
            }
        }
    });
});
