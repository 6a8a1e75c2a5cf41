import { strict as assert } from "assert";
import { DEFAULTS } from "../../config";
import { dependsOn, envOf, findAllK8s, findK8s, podSpecOf, runWith, stackRun } from "./helpers";

const DR = "backend-dr";
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = Record<string, any>;

describe("components/drills (Drills)", () => {
    it("creates the restore and PITR drill CronJobs in backend-dr with their schedules and scripts", async () => {
        const run = await stackRun("prod");
        for (const [name, schedule, script] of [["ternent-postgres-restore-drill", "0 5 * * *", "restore-drill.sh"], ["ternent-postgres-pitr-drill", "0 8 1 * *", "pitr-drill.sh"]]) {
            const job = findK8s(run, "CronJob", name, DR);
            assert.equal((job.inputs.spec as Any).schedule, schedule);
            assert.deepEqual((podSpecOf(job).containers[0] as Any).command, [`/ternent/scripts/${script}`]);
        }
    });

    it("runs the drills with the DR Secret, a scratch volume of their own and the env of the contract", async () => {
        const run = await runWith({ schedules: { ...DEFAULTS.schedules, canary: "*/10 * * * *" }, postgres: { archiveTimeoutSeconds: 30 } });
        const walg = findK8s(run, "ConfigMap", "ternent-postgres-walg", DR).inputs.data as Any;
        assert.equal(walg.WALG_DOWNLOAD_FILE_RETRIES, "3", "a broken backup fails a drill in minutes, not an hour");
        for (const name of ["ternent-postgres-restore-drill", "ternent-postgres-pitr-drill"]) {
            const pod = podSpecOf(findK8s(run, "CronJob", name, DR)) as Any;
            const main = pod.containers[0];
            assert.deepEqual(main.envFrom, [{ secretRef: { name: "ternent-postgres-backup" } }, { configMapRef: { name: "ternent-postgres-walg" } }]);
            const env = envOf(main);
            assert.equal(env.TERNENT_WORKDIR, "/ternent/work");
            assert.equal(env.TERNENT_CANARY_INTERVAL_SECONDS, "600");
            assert.equal(env.TERNENT_ARCHIVE_TIMEOUT_SECONDS, "30");
            assert.equal(env.PGUSER, "ternent");
            assert.equal(env.PGDATABASE, "ternent");
            // The retry policy comes with the DR walg ConfigMap (components/postgres.test.ts checks every consumer).
            assert.equal(env.WALG_DOWNLOAD_FILE_RETRIES, undefined, "no drill-only retry setting next to the common policy");
            const work = (main.volumeMounts as Any[]).find((m) => m.mountPath === "/ternent/work")!;
            const scratch = (pod.volumes as Any[]).find((v) => v.name === work.name)!;
            // storageSize 10Gi x scratchFactor 1.5, a generic ephemeral volume (deleted with the pod), not the node's disk.
            assert.deepEqual(scratch.ephemeral.volumeClaimTemplate.spec,
                { accessModes: ["ReadWriteOnce"], storageClassName: "do-block-storage", resources: { requests: { storage: "15Gi" } } }, name);
            assert.ok(!(pod.volumes as Any[]).some((v) => v.persistentVolumeClaim), `${name} mounts no PVC`);
            // A finished pod keeps its scratch volume until its Job is pruned: one of each outcome, so at
            // most two billed volumes per drill (the other CronJobs keep 3).
            const spec = findK8s(run, "CronJob", name, DR).inputs.spec as Any;
            assert.deepEqual([spec.successfulJobsHistoryLimit, spec.failedJobsHistoryLimit], [1, 1], name);
        }
        assert.equal((findK8s(run, "CronJob", "ternent-postgres-verify", "backend").inputs.spec as Any).successfulJobsHistoryLimit, 3);
        const pitr = envOf(podSpecOf(findK8s(run, "CronJob", "ternent-postgres-pitr-drill", DR)).containers[0] as Any);
        assert.equal(pitr.TERNENT_PITR_TARGET, "random");
    });

    it("creates the drills after the DR namespace, its Secret and the StatefulSet", async () => {
        const run = await stackRun("prod");
        for (const job of findAllK8s(run, "CronJob", undefined, DR)) {
            assert.ok(dependsOn(run, job, findK8s(run, "Namespace", DR)), job.urn);
            assert.ok(dependsOn(run, job, findK8s(run, "Secret", "ternent-postgres-backup", DR)), job.urn);
            assert.ok(dependsOn(run, job, findK8s(run, "StatefulSet", "ternent-postgres", "backend")), job.urn);
        }
    });

    it("removes a drill whose schedule is removed", async () => {
        const schedules: Record<string, string> = { ...DEFAULTS.schedules };
        delete schedules.restoreDrill;
        const run = await runWith({ schedules });
        assert.deepEqual(findAllK8s(run, "CronJob", "ternent-postgres-restore-drill"), []);
        assert.equal(findAllK8s(run, "CronJob", "ternent-postgres-pitr-drill").length, 1);
    });

    it("passes drills.smokeSql to both drills and drills.pitrTarget to the PITR drill", async () => {
        const run = await runWith({ drills: { smokeSql: "select count(*) from accounts", pitrTarget: "2026-11-20T12:00:00Z" } });
        for (const name of ["ternent-postgres-restore-drill", "ternent-postgres-pitr-drill"]) {
            const env = envOf(podSpecOf(findK8s(run, "CronJob", name, DR)).containers[0] as Any);
            assert.equal(env.TERNENT_SMOKE_SQL, "select count(*) from accounts", name);
        }
        const pitr = envOf(podSpecOf(findK8s(run, "CronJob", "ternent-postgres-pitr-drill", DR)).containers[0] as Any);
        assert.equal(pitr.TERNENT_PITR_TARGET, "2026-11-20T12:00:00Z");
    });

    it("sets no TERNENT_SMOKE_SQL when drills.smokeSql is not configured", async () => {
        const run = await stackRun("prod");
        const env = envOf(podSpecOf(findK8s(run, "CronJob", "ternent-postgres-restore-drill", DR)).containers[0] as Any);
        assert.equal(env.TERNENT_SMOKE_SQL, undefined);
    });
});
