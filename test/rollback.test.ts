import { strict as assert } from "assert";
import { ProgramRun } from "../tools/harness";
import { Any, dependsOn, findAllK8s, findK8s, metaOf, podSpecOf, runWith, workloads } from "./components/helpers";

const NS = "backend";
const BASE = "s3://ternent-postgres-backups-dev/ternent-postgres";

/** Rolling back from 1 to 0 after a finished recovery into 1 (its block removed in the same change). */
const BACK_TO_0 = { dataGeneration: 0, rollback: { fromGeneration: 1 } };
const AFTER_G1 = { dataGeneration: 1, recovery: { generation: 1, target: "latest" } };

/** The claim name and volume name the Postgres container's data directory comes from. */
function dataMount(run: ProgramRun): { volume: string; claim?: string; template: string } {
    const spec = findK8s(run, "StatefulSet", "ternent-postgres", NS).inputs.spec as Any;
    const pod = spec.template.spec;
    const mount = (pod.containers[0].volumeMounts as Any[]).find((m) => m.mountPath === "/var/lib/postgresql/data")!;
    const volume = (pod.volumes as Any[]).find((v) => v.name === mount.name);
    return { volume: mount.name, claim: volume?.persistentVolumeClaim?.claimName, template: spec.volumeClaimTemplates[0].metadata.name };
}

/** WALG_S3_PREFIX of every WAL-G Secret a workload reads, by Secret name and namespace. */
function walgPrefixesInUse(run: ProgramRun): Map<string, string> {
    const out = new Map<string, string>();
    for (const w of workloads(run)) {
        const ns = metaOf(w).namespace!;
        // The primary mounts the Secret as a volume (its init container walg-secret turns it into a file).
        for (const v of ((podSpecOf(w).volumes ?? []) as Any[]).filter((x) => x.secret)) {
            const data = findK8s(run, "Secret", v.secret.secretName, ns).inputs.stringData as Any;
            if (data.WALG_S3_PREFIX !== undefined) {
                out.set(`${metaOf(w).name} (${ns}/${v.secret.secretName})`, data.WALG_S3_PREFIX);
            }
        }
        for (const c of [...(podSpecOf(w).initContainers ?? []), ...podSpecOf(w).containers] as Any[]) {
            for (const ref of ((c.envFrom ?? []) as Any[]).filter((e) => e.secretRef)) {
                const data = findK8s(run, "Secret", ref.secretRef.name, ns).inputs.stringData as Any;
                if (data.WALG_S3_PREFIX !== undefined) {
                    out.set(`${metaOf(w).name} (${ns}/${ref.secretRef.name})`, data.WALG_S3_PREFIX);
                }
            }
        }
    }
    return out;
}

describe("rollback to an older data generation (rollback block)", () => {
    // One run of this configuration, which the tests below only read.
    let backTo0: ProgramRun;
    before(async () => {
        backTo0 = await runWith(BACK_TO_0, { previousOutputs: AFTER_G1 });
    });

    it("puts the StatefulSet back on the claim template volume when rolling back from 1 to 0", async () => {
        const run = backTo0;
        const m = dataMount(run);
        assert.equal(m.volume, "data");
        assert.equal(m.template, "data");
        assert.equal(m.claim, undefined, "generation 0 is the claim template's volume, not a declared PVC");
        assert.equal(run.outputs.dataClaim, "data-ternent-postgres-0");
        assert.equal(run.outputs.dataGeneration, 0);
    });

    it("points every WAL-G consumer back at generation 0's prefix when rolling back from 1 to 0", async () => {
        const run = backTo0;
        for (const ns of [NS, "backend-dr"]) {
            const secret = findK8s(run, "Secret", "ternent-postgres-backup", ns);
            assert.equal((secret.inputs.stringData as Any).WALG_S3_PREFIX, BASE, ns);
            assert.equal(metaOf(secret).annotations!["ternent-postgres/walg-s3-prefix"], BASE, ns);
        }
        const inUse = walgPrefixesInUse(run);
        for (const name of ["ternent-postgres", "ternent-postgres-backup", "ternent-postgres-retention", "ternent-postgres-restore-drill", "ternent-postgres-pitr-drill"]) {
            assert.ok([...inUse.keys()].some((k) => k.startsWith(`${name} `)), `${name} reads a WAL-G Secret`);
        }
        for (const [who, prefix] of inUse) {
            assert.equal(prefix, BASE, who);
        }
        // The backup streams from the server that runs on generation 0's volume; with local backups it mounts it.
        const local = await runWith({ ...BACK_TO_0, postgres: { backupMode: "local" } }, { previousOutputs: AFTER_G1 });
        const backupCron = podSpecOf(findK8s(local, "CronJob", "ternent-postgres-backup", NS)) as Any;
        assert.equal((backupCron.volumes as Any[]).find((v) => v.persistentVolumeClaim)!.persistentVolumeClaim.claimName, "data-ternent-postgres-0");
        assert.equal(run.outputs.walgPrefix, BASE);
    });

    it("keeps the generation it leaves declared, protected, retained and frozen", async () => {
        const run = backTo0;
        const g1 = findK8s(run, "PersistentVolumeClaim", "ternent-postgres-data-g1", NS);
        assert.equal(g1.options.protect, true);
        assert.equal(g1.options.retainOnDelete, true);
        assert.deepEqual(g1.options.ignoreChanges, ["spec"]);
        assert.equal(run.outputs.dataGenerationMax, 1);
        assert.deepEqual(run.outputs.walgPrefixes, [BASE, `${BASE}-gen1`], "both prefixes are still listed");
    });

    it("mounts ternent-postgres-data-g1 and generation 1's prefix when rolling back from 2 to 1", async () => {
        const run = await runWith({ dataGeneration: 1, rollback: { fromGeneration: 2 } }, { previousOutputs: { dataGeneration: 2 } });
        const m = dataMount(run);
        assert.equal(m.claim, "ternent-postgres-data-g1");
        assert.equal(m.volume, "data-g1");
        assert.equal(m.template, "data", "generation 0's claim template stays");
        for (const [who, prefix] of walgPrefixesInUse(run)) {
            assert.equal(prefix, `${BASE}-gen1`, who);
        }
        const g1 = findK8s(run, "PersistentVolumeClaim", "ternent-postgres-data-g1", NS);
        const g2 = findK8s(run, "PersistentVolumeClaim", "ternent-postgres-data-g2", NS);
        assert.deepEqual(g1.options.ignoreChanges, [], "the current generation follows the config again");
        assert.deepEqual(g2.options.ignoreChanges, ["spec"]);
    });

    it("keeps every PVC up to the highest generation ever run declared and protected after the block is removed", async () => {
        const run = await runWith({ dataGeneration: 1 }, { previousOutputs: { dataGeneration: 1, dataGenerationMax: 3, rollback: null, recovery: null } });
        const claims = findAllK8s(run, "PersistentVolumeClaim").map((c) => metaOf(c).name).sort();
        assert.deepEqual(claims, ["ternent-postgres-data-g1", "ternent-postgres-data-g2", "ternent-postgres-data-g3"]);
        for (const c of findAllK8s(run, "PersistentVolumeClaim")) {
            assert.equal(c.options.protect, true, metaOf(c).name);
            assert.equal(c.options.retainOnDelete, true, metaOf(c).name);
        }
        assert.equal(dataMount(run).claim, "ternent-postgres-data-g1", "removing the block does not undo the rollback");
        assert.equal(run.outputs.dataGenerationMax, 3);
        assert.equal(run.outputs.rollback, null);
        assert.deepEqual(findAllK8s(run, "DeploymentPatch"), []);
    });

    it("changes nothing when the rollback block is left in place after its rollback", async () => {
        const first = await runWith(BACK_TO_0, { previousOutputs: AFTER_G1 });
        const again = await runWith(BACK_TO_0, { previousOutputs: first.outputs });
        const shape = (run: ProgramRun) => k8sShape(run);
        assert.deepEqual(shape(again), shape(first));
        assert.deepEqual(again.outputs.rollback, first.outputs.rollback);
    });

    it("scales the API to 0 before the StatefulSet and back to apiReplicas after it when asked", async () => {
        const run = await runWith({ dataGeneration: 0, rollback: { fromGeneration: 1, scaleApi: true, apiReplicas: 2 } }, { previousOutputs: AFTER_G1 });
        const patches = findAllK8s(run, "DeploymentPatch", "ternent-api", NS);
        assert.equal(patches.length, 2);
        const down = patches.find((p) => (p.inputs.spec as Any).replicas === 0)!;
        const up = patches.find((p) => (p.inputs.spec as Any).replicas === 2)!;
        const sts = findK8s(run, "StatefulSet", "ternent-postgres", NS);
        assert.ok(dependsOn(run, sts, down), "the StatefulSet switches after the API is down");
        assert.ok(dependsOn(run, up, sts), "the API comes back after the StatefulSet");
        for (const p of patches) {
            assert.equal(metaOf(p).annotations!["pulumi.com/patchForce"], "true");
            assert.equal(p.options.retainOnDelete, true, "removing the block must not scale anything");
            assert.match(p.name, /-rollback-g1-api-(down|up)$/, "named after the generation left");
        }
        assert.equal((run.outputs.rollback as Any).apiScaledTo, 2);
    });

    it("leaves the API alone when scaleApi is false", async () => {
        const run = await runWith({ dataGeneration: 0, rollback: { fromGeneration: 1, scaleApi: false } }, { previousOutputs: AFTER_G1 });
        assert.deepEqual(findAllK8s(run, "DeploymentPatch"), []);
        assert.equal(dataMount(run).volume, "data");
        assert.equal((run.outputs.rollback as Any).apiScaledTo, undefined);
    });

    it("runs no restore and no first-backup Job", async () => {
        const run = backTo0;
        assert.deepEqual(findAllK8s(run, "Job").map((j) => metaOf(j).name), ["ternent-postgres-app-role"], "only the app role's Job");
        assert.equal(run.outputs.recovery, null);
    });

    it("exports what was switched and what was kept", async () => {
        const run = await runWith({ dataGeneration: 1, rollback: { fromGeneration: 2 } }, { previousOutputs: { dataGeneration: 2 } });
        assert.deepEqual(run.outputs.rollback, {
            fromGeneration: 2,
            toGeneration: 1,
            dataClaim: "ternent-postgres-data-g1",
            archivingTo: `${BASE}-gen1`,
            keptDataClaim: "ternent-postgres-data-g2",
            apiScaledTo: 1,
        });
        assert.equal(run.outputs.dataGenerationMax, 2);
    });

    it("restores a later recovery into a new generation from the one that runs after a rollback", async () => {
        const run = await runWith({ dataGeneration: 3, recovery: { target: "latest" } }, { previousOutputs: { dataGeneration: 1, dataGenerationMax: 2 } });
        const job = findK8s(run, "Job", "ternent-postgres-restore-g3", NS);
        const secret = findK8s(run, "Secret", (podSpecOf(job).containers[0] as Any).envFrom[0].secretRef.name, NS);
        assert.equal((secret.inputs.stringData as Any).WALG_S3_PREFIX, `${BASE}-gen1`);
        assert.equal(dataMount(run).claim, "ternent-postgres-data-g3");
        assert.equal(findK8s(run, "PersistentVolumeClaim", "ternent-postgres-data-g2", NS).options.protect, true);
        assert.equal((run.outputs.recovery as Any).restoredFromGeneration, 1);
        assert.equal(run.outputs.dataGenerationMax, 3);
    });

    it("rolls forward from a kept generation's history with recovery.fromGeneration", async () => {
        const run = await runWith({ dataGeneration: 3, recovery: { target: "latest", fromGeneration: 2 } }, { previousOutputs: { dataGeneration: 1, dataGenerationMax: 2 } });
        const job = findK8s(run, "Job", "ternent-postgres-restore-g3", NS);
        const secret = findK8s(run, "Secret", (podSpecOf(job).containers[0] as Any).envFrom[0].secretRef.name, NS);
        assert.equal((secret.inputs.stringData as Any).WALG_S3_PREFIX, `${BASE}-gen2`);
        assert.equal((run.outputs.recovery as Any).restoredFrom, `${BASE}-gen2`);
    });

    describe("preview-time errors", () => {
        it("refuses going back without the rollback block and names it", async () => {
            await assert.rejects(runWith({ dataGeneration: 0 }, { previousOutputs: AFTER_G1 }),
                /ternent-postgres:dataGeneration = 0 goes backwards: .* add ternent-postgres:rollback: \{fromGeneration: 1\}/);
        });

        it("refuses rolling back from a generation that never existed", async () => {
            await assert.rejects(runWith({ dataGeneration: 0, rollback: { fromGeneration: 2 } }, { previousOutputs: AFTER_G1 }),
                /ternent-postgres:rollback\.fromGeneration = 2 never existed \(generations 0\.\.1 have run and hold history\)/);
        });

        it("refuses rolling back to a generation that never existed", async () => {
            await assert.rejects(runWith({ dataGeneration: 2, rollback: { fromGeneration: 3 } }, { previousOutputs: AFTER_G1 }),
                /ternent-postgres:dataGeneration = 2 never existed \(generations 0\.\.1 have run and hold history\)/);
        });

        it("refuses rolling back to the generation that runs", async () => {
            await assert.rejects(runWith({ dataGeneration: 1, rollback: { fromGeneration: 2 } }, { previousOutputs: { dataGeneration: 1, dataGenerationMax: 2 } }),
                /ternent-postgres:dataGeneration = 1 is the generation the previous deployment already runs on: nothing to roll back to/);
        });

        it("refuses a rollback block together with a recovery block", async () => {
            await assert.rejects(runWith({ dataGeneration: 0, rollback: { fromGeneration: 1 }, recovery: { target: "latest" } }, { previousOutputs: AFTER_G1 }),
                /ternent-postgres:rollback and ternent-postgres:recovery are both set/);
        });

        it("refuses a recovery into a generation number that was used before a rollback", async () => {
            await assert.rejects(runWith({ dataGeneration: 2, recovery: { target: "latest" } }, { previousOutputs: { dataGeneration: 1, dataGenerationMax: 2 } }),
                /ternent-postgres:dataGeneration = 2 was used before \(generations 0\.\.2 have run and hold history.*a recovery writes generation 3/);
        });
    });
});

/** Every Kubernetes object's type, name, inputs and options, for comparing two runs. */
function k8sShape(run: ProgramRun): unknown[] {
    return run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"))
        .map((r) => ({ urn: r.urn, inputs: r.inputs, options: r.options }))
        .sort((a, b) => a.urn.localeCompare(b.urn));
}
