// The ha profile (components/ha-cluster.ts, docs/ha.md) under the mock engine: the operator's postgresql
// resource valid against the operator's own CRD (both forms, pinned v1.15.1), archiving through the same
// Secret as the single node, the migration's order (API down → cut-over → cluster → verify → API up), the
// single node kept, and what the jobs and the drills point at.
import { strict as assert } from "assert";
import { CapturedResource, ProgramRun } from "../../tools/harness";
import { crdValidator, operatorCrdSkipReason, operatorCrds } from "../../tools/operator-crd/schema";
import { requireOrSkip } from "../setup/requirements";
import { Any, envOf, findAllK8s, findK8s, runWith } from "./helpers";

const HA = { profile: "ha", dataGeneration: 1, ha: { instances: 3, replication: "sync" }, migration: { at: "2025-06-15T12:10:00Z" } };
const PREVIOUS_SINGLE = { previousOutputs: { dataGeneration: 0, dataGenerationMax: 0, profile: "single" } };
const PREVIOUS_MIGRATED = { previousOutputs: { dataGeneration: 1, dataGenerationMax: 1, profile: "ha", migration: { generation: 1, at: "2025-06-15T12:10:00Z" } } };

function cluster(run: ProgramRun): Any {
    return I(findK8s(run, "postgresql", "ternent-postgres-ha", "backend"));
}
/** spec.env of the cluster as name → literal value or "secret:<name>/<key>". */
function clusterEnv(run: ProgramRun): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of cluster(run).spec.env as Any[]) {
        assert.ok(!(e.name in out), `env ${e.name} twice`);
        out[e.name] = e.value ?? `secret:${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`;
    }
    return out;
}
/** A captured object's inputs, loosely typed (tests read them). */
const I = (r: CapturedResource): Any => r.inputs as Any;

describe("components/ha-cluster: the ha profile", function () {
    this.timeout(60_000);
    let migrating: ProgramRun;
    let migrated: ProgramRun;
    let single: ProgramRun;

    before(async function () {
        this.timeout(120_000);
        migrating = await runWith(HA, PREVIOUS_SINGLE);
        migrated = await runWith(HA, PREVIOUS_MIGRATED);
        single = await runWith({});
    });

    it("renders a postgresql resource the operator's own CRD accepts, in both its forms", function () {
        requireOrSkip(this, operatorCrdSkipReason());
        const crds = operatorCrds();
        for (const crd of [crds.manifest, crds.registered]) {
            const validate = crdValidator(crd);
            assert.deepEqual(validate(cluster(migrating)), []);
            assert.deepEqual(validate(cluster(migrated)), []);
        }
    });

    it("asks for the configured instances, synchronous replication, PostgreSQL 15 and the stack's archive_timeout", function () {
        const spec = cluster(migrating).spec;
        assert.equal(spec.numberOfInstances, 3);
        assert.deepEqual(spec.patroni, { synchronous_mode: true });
        assert.equal(spec.postgresql.version, "15");
        assert.equal(spec.postgresql.parameters.archive_timeout, "60");
        assert.equal(spec.dockerImage, "ghcr.io/zalando/spilo-17:4.0-p3");
    });

    it("archives with WAL-G into the current generation through the single node's Secret, encrypted with its libsodium key", function () {
        const env = clusterEnv(migrating);
        assert.equal(env.USE_WALG_BACKUP, "true");
        for (const k of ["WALG_S3_PREFIX", "AWS_ENDPOINT", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "WALG_LIBSODIUM_KEY", "WALG_LIBSODIUM_KEY_TRANSFORM"]) {
            assert.equal(env[k], `secret:ternent-postgres-backup/${k}`, k);
        }
        assert.equal(env.WALE_S3_PREFIX, "secret:ternent-postgres-backup/WALG_S3_PREFIX");
        const secret = I(findK8s(migrating, "Secret", "ternent-postgres-backup", "backend"));
        assert.equal(secret.metadata.annotations["ternent-postgres/walg-s3-prefix"], "s3://ternent-postgres-backups-dev/ternent-postgres-gen1");
        assert.equal(env.BACKUP_SCHEDULE, "0 2 * * *");
        assert.ok(Number(env.BACKUP_NUM_TO_RETAIN) >= 1000, "Spilo's own pruning is off");
    });

    it("clones from the single node's prefix with the read-only key, to T with an explicit offset", function () {
        const spec = cluster(migrating).spec;
        assert.deepEqual(spec.clone, {
            cluster: "ternent-postgres", timestamp: "2025-06-15T12:10:00+00:00", s3_wal_path: "s3://ternent-postgres-backups-dev/ternent-postgres",
            s3_endpoint: "https://fra1.digitaloceanspaces.com", s3_force_path_style: true,
        });
        const env = clusterEnv(migrating);
        assert.equal(env.CLONE_AWS_ACCESS_KEY_ID, "secret:ternent-postgres-clone-g1/AWS_ACCESS_KEY_ID");
        assert.equal(env.CLONE_WALG_LIBSODIUM_KEY, "secret:ternent-postgres-clone-g1/WALG_LIBSODIUM_KEY");
        const secret = I(findK8s(migrating, "Secret", "ternent-postgres-clone-g1", "backend"));
        assert.equal(secret.metadata.annotations["ternent-postgres/spaces-key-permission"], "read");
    });

    it("runs the migration in order: API down, cut-over on the single node, the cluster, verify on the cluster, API up", function () {
        const r = migrating;
        const cut = findK8s(r, "Job", "ternent-postgres-migrate-g1", "backend");
        const cr = findK8s(r, "postgresql", "ternent-postgres-ha", "backend");
        const verify = findK8s(r, "Job", "ternent-postgres-migrate-verify-g1", "backend");
        const patches = findAllK8s(r, "DeploymentPatch", "ternent-api", "backend");
        const down = patches.find((p) => I(p).spec.replicas === 0)!;
        const up = patches.find((p) => I(p).spec.replicas === 1)!;
        assert.ok(cut.dependencies.includes(down.urn), "cut-over after the API is down");
        assert.ok(cr.dependencies.includes(cut.urn), "the cluster after the cut-over");
        assert.ok(verify.dependencies.includes(cr.urn), "verify after the cluster");
        assert.ok(up.dependencies.includes(verify.urn), "API up after verify");
        const env = envOf(I(cut).spec.template.spec.containers[0]);
        assert.equal(env.TERNENT_MIGRATION_AT, "2025-06-15T12:10:00Z");
        assert.equal(env.PGHOST, "ternent-postgres-single.backend.svc");
        assert.equal(envOf(I(verify).spec.template.spec.containers[0]).PGHOST, "ternent-postgres-ha.backend.svc");
    });

    it("keeps the single node running during the migration and scales it to 0 once the migration is recorded; the Service selects the cluster's leader", function () {
        assert.equal(I(findK8s(migrating, "StatefulSet", "ternent-postgres", "backend")).spec.replicas, 1);
        assert.equal(I(findK8s(migrated, "StatefulSet", "ternent-postgres", "backend")).spec.replicas, 0);
        assert.equal(I(findK8s(single, "StatefulSet", "ternent-postgres", "backend")).spec.replicas, 1);
        for (const r of [migrating, migrated]) {
            assert.deepEqual(I(findK8s(r, "Service", "ternent-postgres", "backend")).spec.selector,
                { "application": "spilo", "cluster-name": "ternent-postgres-ha", "spilo-role": "master" });
        }
        // The StatefulSet stays on generation 0's volume: no PVC for the cluster's generation.
        assert.equal(findAllK8s(migrating, "PersistentVolumeClaim").length, 0);
        const volumes = I(findK8s(migrating, "StatefulSet", "ternent-postgres", "backend")).spec.template.spec.volumes as Any[];
        assert.ok(!volumes.some((v) => v.persistentVolumeClaim), "the claim template's volume, as before");
    });

    it("leaves base backups to Spilo and tells verify which archive_command to expect; drills and retention read the cluster's prefix", function () {
        assert.equal(findAllK8s(migrating, "CronJob", "ternent-postgres-backup").length, 0);
        assert.equal(findAllK8s(single, "CronJob", "ternent-postgres-backup").length, 1);
        const verify = I(findK8s(migrating, "CronJob", "ternent-postgres-verify", "backend")).spec.jobTemplate.spec.template.spec;
        assert.equal(envOf(verify.containers[0]).TERNENT_VERIFY_ARCHIVE_COMMAND, 'wal-g wal-push "%p"$');
        const dr = I(findK8s(migrating, "Secret", "ternent-postgres-backup", "backend-dr"));
        assert.equal(dr.metadata.annotations["ternent-postgres/walg-s3-prefix"], "s3://ternent-postgres-backups-dev/ternent-postgres-gen1");
    });

    it("lets the API, this project's jobs, the cluster's own pods and the operator's namespace in, and nothing else", function () {
        const np = I(findK8s(migrating, "NetworkPolicy", "ternent-postgres-ha", "backend")).spec;
        assert.deepEqual(np.podSelector, { matchLabels: { "application": "spilo", "cluster-name": "ternent-postgres-ha" } });
        assert.deepEqual(np.ingress[0].ports, [{ protocol: "TCP", port: 5432 }]);
        assert.deepEqual(np.ingress[0].from[0], { podSelector: { matchLabels: { app: "ternent-api" } } });
        assert.deepEqual(np.ingress[1].from[1], { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "postgres-operator" } } });
        assert.deepEqual(np.ingress[1].ports.map((p: Any) => p.port), [5432, 8008]);
    });

    it("keeps the existing password for the operator, protects the resource in prod and never lets Pulumi delete it", async function () {
        const prod = await runWith({ ...HA, protect: true }, PREVIOUS_SINGLE);
        const cr = findK8s(prod, "postgresql", "ternent-postgres-ha", "backend");
        assert.equal(cr.options.protect, true);
        assert.equal(cr.options.retainOnDelete, true);
        const creds = findK8s(prod, "Secret", "ternent.ternent-postgres-ha.credentials.postgresql.acid.zalan.do", "backend");
        assert.equal(creds.options.protect, true);
        // The cluster's pods read the clone Secret for as long as the migration block stays.
        assert.equal(findK8s(prod, "Secret", "ternent-postgres-clone-g1", "backend").options.protect, true);
        assert.ok(creds.secretPaths.some((p) => p === "stringData" || p === "stringData.password"), `password not secret: ${creds.secretPaths.join(", ")}`);
        assert.equal(cluster(prod).spec.users.ternent.includes("superuser"), true);
    });

    it("exports the profile, the cluster and the migration the next deployment's history check reads", function () {
        assert.equal(migrating.outputs.profile, "ha");
        assert.equal(migrating.outputs.haCluster, "ternent-postgres-ha");
        const m = migrating.outputs.migration as Any;
        assert.equal(m.generation, 1);
        assert.equal(m.at, "2025-06-15T12:10:00Z");
        assert.equal(m.clonedFrom, "s3://ternent-postgres-backups-dev/ternent-postgres");
        assert.equal(single.outputs.profile, "single");
        assert.equal(single.outputs.migration, null);
    });
});
