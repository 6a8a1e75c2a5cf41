import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parsePgConf } from "../../policy/lib/pgconf";
import { SCRIPTS_DIR } from "../../components/scripts";
import { parseQuantity } from "../../config";
import {
    Any, byType, containersOf, dependsOn, envOf, findAllK8s, findK8s, k8sObjects, metaOf, podSpecOf, runWith, defaultRun, stackRun, workloads,
} from "./helpers";

const NS = "backend";

describe("components/postgres (Postgres)", () => {
    it("creates the Secrets, ConfigMaps, Service, StatefulSet and NetworkPolicy with the names users know, in backend", async () => {
        const run = await stackRun("prod");
        for (const [kind, name] of [
            ["Secret", "ternent-postgres"], ["Secret", "ternent-postgres-backup"], ["ConfigMap", "ternent-postgres"],
            ["ConfigMap", "ternent-postgres-scripts"], ["ConfigMap", "ternent-postgres-walg"], ["Service", "ternent-postgres"],
            ["StatefulSet", "ternent-postgres"], ["NetworkPolicy", "ternent-postgres"],
        ]) {
            assert.equal(metaOf(findK8s(run, kind, name, NS)).namespace, NS);
        }
    });

    it("labels every Kubernetes object with the app.kubernetes.io labels and the stack as instance", async () => {
        for (const stack of ["dev", "prod"] as const) {
            const run = await stackRun(stack);
            for (const r of k8sObjects(run).filter((x) => !x.type.endsWith("Patch"))) {
                const labels = metaOf(r).labels ?? {};
                assert.equal(labels["app.kubernetes.io/name"], "ternent-postgres", r.urn);
                assert.equal(labels["app.kubernetes.io/instance"], stack, r.urn);
                assert.equal(labels["app.kubernetes.io/part-of"], "ternent-postgres", r.urn);
                assert.equal(labels["app.kubernetes.io/managed-by"], "pulumi", r.urn);
                assert.match(labels["app.kubernetes.io/component"] ?? "", /^(database|backup|retention|canary|verify|restore-drill|pitr-drill|restore|dr|app-role|alerts)$/, r.urn);
            }
        }
    });

    it("keeps the generated database password secret in the credentials Secret", async () => {
        const run = await defaultRun();
        const secret = findK8s(run, "Secret", "ternent-postgres", NS);
        const pw = byType(run, "random:index/randomPassword:RandomPassword").find((p) => p.name === "postgres-password")!;
        const data = secret.inputs.stringData as Record<string, string>;
        assert.deepEqual(Object.keys(data).sort(), ["POSTGRES_DB", "POSTGRES_PASSWORD", "POSTGRES_USER"]);
        assert.equal(data.POSTGRES_PASSWORD, pw.outputs.result);
        assert.deepEqual(secret.secretPaths, ["stringData"]);
        assert.ok(secret.dependencies.includes(pw.urn));
    });

    it("puts the WAL-G storage env with the read-write key into Secret ternent-postgres-backup after the key exists", async () => {
        const run = await stackRun("prod");
        const secret = findK8s(run, "Secret", "ternent-postgres-backup", NS);
        const rw = byType(run, "digitalocean:index/spacesKey:SpacesKey").find((k) => k.name === "storage-readwrite-key")!;
        const data = secret.inputs.stringData as Record<string, string>;
        assert.deepEqual(data, {
            WALG_S3_PREFIX: "s3://ternent-postgres-backups-prod/ternent-postgres",
            AWS_ENDPOINT: "https://fra1.digitaloceanspaces.com",
            AWS_REGION: "fra1",
            AWS_ACCESS_KEY_ID: rw.outputs.accessKey,
            AWS_SECRET_ACCESS_KEY: rw.outputs.secretKey,
            WALG_LIBSODIUM_KEY: run.outputs.walgLibsodiumKey,
            WALG_LIBSODIUM_KEY_TRANSFORM: "hex",
            TERNENT_DATA_GENERATION: "0",
        });
        assert.ok(secret.dependencies.includes(rw.urn), "the key exists before the Secret carrying it");
        assert.deepEqual(secret.secretPaths, ["stringData"]);
    });

    it("renders postgresql.conf with WAL archiving through the scripts and the configured archive_timeout", async () => {
        const run = await runWith({ postgres: { archiveTimeoutSeconds: 45 } });
        const conf = parsePgConf((findK8s(run, "ConfigMap", "ternent-postgres", NS).inputs.data as Record<string, string>)["postgresql.conf"]);
        assert.equal(conf.get("archive_mode"), "on");
        assert.equal(conf.get("archive_command"), "/ternent/scripts/archive-command.sh %p");
        assert.equal(conf.get("archive_timeout"), "45");
        assert.equal(conf.get("restore_command"), "/ternent/scripts/restore-command.sh %f %p");
        assert.equal(conf.get("wal_level"), "replica");
        assert.equal(conf.get("listen_addresses"), "*");
    });

    it("loads exactly the files of scripts/, byte for byte, into the scripts ConfigMaps of both namespaces", async () => {
        const run = await defaultRun();
        const expected = Object.fromEntries(fs.readdirSync(SCRIPTS_DIR).sort()
            .filter((f) => fs.statSync(path.join(SCRIPTS_DIR, f)).isFile())
            .map((f) => [f, fs.readFileSync(path.join(SCRIPTS_DIR, f), "utf8")]));
        assert.ok(Object.keys(expected).length > 0);
        for (const ns of ["backend", "backend-dr"]) {
            const data = findK8s(run, "ConfigMap", "ternent-postgres-scripts", ns).inputs.data as Record<string, string>;
            assert.deepEqual(Object.keys(data).sort(), Object.keys(expected));
            for (const [name, text] of Object.entries(expected)) {
                assert.ok(Buffer.from(data[name], "utf8").equals(Buffer.from(text, "utf8")), `${ns}: ${name} differs`);
            }
        }
    });

    it("sets the non-secret WAL-G tuning and the retry policy in ConfigMap ternent-postgres-walg", async () => {
        const run = await runWith({ walg: { compression: "zstd", uploadConcurrency: 2 } });
        assert.deepEqual(findK8s(run, "ConfigMap", "ternent-postgres-walg", NS).inputs.data, {
            AWS_S3_FORCE_PATH_STYLE: "false", WALG_COMPRESSION_METHOD: "zstd", WALG_UPLOAD_CONCURRENCY: "2", WALG_DOWNLOAD_CONCURRENCY: "4",
            TERNENT_RESTORE_WALG_DAEMON: "true", WALG_DOWNLOAD_FILE_RETRIES: "3", WALG_S3_MAX_RETRIES: "5", WALG_S3_MIN_THROTTLING_RETRY_DELAY: "500",
            WALG_S3_MAX_THROTTLING_RETRY_DELAY: "10000", TERNENT_WALG_RETRY_MAX_SECONDS: "600",
        });
    });

    it("turns walg.restoreDaemon off for the drills and the restore Job through the same ConfigMap", async () => {
        const run = await runWith({ walg: { restoreDaemon: false } });
        for (const ns of [NS, "backend-dr"]) {
            assert.equal((findK8s(run, "ConfigMap", "ternent-postgres-walg", ns).inputs.data as Record<string, string>).TERNENT_RESTORE_WALG_DAEMON, "false");
        }
    });

    it("gives every container that runs WAL-G the same retry policy from walg.retries (primary, jobs, drills, restore Job)", async () => {
        const retries = { fileRetries: 2, requestRetries: 4, maxSeconds: 700 };
        const run = await runWith({ walg: { retries }, dataGeneration: 1, recovery: { target: "latest" } });
        const expected = {
            WALG_DOWNLOAD_FILE_RETRIES: "2", WALG_S3_MAX_RETRIES: "4", WALG_S3_MIN_THROTTLING_RETRY_DELAY: "500",
            WALG_S3_MAX_THROTTLING_RETRY_DELAY: "10000", TERNENT_WALG_RETRY_MAX_SECONDS: "700",
        };
        const configMaps = new Map(findAllK8s(run, "ConfigMap").map((c) => [`${metaOf(c).namespace}/${metaOf(c).name}`, (c.inputs.data ?? {}) as Any]));
        const secrets = new Map(findAllK8s(run, "Secret").map((c) => [`${metaOf(c).namespace}/${metaOf(c).name}`, (c.inputs.stringData ?? {}) as Any]));
        const seen: string[] = [];
        for (const w of workloads(run)) {
            const ns = metaOf(w).namespace!;
            for (const c of containersOf(w)) {
                // The container's effective env: envFrom sources, then literal values.
                const env: Record<string, string> = {};
                for (const from of (c.envFrom ?? []) as Any[]) {
                    Object.assign(env, from.configMapRef ? configMaps.get(`${ns}/${from.configMapRef.name}`) : secrets.get(`${ns}/${from.secretRef.name}`));
                }
                Object.assign(env, envOf(c));
                // The primary reads its storage settings from the file walg-secret writes from the Secret.
                if (env.TERNENT_WALG_ENV_FILE !== undefined && c.envFrom !== undefined) {
                    Object.assign(env, secrets.get(`${ns}/ternent-postgres-backup`));
                }
                if (env.WALG_S3_PREFIX === undefined) {
                    assert.equal(env.WALG_DOWNLOAD_FILE_RETRIES, undefined, `${metaOf(w).name}/${c.name} does not run WAL-G`);
                    continue;
                }
                seen.push(`${ns}/${metaOf(w).name}/${c.name}`);
                for (const [k, v] of Object.entries(expected)) {
                    assert.equal(env[k], v, `${k} of ${ns}/${metaOf(w).name}/${c.name}`);
                }
            }
        }
        assert.deepEqual(seen.sort(), [
            "backend-dr/ternent-postgres-pitr-drill/pitr-drill", "backend-dr/ternent-postgres-restore-drill/restore-drill",
            "backend/ternent-postgres-backup-g1/backup", "backend/ternent-postgres-backup/backup", "backend/ternent-postgres-restore-g1/restore",
            "backend/ternent-postgres-retention/retention", "backend/ternent-postgres/postgres",
        ]);
    });

    it("runs one replica with the claim template kept on delete and scale-down", async () => {
        const run = await runWith({ postgres: { volumeClaimTemplate: "pgdata", storageSize: "20Gi", storageClass: "fast", serviceName: "ternent-postgres-hl" } });
        const spec = findK8s(run, "StatefulSet", "ternent-postgres", NS).inputs.spec as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        assert.equal(spec.replicas, 1);
        assert.equal(spec.serviceName, "ternent-postgres-hl");
        assert.deepEqual(spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
        assert.equal(spec.volumeClaimTemplates.length, 1);
        assert.equal(spec.volumeClaimTemplates[0].metadata.name, "pgdata");
        assert.equal(spec.volumeClaimTemplates[0].spec.storageClassName, "fast");
        assert.equal(spec.volumeClaimTemplates[0].spec.resources.requests.storage, "20Gi");
        const mounts = spec.template.spec.containers[0].volumeMounts as { name: string; mountPath: string }[];
        assert.deepEqual(mounts.find((m) => m.mountPath === "/var/lib/postgresql/data"), { name: "pgdata", mountPath: "/var/lib/postgresql/data" });
    });

    it("installs WAL-G with an init container from the pinned URL and sha256, then runs the official entrypoint with the rendered config", async () => {
        const run = await stackRun("prod");
        const pod = podSpecOf(findK8s(run, "StatefulSet", "ternent-postgres", NS));
        const init = (pod.initContainers as { name: string; image: string; command: string[] }[])[0];
        assert.equal(init.image, "curlimages/curl:8.11.1");
        assert.deepEqual(init.command, ["/ternent/scripts/walg-install.sh"]);
        assert.deepEqual(envOf(init as never), {
            TERNENT_BIN: "/ternent/bin", TERNENT_SCRIPTS: "/ternent/scripts", WALG_VERSION: "v3.0.9",
            WALG_URL: "https://github.com/wal-g/wal-g/releases/download/v3.0.9/wal-g-pg-22.04-amd64.tar.gz",
            WALG_SHA256: "4f03ee4679db7f660bfd1b2b8291ac5df247cd2ec48074b60c112f4897299f24",
        });
        const main = (pod.containers as { command: string[]; args: string[]; image: string }[])[0];
        assert.deepEqual([...main.command, ...main.args], ["docker-entrypoint.sh", "postgres", "-c", "config_file=/ternent/conf/postgresql.conf"]);
        assert.equal(main.image, "postgres:15.18-bookworm");
        assert.equal(envOf(main as never).PGDATA, "/var/lib/postgresql/data/pgdata");
    });

    it("probes readiness, liveness and startup with pg_isready", async () => {
        const run = await defaultRun();
        const c = (podSpecOf(findK8s(run, "StatefulSet", "ternent-postgres", NS)).containers as Record<string, { exec: { command: string[] } }>[])[0];
        for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
            assert.equal(c[probe].exec.command[0], "pg_isready", probe);
        }
    });

    it("runs the database with Guaranteed QoS and stays cheap: requests = limits in every container (init included), 500m and 1Gi", async () => {
        const run = await defaultRun();
        const pod = podSpecOf(findK8s(run, "StatefulSet", "ternent-postgres", NS));
        const all = [...pod.initContainers, ...pod.containers] as { name: string; resources: { requests: Record<string, string>; limits: Record<string, string> } }[];
        assert.deepEqual(all.map((c) => c.name), ["walg-install", "walg-secret", "postgres"]);
        for (const c of all) {
            for (const k of ["cpu", "memory"]) {
                assert.equal(parseQuantity(c.resources.requests[k]), parseQuantity(c.resources.limits[k]), `${c.name} ${k}`);
            }
        }
        assert.deepEqual(all[2].resources, { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "500m", memory: "1Gi" } });
    });

    it("runs every container of every pod, init containers included, under the restricted profile", async () => {
        for (const stack of ["dev", "prod"] as const) {
            const run = await stackRun(stack);
            for (const w of workloads(run)) {
                const pod = podSpecOf(w) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
                assert.equal(pod.automountServiceAccountToken, false, w.urn);
                assert.equal(pod.securityContext.runAsNonRoot, true, w.urn);
                assert.equal(pod.securityContext.fsGroup, 999, w.urn);
                assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault", w.urn);
                for (const c of containersOf(w) as Record<string, any>[]) { // eslint-disable-line @typescript-eslint/no-explicit-any
                    const sc = c.securityContext;
                    assert.equal(sc.runAsNonRoot, true, `${w.urn} ${c.name}`);
                    assert.equal(sc.runAsUser, 999, `${w.urn} ${c.name}`);
                    assert.equal(sc.allowPrivilegeEscalation, false, `${w.urn} ${c.name}`);
                    assert.deepEqual(sc.capabilities.drop, ["ALL"], `${w.urn} ${c.name}`);
                    assert.equal(sc.seccompProfile.type, "RuntimeDefault", `${w.urn} ${c.name}`);
                    assert.equal(sc.readOnlyRootFilesystem, true, `${w.urn} ${c.name}`);
                }
            }
        }
    });

    it("gives the read-only-root Postgres container writable emptyDirs for its socket directory and /tmp", async () => {
        const run = await defaultRun();
        const pod = podSpecOf(findK8s(run, "StatefulSet", "ternent-postgres", NS)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        const volumes = new Map((pod.volumes as { name: string; emptyDir?: object }[]).map((v) => [v.name, v]));
        for (const dir of ["/var/run/postgresql", "/tmp"]) {
            const mount = (pod.containers[0].volumeMounts as { name: string; mountPath: string }[]).find((m) => m.mountPath === dir);
            assert.ok(mount && volumes.get(mount.name)?.emptyDir, dir);
        }
    });

    it("admits 5432 only from the API pods and this project's own job pods", async () => {
        const run = await runWith({ network: { apiPodSelector: { app: "api", tier: "backend" } } });
        const spec = findK8s(run, "NetworkPolicy", "ternent-postgres", NS).inputs.spec as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        assert.deepEqual(spec.podSelector.matchLabels, { "app.kubernetes.io/name": "ternent-postgres", "app.kubernetes.io/component": "database" });
        assert.deepEqual(spec.policyTypes, ["Ingress"]);
        assert.equal(spec.ingress.length, 1);
        assert.deepEqual(spec.ingress[0].ports, [{ protocol: "TCP", port: 5432 }]);
        assert.deepEqual(spec.ingress[0].from[0], { podSelector: { matchLabels: { app: "api", tier: "backend" } } });
        const jobs = spec.ingress[0].from[1].podSelector;
        assert.equal(jobs.matchLabels["app.kubernetes.io/part-of"], "ternent-postgres");
        const components = jobs.matchExpressions[0].values as string[];
        for (const c of ["backup", "canary", "verify", "app-role"]) assert.ok(components.includes(c), c);
        for (const c of ["restore-drill", "pitr-drill", "retention", "alerts"]) assert.ok(!components.includes(c), c);
    });

    it("serves 5432 through Service ternent-postgres selecting the Postgres pod", async () => {
        const run = await defaultRun();
        const spec = findK8s(run, "Service", "ternent-postgres", NS).inputs.spec as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        assert.equal(spec.ports[0].port, 5432);
        const pod = findK8s(run, "StatefulSet", "ternent-postgres", NS).inputs.spec as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        for (const [k, v] of Object.entries(spec.selector)) {
            assert.equal(pod.template.metadata.labels[k], v);
        }
    });

    it("creates the Secrets and ConfigMaps before the StatefulSet", async () => {
        const run = await stackRun("prod");
        const sts = findK8s(run, "StatefulSet", "ternent-postgres", NS);
        for (const [kind, name] of [["Secret", "ternent-postgres"], ["Secret", "ternent-postgres-backup"], ["ConfigMap", "ternent-postgres"],
            ["ConfigMap", "ternent-postgres-scripts"], ["ConfigMap", "ternent-postgres-walg"]]) {
            assert.ok(dependsOn(run, sts, findK8s(run, kind, name, NS)), `${kind} ${name}`);
        }
    });

    it("protects the StatefulSet, the generated password and the Secrets carrying credentials in prod only", async () => {
        for (const [stack, expected] of [["prod", true], ["dev", false]] as const) {
            const [ns, dr] = stack === "prod" ? [NS, "backend-dr"] : ["backend-dev", "backend-dev-dr"];
            const names = [["StatefulSet", "ternent-postgres", ns], ["Secret", "ternent-postgres", ns], ["Secret", "ternent-postgres-backup", ns],
                ["Secret", "ternent-postgres-app", ns], ["Secret", "ternent-postgres-backup", dr]];
            const run = await stackRun(stack);
            for (const [kind, name, ns] of names) {
                assert.equal(findK8s(run, kind, name, ns).options.protect, expected, `${stack} ${kind} ${ns}/${name}`);
            }
            for (const name of ["postgres-password", "postgres-app-password"]) {
                const pw = byType(run, "random:index/randomPassword:RandomPassword").find((p) => p.name === name)!;
                assert.equal(pw.options.protect, expected, name);
            }
        }
    });

    it("restarts the pod when postgresql.conf changes (its hash is a pod annotation)", async () => {
        const hash = async (timeout: number): Promise<string> => {
            const run = await runWith({ postgres: { archiveTimeoutSeconds: timeout } });
            const spec = findK8s(run, "StatefulSet", "ternent-postgres", NS).inputs.spec as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
            return spec.template.metadata.annotations["ternent-postgres/postgresql-conf-sha256"];
        };
        assert.notEqual(await hash(30), await hash(60));
    });
});
