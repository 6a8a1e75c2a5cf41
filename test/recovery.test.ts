import { strict as assert } from "assert";
import { ProgramRun } from "../tools/harness";
import { byType, dependsOn, envOf, findAllK8s, findK8s, metaOf, podSpecOf, runWith, workloads } from "./components/helpers";

const NS = "backend";
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = Record<string, any>;

const RECOVER_G1 = { dataGeneration: 1, recovery: { target: "2025-06-14T10:00:00Z" } };

describe("recovery (data generations, restore Job, API patches)", () => {
    // One run of this configuration, which the tests below only read.
    let g1: ProgramRun;
    before(async () => {
        g1 = await runWith(RECOVER_G1);
    });

    it("declares the new generation's PVC protected and retained on delete", async () => {
        const run = g1;
        const pvc = findK8s(run, "PersistentVolumeClaim", "ternent-postgres-data-g1", NS);
        assert.equal(pvc.options.protect, true);
        assert.equal(pvc.options.retainOnDelete, true);
        const spec = pvc.inputs.spec as Any;
        assert.deepEqual(spec.accessModes, ["ReadWriteOnce"]);
        assert.equal(spec.resources.requests.storage, "10Gi");
    });

    it("orders PVC -> restore Job -> StatefulSet", async () => {
        const run = g1;
        const pvc = findK8s(run, "PersistentVolumeClaim", "ternent-postgres-data-g1", NS);
        const job = findK8s(run, "Job", "ternent-postgres-restore-g1", NS);
        const sts = findK8s(run, "StatefulSet", "ternent-postgres", NS);
        assert.ok(dependsOn(run, job, pvc), "the Job waits for the PVC");
        assert.ok(sts.dependencies.includes(job.urn), "the StatefulSet waits for the Job");
        assert.ok(!dependsOn(run, job, sts), "no cycle");
    });

    it("runs restore.sh with the read-only key from the previous generation's prefix into the new PVC", async () => {
        const run = g1;
        const job = findK8s(run, "Job", "ternent-postgres-restore-g1", NS);
        const pod = podSpecOf(job) as Any;
        const main = pod.containers[0];
        assert.deepEqual(main.command, ["/ternent/scripts/restore.sh"]);
        const env = envOf(main);
        assert.equal(env.TERNENT_RESTORE_TARGET, "2025-06-14T10:00:00Z");
        assert.equal(env.PGDATA, "/var/lib/postgresql/data/pgdata");
        assert.equal(env.TERNENT_WORKDIR, "/ternent/work");
        assert.equal(env.PGUSER, "ternent");
        // restore.sh stops replay at this timeout; it must fit inside the Job's deadline.
        assert.ok(Number(env.TERNENT_RESTORE_TIMEOUT_SECONDS) > 3600, "replay may take longer than restore.sh's 1 h default");
        assert.ok(Number(env.TERNENT_RESTORE_TIMEOUT_SECONDS) < (job.inputs.spec as Any).activeDeadlineSeconds);
        const claim = (pod.volumes as Any[]).find((v) => v.persistentVolumeClaim)!;
        assert.equal(claim.persistentVolumeClaim.claimName, "ternent-postgres-data-g1");
        const secretName = main.envFrom[0].secretRef.name;
        const secret = findK8s(run, "Secret", secretName, NS);
        const data = secret.inputs.stringData as Any;
        assert.equal(data.WALG_S3_PREFIX, "s3://ternent-postgres-backups-dev/ternent-postgres");
        const dr = byType(run, "digitalocean:index/spacesKey:SpacesKey").find((k) => k.name === "storage-dr-key")!;
        assert.equal(data.AWS_ACCESS_KEY_ID, dr.outputs.accessKey);
        assert.deepEqual((dr.inputs.grants as Any[]).map((g) => g.permission), ["read"]);
        assert.equal((job.inputs.spec as Any).backoffLimit, 0);
        assert.deepEqual(job.options.ignoreChanges, ["spec"]);
    });

    it("switches the StatefulSet to the new PVC and keeps the claim template (generation 0 stays bound)", async () => {
        const run = g1;
        const spec = findK8s(run, "StatefulSet", "ternent-postgres", NS).inputs.spec as Any;
        const pod = spec.template.spec;
        const mount = (pod.containers[0].volumeMounts as Any[]).find((m) => m.mountPath === "/var/lib/postgresql/data")!;
        const volume = (pod.volumes as Any[]).find((v) => v.name === mount.name)!;
        assert.equal(volume.persistentVolumeClaim.claimName, "ternent-postgres-data-g1");
        assert.notEqual(mount.name, "data");
        assert.equal(spec.volumeClaimTemplates[0].metadata.name, "data");
    });

    it("points every WAL-G consumer at the new generation's prefix", async () => {
        const run = g1;
        const prefix = "s3://ternent-postgres-backups-dev/ternent-postgres-gen1";
        for (const ns of [NS, "backend-dr"]) {
            const secret = findK8s(run, "Secret", "ternent-postgres-backup", ns);
            assert.equal((secret.inputs.stringData as Any).WALG_S3_PREFIX, prefix, ns);
            assert.equal(metaOf(secret).annotations!["ternent-postgres/walg-s3-prefix"], prefix, ns);
        }
        // Every workload that runs WAL-G reads it from one of those Secrets (or, for the restore Job, the source).
        for (const w of workloads(run)) {
            const main = podSpecOf(w).containers[0] as Any;
            const secrets = ((main.envFrom ?? []) as Any[]).filter((e) => e.secretRef).map((e) => e.secretRef.name);
            if (secrets.length > 0 && metaOf(w).name !== "ternent-postgres-restore-g1") {
                assert.ok(secrets.every((s: string) => s === "ternent-postgres-backup" || s === "ternent-postgres"), `${w.urn}: ${secrets.join(",")}`);
            }
        }
        assert.equal(run.outputs.walgPrefix, prefix);
        assert.deepEqual(run.outputs.walgPrefixes, ["s3://ternent-postgres-backups-dev/ternent-postgres", prefix]);
    });

    it("tags every WAL-G Secret with the generation its prefix belongs to, and the restore with the one it creates", async () => {
        const run = g1;
        for (const ns of [NS, "backend-dr"]) {
            const secret = findK8s(run, "Secret", "ternent-postgres-backup", ns);
            assert.equal((secret.inputs.stringData as Any).TERNENT_DATA_GENERATION, "1", ns);
        }
        const job = findK8s(run, "Job", "ternent-postgres-restore-g1", NS);
        assert.equal(envOf(podSpecOf(job).containers[0] as Any).TERNENT_RESTORE_GENERATION, "1");
        const source = findK8s(run, "Secret", "ternent-postgres-restore-g1", NS);
        assert.equal((source.inputs.stringData as Any).TERNENT_DATA_GENERATION, "0", "the restore reads generation 0's prefix");
        const plain = await runWith({});
        assert.equal((findK8s(plain, "Secret", "ternent-postgres-backup", NS).inputs.stringData as Any).TERNENT_DATA_GENERATION, "0");
    });

    it("switches the primary's WAL-G Secret to the new prefix only after the restore Job succeeded", async () => {
        const run = g1;
        const secret = findK8s(run, "Secret", "ternent-postgres-backup", NS);
        const job = findK8s(run, "Job", "ternent-postgres-restore-g1", NS);
        assert.ok(dependsOn(run, secret, job), "a backup pod starting during the restore must still see the old prefix");
    });

    it("takes the first base backup of the new generation after the StatefulSet, over the replication protocol", async () => {
        const run = g1;
        const job = findK8s(run, "Job", "ternent-postgres-backup-g1", NS);
        assert.ok(dependsOn(run, job, findK8s(run, "StatefulSet", "ternent-postgres", NS)));
        const pod = podSpecOf(job) as Any;
        assert.deepEqual(pod.containers[0].command, ["/ternent/scripts/backup.sh"]);
        assert.ok(!(pod.volumes as Any[]).some((v) => v.persistentVolumeClaim), "no volume: streamed from the server");
        assert.equal((findK8s(run, "Secret", "ternent-postgres-backup", NS).inputs.stringData as Any).TERNENT_DATA_GENERATION, "1");
    });

    it("with postgres.backupMode local, takes the first base backup of the new generation on its PVC", async () => {
        const run = await runWith({ ...RECOVER_G1, postgres: { backupMode: "local" } });
        const job = findK8s(run, "Job", "ternent-postgres-backup-g1", NS);
        const pod = podSpecOf(job) as Any;
        assert.equal((pod.volumes as Any[]).find((v) => v.persistentVolumeClaim)!.persistentVolumeClaim.claimName, "ternent-postgres-data-g1");
        assert.equal(pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey, "kubernetes.io/hostname");
        const backupCron = podSpecOf(findK8s(run, "CronJob", "ternent-postgres-backup", NS)) as Any;
        assert.equal((backupCron.volumes as Any[]).find((v) => v.persistentVolumeClaim)!.persistentVolumeClaim.claimName, "ternent-postgres-data-g1");
    });

    it("scales the API to 0 before the restore and back after the StatefulSet when asked", async () => {
        const run = await runWith({ dataGeneration: 1, recovery: { target: "latest", scaleApi: true, apiReplicas: 3 } });
        const patches = findAllK8s(run, "DeploymentPatch", "ternent-api", NS);
        assert.equal(patches.length, 2);
        const down = patches.find((p) => (p.inputs.spec as Any).replicas === 0)!;
        const up = patches.find((p) => (p.inputs.spec as Any).replicas === 3)!;
        const job = findK8s(run, "Job", "ternent-postgres-restore-g1", NS);
        const sts = findK8s(run, "StatefulSet", "ternent-postgres", NS);
        assert.ok(dependsOn(run, job, down), "restore after the API is down");
        assert.ok(dependsOn(run, up, sts), "API back after the StatefulSet");
        for (const p of patches) {
            assert.equal(metaOf(p).annotations!["pulumi.com/patchForce"], "true");
            assert.equal(p.options.retainOnDelete, true, "removing the patch must not scale anything");
        }
    });

    it("leaves the API alone when scaleApi is false", async () => {
        const run = await runWith({ dataGeneration: 1, recovery: { target: "latest", scaleApi: false } });
        assert.deepEqual(findAllK8s(run, "DeploymentPatch"), []);
        findK8s(run, "Job", "ternent-postgres-restore-g1", NS);
    });

    it("keeps older generations' PVCs, frozen, and restores from the previous generation", async () => {
        const run = await runWith({ dataGeneration: 2, recovery: { target: "base_000000010000000000000004" } });
        const g1 = findK8s(run, "PersistentVolumeClaim", "ternent-postgres-data-g1", NS);
        const g2 = findK8s(run, "PersistentVolumeClaim", "ternent-postgres-data-g2", NS);
        assert.ok(g1.options.protect && g1.options.retainOnDelete && g2.options.protect && g2.options.retainOnDelete);
        assert.deepEqual(g1.options.ignoreChanges, ["spec"]);
        assert.deepEqual(g2.options.ignoreChanges, []);
        const job = findK8s(run, "Job", "ternent-postgres-restore-g2", NS);
        const secret = findK8s(run, "Secret", (podSpecOf(job).containers[0] as Any).envFrom[0].secretRef.name, NS);
        assert.equal((secret.inputs.stringData as Any).WALG_S3_PREFIX, "s3://ternent-postgres-backups-dev/ternent-postgres-gen1");
    });

    it("exports what was restored and the next manual step", async () => {
        const run = g1;
        assert.deepEqual(run.outputs.recovery, {
            generation: 1,
            target: "2025-06-14T10:00:00Z",
            targetKind: "time",
            restoredFrom: "s3://ternent-postgres-backups-dev/ternent-postgres",
            restoredFromGeneration: 0,
            archivingTo: "s3://ternent-postgres-backups-dev/ternent-postgres-gen1",
            dataClaim: "ternent-postgres-data-g1",
            restoreJob: "ternent-postgres-restore-g1",
            firstBackupJob: "ternent-postgres-backup-g1",
            apiScaledTo: 1,
            nextStep: "pnpm --filter ternent-api platform:migrate",
        });
        assert.equal(run.outputs.dataGeneration, 1);
    });

    it("undoes nothing when the recovery block is removed: PVC, mount and prefix stay, only the Job and patches go", async () => {
        const run = await runWith({ dataGeneration: 1 }, { previousOutputs: { dataGeneration: 1, recovery: { generation: 1, target: "latest" } } });
        findK8s(run, "PersistentVolumeClaim", "ternent-postgres-data-g1", NS);
        assert.deepEqual(findAllK8s(run, "Job").map((j) => metaOf(j).name), ["ternent-postgres-app-role"], "only the app role's Job");
        assert.deepEqual(findAllK8s(run, "DeploymentPatch"), []);
        const spec = findK8s(run, "StatefulSet", "ternent-postgres", NS).inputs.spec as Any;
        assert.ok((spec.template.spec.volumes as Any[]).some((v) => v.persistentVolumeClaim?.claimName === "ternent-postgres-data-g1"));
        assert.equal((findK8s(run, "Secret", "ternent-postgres-backup", NS).inputs.stringData as Any).WALG_S3_PREFIX,
            "s3://ternent-postgres-backups-dev/ternent-postgres-gen1");
        assert.equal(run.outputs.recovery, null);
    });

    describe("preview-time errors", () => {
        it("refuses a target in the future", async () => {
            await assert.rejects(runWith({ dataGeneration: 1, recovery: { target: "2025-07-01T00:00:00Z" } }),
                /ternent-postgres:recovery\.target = "2025-07-01T00:00:00Z" is in the future/);
        });

        it("refuses a target older than the PITR window", async () => {
            await assert.rejects(runWith({ dataGeneration: 1, recovery: { target: "2025-05-01T00:00:00Z" } }),
                /is older than the PITR window \(ternent-postgres:retention\.pitrDays = 7\)/);
        });

        it("refuses a malformed backup name", async () => {
            await assert.rejects(runWith({ dataGeneration: 1, recovery: { target: "base_xyz" } }),
                /ternent-postgres:recovery\.target = "base_xyz" is not a WAL-G backup name/);
        });

        it("refuses a recovery block without dataGeneration >= 1", async () => {
            await assert.rejects(runWith({ recovery: { target: "latest" } }), /ternent-postgres:recovery is set but ternent-postgres:dataGeneration = 0/);
        });

        it("refuses dataGeneration going backwards against the previous deployment", async () => {
            await assert.rejects(runWith({ dataGeneration: 1 }, { previousOutputs: { dataGeneration: 2 } }),
                /ternent-postgres:dataGeneration = 1 goes backwards: the previous deployment runs on generation 2/);
        });

        it("refuses a new generation without a restore against the previous deployment", async () => {
            await assert.rejects(runWith({ dataGeneration: 1 }, { previousOutputs: { dataGeneration: 0 } }),
                /advances from 0 without a ternent-postgres:recovery block/);
        });

        it("reads the previous deployment through a StackReference to this very stack", async () => {
            const run = await runWith({});
            const ref = byType(run, "pulumi:pulumi:StackReference");
            assert.equal(ref.length, 1);
            assert.equal(ref[0].inputs.name, "organization/ternent-postgres/dev");
        });
    });
});
