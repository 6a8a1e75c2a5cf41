import { strict as assert } from "assert";
import { DEFAULTS } from "../config";
import { ProgramRun, runProgram, flattenStackConfig } from "../tools/harness";
import { BUNDLE_NAMESPACES, byType, findAllK8s, findK8s, K8S_FLAGS, k8sObjects, metaOf, NOW, runWith, stackRun } from "./components/helpers";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = Record<string, any>;

const ADOPTED: [string, string, string][] = [
    ["StatefulSet", "ternent-postgres", "backend"], ["Service", "ternent-postgres", "backend"],
    ["Secret", "ternent-postgres", "backend"], ["Secret", "ternent-postgres-backup", "backend"],
    ["ConfigMap", "ternent-postgres", "backend"], ["NetworkPolicy", "ternent-postgres", "backend"],
    ["CronJob", "ternent-postgres-backup", "backend"], ["Secret", "ternent-postgres-backup", "backend-dr"],
    ["CronJob", "ternent-postgres-restore-drill", "backend-dr"], ["CronJob", "ternent-postgres-pitr-drill", "backend-dr"],
];

const ADOPT_CONFIG = {
    adopt: true,
    postgresPassword: { secure: "v1:bundle-password" },
    spaces: { prefix: "ternent-postgres-encrypted" },
    postgres: {
        selectorLabels: { app: "ternent-postgres" }, serviceName: "ternent-postgres-headless",
        volumeClaimTemplate: "pgdata", storageSize: "20Gi", storageClass: "do-block-storage-xfs",
    },
};

describe("index.ts (the whole program)", () => {
    it("registers every resource of both stacks under a unique URN", async () => {
        for (const stack of ["dev", "prod"] as const) {
            const run = await stackRun(stack);
            const urns = run.resources.map((r) => r.urn);
            assert.equal(new Set(urns).size, urns.length, stack);
        }
    });

    it("gives every Kubernetes object an explicit metadata.name", async () => {
        const run = await stackRun("prod");
        for (const r of k8sObjects(run)) {
            assert.ok(metaOf(r).name, r.urn);
        }
    });

    it("parents every resource in a component and names it after the component", async () => {
        const run = await stackRun("prod");
        const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
        for (const r of run.resources.filter((x) => x.custom && x.type !== "pulumi:pulumi:StackReference")) {
            const parent = byUrn.get(r.parent ?? "");
            assert.ok(parent && parent.type.startsWith("ternent-postgres:index:"), r.urn);
            assert.ok(r.name.startsWith(`${parent.name}-`), `${r.name} is not named ${parent.name}-<role>`);
        }
    });

    it("fails with the config error naming the key when the stack config is bad", async () => {
        await assert.rejects(runWith({ postgres: { storageSize: "0" } }), /ternent-postgres:postgres\.storageSize = "0"/);
    });

    it("warns, names the policy and still renders when retention is below the policy minimums", async () => {
        const run = await runWith({ retention: { daily: 3, weekly: 4, pitrDays: 7 } });
        assert.ok(run.logs.some((l) => l.severity === "warn" && l.message.startsWith("ternent-postgres:retention.daily = 3 is below the policy minimum")));
        const env = ((findK8s(run, "CronJob", "ternent-postgres-retention", "backend").inputs.spec as Any).jobTemplate.spec.template.spec.containers[0].env as Any[]);
        assert.equal(env.find((e) => e.name === "TERNENT_RETAIN_DAILY")!.value, "3");
    });

    describe("adopting the kubectl bundle (adopt: true)", () => {
        // One run of this configuration, which the tests below only read.
        let adoptedRun: ProgramRun;
        before(async () => {
            adoptedRun = await runWith(ADOPT_CONFIG);
        });

        it("imports every object the bundle created by <namespace>/<name> and retains it on delete", async () => {
            const run = adoptedRun;
            for (const [kind, name, ns] of ADOPTED) {
                const r = findK8s(run, kind, name, ns);
                assert.equal(r.options.importId, `${ns}/${name}`, `${kind} ${ns}/${name}`);
                assert.equal(r.options.retainOnDelete, true, `${kind} ${ns}/${name}`);
            }
            const ns = findK8s(run, "Namespace", "backend-dr");
            assert.equal(ns.options.importId, "backend-dr");
        });

        it("creates the objects the bundle never had instead of importing them", async () => {
            const run = adoptedRun;
            const adopted = new Set(ADOPTED.map(([k, n, ns]) => `${k}/${ns}/${n}`));
            for (const r of k8sObjects(run)) {
                const m = metaOf(r);
                const id = `${r.type.split(":").pop()}/${m.namespace}/${m.name}`;
                if (!adopted.has(id) && r.type !== "kubernetes:core/v1:Namespace") {
                    assert.equal(r.options.importId, undefined, id);
                }
            }
            assert.equal(findK8s(run, "CronJob", "ternent-postgres-retention", "backend").options.importId, undefined);
        });

        it("takes the StatefulSet's immutable fields from config and protects it", async () => {
            const run = adoptedRun;
            const sts = findK8s(run, "StatefulSet", "ternent-postgres", "backend");
            const spec = sts.inputs.spec as Any;
            assert.deepEqual(spec.selector.matchLabels, { app: "ternent-postgres" });
            assert.equal(spec.serviceName, "ternent-postgres-headless");
            assert.equal(spec.volumeClaimTemplates[0].metadata.name, "pgdata");
            assert.equal(spec.volumeClaimTemplates[0].spec.resources.requests.storage, "20Gi");
            assert.equal(spec.volumeClaimTemplates[0].spec.storageClassName, "do-block-storage-xfs");
            assert.equal(spec.template.metadata.labels.app, "ternent-postgres");
            assert.equal(sts.options.protect, true);
            assert.deepEqual(sts.options.ignoreChanges, ["spec.volumeClaimTemplates"]);
        });

        it("keeps the bundle's database password and archives encrypted under the new prefix", async () => {
            const flat = flattenStackConfig({ ...K8S_FLAGS, ...BUNDLE_NAMESPACES, ...ADOPT_CONFIG });
            const run = await runProgram({ stack: "dev", now: NOW, ...flat });
            assert.equal(byType(run, "random:index/randomPassword:RandomPassword").filter((p) => p.name === "postgres-password").length, 0);
            const creds = findK8s(run, "Secret", "ternent-postgres", "backend").inputs.stringData as Any;
            assert.match(creds.POSTGRES_PASSWORD, /^offline-secret-/);
            const walg = findK8s(run, "Secret", "ternent-postgres-backup", "backend").inputs.stringData as Any;
            assert.equal(walg.WALG_S3_PREFIX, "s3://ternent-postgres-backups-dev/ternent-postgres-encrypted");
        });

        it("imports nothing without adopt", async () => {
            const run = await stackRun("prod");
            assert.deepEqual(run.resources.filter((r) => r.options.importId), []);
        });
    });

    it("keeps URNs unique with every option switched on", async () => {
        const run = await runWith({ ...ADOPT_CONFIG, dataGeneration: 2, recovery: { target: "latest" }, schedules: DEFAULTS.schedules });
        const urns = run.resources.map((r) => r.urn);
        assert.equal(new Set(urns).size, urns.length);
        assert.equal(findAllK8s(run, "PersistentVolumeClaim").length, 2);
    });
});
