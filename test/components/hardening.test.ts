// What a review of the rendered objects against DOKS, the postgres image, WAL-G and Kubernetes asked
// for (issue 16), under the mock runtime: keys out of the database process, the API's own role, the
// alert sidecar, the headless Service, the priority class and /dev/shm.
import { strict as assert } from "assert";
import { Any, containersOf, defaultRun, dependsOn, envOf, findAllK8s, findK8s, metaOf, podSpecOf, runWith, stackRun } from "./helpers";

const NS = "backend";
const KEY_NAMES = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "WALG_LIBSODIUM_KEY", "WALG_S3_PREFIX"];
const WEBHOOK = { alerts: { webhookUrl: { secure: "v1:https://hooks.slack.com/services/T0/B0/secret-token" }, onSuccess: true } };

describe("components: issue 16 hardening", () => {
    it("gives the postgres container no env, envFrom or volume carrying the Spaces keys or the libsodium key", async () => {
        const run = await defaultRun();
        const sts = findK8s(run, "StatefulSet", "ternent-postgres", NS);
        const pod = podSpecOf(sts);
        const secretsWithKeys = new Set(findAllK8s(run, "Secret", undefined, NS)
            .filter((s) => KEY_NAMES.some((k) => (s.inputs.stringData as Any)?.[k] !== undefined)).map((s) => metaOf(s).name));
        assert.ok(secretsWithKeys.has("ternent-postgres-backup"));
        const pg = (pod.containers as Any[]).find((c) => c.name === "postgres")!;
        for (const from of (pg.envFrom ?? []) as Any[]) {
            assert.ok(!secretsWithKeys.has(from.secretRef?.name), `envFrom ${JSON.stringify(from)}`);
        }
        for (const e of (pg.env ?? []) as Any[]) {
            assert.ok(!KEY_NAMES.includes(e.name), e.name);
            assert.ok(!secretsWithKeys.has(e.valueFrom?.secretKeyRef?.name), e.name);
        }
        const secretVolumes = (pod.volumes as Any[]).filter((v) => v.secret).map((v) => v.name);
        assert.deepEqual(secretVolumes, ["walg-secret"]);
        assert.ok(!(pg.volumeMounts as Any[]).some((m) => secretVolumes.includes(m.name)), "the Secret volume is not mounted in postgres");
        assert.equal(envOf(pg).TERNENT_WALG_ENV_FILE, "/ternent/secrets/walg.env");
        // Only the init container walg-secret reads the Secret volume, 0400, and writes the file into memory.
        const init = (pod.initContainers as Any[]).find((c) => c.name === "walg-secret")!;
        assert.deepEqual(init.command, ["/ternent/scripts/walg-secret.sh"]);
        assert.ok((init.volumeMounts as Any[]).some((m) => m.name === "walg-secret" && m.readOnly));
        assert.deepEqual((pod.volumes as Any[]).find((v) => v.name === "walg-secret")!.secret, { secretName: "ternent-postgres-backup", defaultMode: 0o400 });
        assert.deepEqual((pod.volumes as Any[]).find((v) => v.name === "secrets")!.emptyDir, { medium: "Memory", sizeLimit: "1Mi" });
        assert.ok((pg.volumeMounts as Any[]).some((m) => m.name === "secrets" && m.readOnly && m.mountPath === "/ternent/secrets"));
    });

    it("gives the API its own role in Secret ternent-postgres-app and creates it with a Job after the StatefulSet", async () => {
        const run = await defaultRun();
        const secret = findK8s(run, "Secret", "ternent-postgres-app", NS).inputs.stringData as Any;
        assert.equal(secret.POSTGRES_USER, "ternent_app");
        assert.equal(secret.POSTGRES_DB, "ternent");
        assert.equal(secret.POSTGRES_HOST, "ternent-postgres.backend.svc");
        assert.match(secret.DATABASE_URL, /^postgres:\/\/ternent_app:.+@ternent-postgres\.backend\.svc:5432\/ternent$/);
        const superuser = findK8s(run, "Secret", "ternent-postgres", NS).inputs.stringData as Any;
        assert.notEqual(secret.POSTGRES_PASSWORD, superuser.POSTGRES_PASSWORD);
        const job = findK8s(run, "Job", "ternent-postgres-app-role", NS);
        assert.ok(dependsOn(run, job, findK8s(run, "StatefulSet", "ternent-postgres", NS)));
        const c = containersOf(job)[0];
        assert.deepEqual(c.command, ["/ternent/scripts/app-role.sh"]);
        const env = Object.fromEntries((c.env as Any[]).map((e) => [e.name, e.value ?? e.valueFrom?.secretKeyRef]));
        assert.equal(env.TERNENT_APP_USER, "ternent_app");
        assert.deepEqual(env.TERNENT_APP_PASSWORD, { name: "ternent-postgres-app", key: "POSTGRES_PASSWORD" });
        assert.deepEqual(env.PGUSER, { name: "ternent-postgres", key: "POSTGRES_USER" }, "the superuser creates the role");
        assert.equal(metaOf(job).labels!["app.kubernetes.io/component"], "app-role");
    });

    it("without alerts.webhookUrl: no alert Secret, no sidecar, the scripts run directly", async () => {
        const run = await defaultRun();
        assert.deepEqual(findAllK8s(run, "Secret", "ternent-postgres-alerts"), []);
        for (const name of ["ternent-postgres-verify", "ternent-postgres-restore-drill", "ternent-postgres-pitr-drill"]) {
            const pod = podSpecOf(findAllK8s(run, "CronJob", name)[0]);
            assert.ok(!((pod.initContainers ?? []) as Any[]).some((c) => c.name === "alert"), name);
            assert.match((pod.containers as Any[])[0].command[0], /\/(verify|restore-drill|pitr-drill)\.sh$/);
        }
    });

    it("with alerts.webhookUrl: verify and both drills run through verdict.sh with the alert sidecar reading the webhook from its Secret", async () => {
        const run = await runWith(WEBHOOK);
        for (const [name, ns, job] of [["ternent-postgres-verify", NS, "verify"], ["ternent-postgres-restore-drill", "backend-dr", "restore-drill"],
            ["ternent-postgres-pitr-drill", "backend-dr", "pitr-drill"]]) {
            const pod = podSpecOf(findK8s(run, "CronJob", name, ns));
            const sidecar = (pod.initContainers as Any[])[0];
            assert.equal(sidecar.name, "alert", name);
            assert.equal(sidecar.restartPolicy, "Always", "a native sidecar: its exit code is ignored");
            assert.equal(sidecar.image, "curlimages/curl:8.11.1");
            assert.deepEqual(sidecar.command, ["/ternent/scripts/alert.sh"]);
            const env = Object.fromEntries((sidecar.env as Any[]).map((e) => [e.name, e.value ?? e.valueFrom?.secretKeyRef]));
            assert.deepEqual(env.TERNENT_ALERT_WEBHOOK_URL, { name: "ternent-postgres-alerts", key: "TERNENT_ALERT_WEBHOOK_URL" });
            assert.equal(env.TERNENT_ALERT_JOB, job);
            assert.equal(env.TERNENT_ALERT_ON_SUCCESS, "true");
            const main = (pod.containers as Any[])[0];
            assert.equal(main.command[0], "/ternent/scripts/verdict.sh", name);
            assert.match(main.command[1], new RegExp(`/${job === "verify" ? "verify" : job}\\.sh$`));
            assert.ok(!Object.keys(envOf(main)).includes("TERNENT_ALERT_WEBHOOK_URL"), "the job's container never sees the webhook");
            const secret = findK8s(run, "Secret", "ternent-postgres-alerts", ns).inputs.stringData as Any;
            assert.match(secret.TERNENT_ALERT_WEBHOOK_URL, /^(https:|offline-secret)/);
        }
        assert.equal(findAllK8s(run, "Secret", "ternent-postgres-alerts").length, 2);
    });

    it("governs the StatefulSet with a headless Service and keeps the ClusterIP Service ternent-postgres for the API", async () => {
        const run = await defaultRun();
        assert.equal((findK8s(run, "StatefulSet", "ternent-postgres", NS).inputs.spec as Any).serviceName, "ternent-postgres-headless");
        const headless = findK8s(run, "Service", "ternent-postgres-headless", NS).inputs.spec as Any;
        assert.equal(headless.clusterIP, "None");
        assert.deepEqual(headless.selector, { "app.kubernetes.io/name": "ternent-postgres", "app.kubernetes.io/component": "database" });
        assert.equal((findK8s(run, "Service", "ternent-postgres", NS).inputs.spec as Any).type, "ClusterIP");
        const adopted = await runWith({ postgres: { serviceName: "ternent-postgres" } });
        assert.deepEqual(findAllK8s(adopted, "Service").map((s) => metaOf(s).name), ["ternent-postgres"], "a bundle's serviceName is kept (immutable)");
    });

    it("mounts /dev/shm as a memory emptyDir and sets a PriorityClass only when postgres.priority is given", async () => {
        const run = await runWith({ postgres: { priority: 100000, shmSize: "128Mi" } });
        const pod = podSpecOf(findK8s(run, "StatefulSet", "ternent-postgres", NS));
        assert.deepEqual((pod.volumes as Any[]).find((v) => v.name === "shm")!.emptyDir, { medium: "Memory", sizeLimit: "128Mi" });
        assert.ok(((pod.containers as Any[])[0].volumeMounts as Any[]).some((m) => m.name === "shm" && m.mountPath === "/dev/shm"));
        const pc = findK8s(run, "PriorityClass", "ternent-postgres-dev");
        assert.equal(pc.inputs.value, 100000);
        assert.equal(pc.inputs.globalDefault, false);
        assert.equal(pod.priorityClassName, "ternent-postgres-dev");
        const none = await defaultRun();
        assert.deepEqual(findAllK8s(none, "PriorityClass"), []);
        assert.equal(podSpecOf(findK8s(none, "StatefulSet", "ternent-postgres", NS)).priorityClassName, undefined);
    });

    it("puts dev and prod in different namespaces, buckets and PriorityClass names: one cluster can hold both", async () => {
        const [dev, prod] = [await stackRun("dev"), await stackRun("prod")];
        const names = (run: typeof dev) => new Set(findAllK8s(run, "Secret").concat(findAllK8s(run, "StatefulSet"), findAllK8s(run, "CronJob"))
            .map((r) => `${metaOf(r).namespace}/${metaOf(r).name}`));
        const shared = [...names(dev)].filter((n) => names(prod).has(n));
        assert.deepEqual(shared, []);
        assert.equal(findK8s(dev, "StatefulSet", "ternent-postgres", "backend-dev").inputs.metadata !== undefined, true);
        const bucket = (run: typeof dev) => run.resources.find((r) => r.name === "storage-bucket")!.inputs.name;
        assert.notEqual(bucket(dev), bucket(prod));
    });
});
