import { strict as assert } from "assert";
import { DEFAULTS } from "../../config";
import { containersOf, dependsOn, envOf, findAllK8s, findK8s, podSpecOf, runWith, defaultRun, stackRun } from "./helpers";

const NS = "backend";
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = Record<string, any>;

describe("components/backups (Backups)", () => {
    it("creates the backup, retention, canary and verify CronJobs in backend with their schedules", async () => {
        const run = await stackRun("prod");
        for (const [name, schedule] of [["ternent-postgres-backup", "0 2 * * *"], ["ternent-postgres-retention", "30 3 * * *"],
            ["ternent-postgres-canary", "*/5 * * * *"], ["ternent-postgres-verify", "* * * * *"]]) {
            const spec = findK8s(run, "CronJob", name, NS).inputs.spec as Any;
            assert.equal(spec.schedule, schedule, name);
            assert.equal(spec.timeZone, "Etc/UTC", name);
            assert.equal(spec.concurrencyPolicy, "Forbid", name);
            assert.ok(spec.startingDeadlineSeconds > 0, name);
            assert.ok(spec.jobTemplate.spec.activeDeadlineSeconds > 0, name);
            assert.equal(typeof spec.jobTemplate.spec.backoffLimit, "number", name);
            assert.ok(spec.successfulJobsHistoryLimit >= 1 && spec.failedJobsHistoryLimit >= 1, name);
        }
    });

    it("takes the backup over the replication protocol by default: no volume, no affinity, no PGDATA", async () => {
        const run = await stackRun("prod");
        const pod = podSpecOf(findK8s(run, "CronJob", "ternent-postgres-backup", NS)) as Any;
        assert.equal(pod.affinity, undefined);
        assert.ok(!(pod.volumes as Any[]).some((v) => v.persistentVolumeClaim), "no PVC");
        const main = pod.containers[0];
        assert.deepEqual(main.command, ["/ternent/scripts/backup.sh"]);
        assert.equal(envOf(main).PGDATA, undefined, "backup.sh without PGDATA streams the backup");
        assert.equal(envOf(main).PGHOST, "ternent-postgres.backend.svc");
        const hba = (findK8s(run, "ConfigMap", "ternent-postgres", NS).inputs.data as Any)["pg_hba.conf"] as string;
        assert.match(hba, /^host +replication +ternent +all +scram-sha-256$/m, "the superuser may connect for replication with its password");
    });

    it("with postgres.backupMode local, schedules the backup on the Postgres pod's node with required pod affinity and mounts its PVC", async () => {
        const run = await runWith({ postgres: { backupMode: "local" } });
        const hba = (findK8s(run, "ConfigMap", "ternent-postgres", NS).inputs.data as Any)["pg_hba.conf"] as string;
        assert.doesNotMatch(hba, /^host +replication +ternent +all/m, "no replication from the network without remote backups");
        const pod = podSpecOf(findK8s(run, "CronJob", "ternent-postgres-backup", NS)) as Any;
        const terms = pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution;
        assert.equal(terms.length, 1);
        assert.equal(terms[0].topologyKey, "kubernetes.io/hostname");
        assert.deepEqual(terms[0].labelSelector.matchLabels, DEFAULTS.postgres.selectorLabels);
        const claim = (pod.volumes as Any[]).find((v) => v.persistentVolumeClaim)!;
        assert.equal(claim.persistentVolumeClaim.claimName, "data-ternent-postgres-0");
        const main = pod.containers[0];
        assert.deepEqual(main.command, ["/ternent/scripts/backup.sh"]);
        assert.ok((main.volumeMounts as Any[]).some((m) => m.name === claim.name && m.mountPath === "/var/lib/postgresql/data"));
        assert.equal(envOf(main).PGDATA, "/var/lib/postgresql/data/pgdata");
    });

    it("gives the retention job the configured retention as literal env values and the read-write Secret", async () => {
        const run = await runWith({ retention: { daily: 9, weekly: 5, pitrDays: 10, weeklyDay: "monday" } });
        const job = findK8s(run, "CronJob", "ternent-postgres-retention", NS);
        const main = podSpecOf(job).containers[0] as Any;
        assert.deepEqual(main.command, ["/ternent/scripts/retention.sh"]);
        const env = envOf(main);
        assert.equal(env.TERNENT_RETAIN_DAILY, "9");
        assert.equal(env.TERNENT_RETAIN_WEEKLY, "5");
        assert.equal(env.TERNENT_PITR_DAYS, "10");
        assert.equal(env.TERNENT_WEEKLY_DAY, "monday");
        assert.equal(env.TERNENT_RETENTION_DRY_RUN, "false");
        assert.deepEqual(main.envFrom, [{ secretRef: { name: "ternent-postgres-backup" } }, { configMapRef: { name: "ternent-postgres-walg" } }]);
        assert.ok(!(podSpecOf(job).volumes as Any[]).some((v) => v.persistentVolumeClaim), "retention mounts no PVC");
    });

    it("connects the canary and verify jobs to the database through the Service with the credentials Secret", async () => {
        const run = await defaultRun();
        for (const name of ["ternent-postgres-canary", "ternent-postgres-verify"]) {
            const main = podSpecOf(findK8s(run, "CronJob", name, NS)).containers[0] as Any;
            const env = new Map((main.env as Any[]).map((e) => [e.name, e]));
            assert.equal(env.get("PGHOST")!.value, "ternent-postgres.backend.svc", name);
            assert.deepEqual(env.get("PGPASSWORD")!.valueFrom, { secretKeyRef: { name: "ternent-postgres", key: "POSTGRES_PASSWORD" } }, name);
        }
        const verify = envOf(podSpecOf(findK8s(run, "CronJob", "ternent-postgres-verify", NS)).containers[0] as Any);
        assert.equal(verify.TERNENT_ARCHIVE_TIMEOUT_SECONDS, "60");
        assert.equal(verify.TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS, String(300 + 60 + 300));
        assert.equal(verify.TERNENT_VERIFY_MAX_READY_AGE_SECONDS, "60", "a segment waiting longer than archive_timeout is a stall");
    });

    it("derives verify's ready-age limit from archiveTimeoutSeconds and keeps a per-minute verify from piling up", async () => {
        const run = await runWith({ postgres: { archiveTimeoutSeconds: 30 } });
        const job = findK8s(run, "CronJob", "ternent-postgres-verify", NS);
        assert.equal(envOf(podSpecOf(job).containers[0] as Any).TERNENT_VERIFY_MAX_READY_AGE_SECONDS, "30");
        const spec = job.inputs.spec as Any;
        assert.equal(spec.schedule, "* * * * *");
        assert.ok(spec.startingDeadlineSeconds <= 60, "a run that could not start is replaced by the next one");
        assert.ok(spec.jobTemplate.spec.activeDeadlineSeconds < 120, "a hung run blocks at most one more (concurrencyPolicy Forbid)");
    });

    it("installs the pinned WAL-G in every WAL-G job", async () => {
        const run = await defaultRun();
        for (const name of ["ternent-postgres-backup", "ternent-postgres-retention"]) {
            const init = containersOf(findK8s(run, "CronJob", name, NS)).find((c) => c.name === "walg-install") as Any;
            assert.ok(init, name);
            assert.equal(envOf(init).WALG_SHA256, DEFAULTS.walg.sha256, name);
        }
    });

    it("gives the verify job no bucket key (it asks PostgreSQL, not the bucket)", async () => {
        const run = await defaultRun();
        const job = findK8s(run, "CronJob", "ternent-postgres-verify", NS);
        assert.deepEqual(containersOf(job).map((c) => c.name), ["verify"]);
        assert.equal((podSpecOf(job).containers[0] as Any).envFrom, undefined);
    });

    it("creates every job after the StatefulSet", async () => {
        const run = await stackRun("prod");
        const sts = findK8s(run, "StatefulSet", "ternent-postgres", NS);
        for (const job of findAllK8s(run, "CronJob")) {
            assert.ok(dependsOn(run, job, sts), job.urn);
        }
    });

    it("creates a job iff its schedule is set", async () => {
        const schedules: Record<string, string> = { ...DEFAULTS.schedules };
        delete schedules.retention;
        delete schedules.canary;
        const run = await runWith({ schedules });
        const names = findAllK8s(run, "CronJob").map((c) => (c.inputs.metadata as Any).name).sort();
        assert.deepEqual(names, ["ternent-postgres-backup", "ternent-postgres-pitr-drill", "ternent-postgres-restore-drill", "ternent-postgres-verify"]);
        assert.ok(run.logs.some((l) => l.severity === "warn" && l.message.includes("ternent-postgres:schedules.retention is not set")));
    });
});
