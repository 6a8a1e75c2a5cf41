import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { main, renderRun, renderStack, validateObject, REDACTED } from "../tools/render";
import { ProgramRun, REPO_ROOT } from "../tools/harness";
import { NOW, runWith } from "./components/helpers";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = Record<string, any>;

function tmpDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "ternent-render-"));
}

/** Every generated value the mock engine produced (passwords, keys): none may be rendered. */
function generatedValues(run: ProgramRun): string[] {
    const out: string[] = [];
    for (const r of run.resources) {
        if (r.type === "random:index/randomPassword:RandomPassword") {
            out.push(String(r.outputs.result));
        }
        if (r.type === "digitalocean:index/spacesKey:SpacesKey") {
            out.push(String(r.outputs.accessKey), String(r.outputs.secretKey));
        }
    }
    return out;
}

function readAll(dir: string): string {
    return fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), "utf8")).join("\n");
}

describe("tools/render", () => {
    let savedNow: string | undefined;
    before(() => {
        savedNow = process.env.TERNENT_NOW;
        process.env.TERNENT_NOW = NOW;
    });
    after(() => {
        if (savedNow === undefined) {
            delete process.env.TERNENT_NOW;
        } else {
            process.env.TERNENT_NOW = savedNow;
        }
    });

    for (const stack of ["dev", "prod"]) {
        it(`renders every Kubernetes object of ${stack} valid against the Kubernetes schema`, async () => {
            const dir = tmpDir();
            try {
                const result = await renderStack(stack, dir);
                assert.deepEqual(result.problems, []);
                const yamls = fs.readdirSync(dir).filter((f) => f.endsWith(".yaml"));
                assert.equal(yamls.length, result.run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:")).length);
                for (const f of yamls) {
                    const obj = yaml.load(fs.readFileSync(path.join(dir, f), "utf8")) as Any;
                    assert.deepEqual(validateObject(obj, false), [], f);
                }
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it(`never writes a generated credential of ${stack} into the render`, async () => {
            const dir = tmpDir();
            try {
                const result = await renderStack(stack, dir);
                const values = generatedValues(result.run);
                assert.ok(values.length >= 4);
                const text = readAll(dir);
                for (const v of values) {
                    assert.ok(!text.includes(v), `${v} appears in the render`);
                }
                assert.deepEqual(result.leaks, []);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    }

    it("writes the objects the issue names for prod, one file per object", async () => {
        const dir = tmpDir();
        try {
            await renderStack("prod", dir);
            const files = new Set(fs.readdirSync(dir));
            for (const f of [
                "backend.StatefulSet.ternent-postgres.yaml", "backend.Service.ternent-postgres.yaml", "backend.Secret.ternent-postgres.yaml",
                "backend.CronJob.ternent-postgres-backup.yaml", "backend.CronJob.ternent-postgres-retention.yaml",
                "_cluster.Namespace.backend-dr.yaml", "backend.Secret.ternent-postgres-backup.yaml", "backend-dr.Secret.ternent-postgres-backup.yaml",
                "backend-dr.CronJob.ternent-postgres-restore-drill.yaml", "backend-dr.CronJob.ternent-postgres-pitr-drill.yaml",
                "backend.NetworkPolicy.ternent-postgres.yaml", "resources.json", "outputs.json",
                "backend.Secret.ternent-postgres-app.yaml", "backend.Job.ternent-postgres-app-role.yaml", "backend.Service.ternent-postgres-headless.yaml",
            ]) {
                assert.ok(files.has(f), `${f} missing`);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("redacts every value under a secret path and every secret output", async () => {
        const dir = tmpDir();
        try {
            await renderStack("dev", dir);
            for (const f of ["backend-dev.Secret.ternent-postgres.yaml", "backend-dev.Secret.ternent-postgres-app.yaml", "backend-dev-dr.Secret.ternent-postgres-backup.yaml"]) {
                const obj = yaml.load(fs.readFileSync(path.join(dir, f), "utf8")) as Any;
                assert.ok(Object.keys(obj.stringData).length >= 3);
                for (const v of Object.values(obj.stringData)) {
                    assert.equal(v, REDACTED, f);
                }
            }
            const outputs = JSON.parse(fs.readFileSync(path.join(dir, "outputs.json"), "utf8"));
            assert.equal(outputs.walgLibsodiumKey, REDACTED);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("lists every resource in resources.json with URN, type, name, parent, dependencies and options", async () => {
        const dir = tmpDir();
        try {
            const result = await renderStack("prod", dir);
            const list = JSON.parse(fs.readFileSync(path.join(dir, "resources.json"), "utf8")) as Any[];
            assert.deepEqual(list.map((r) => r.urn), result.run.resources.map((r) => r.urn));
            const sts = list.find((r) => r.type === "kubernetes:apps/v1:StatefulSet")!;
            assert.equal(sts.options.protect, true);
            assert.ok(sts.dependencies.length > 0);
            assert.ok(sts.parent.endsWith("ternent-postgres:index:Postgres::postgres"));
            assert.equal(sts.file, "backend.StatefulSet.ternent-postgres.yaml");
            const bucket = list.find((r) => r.type === "digitalocean:index/spacesBucket:SpacesBucket")!;
            assert.equal(bucket.inputs.acl, "private");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("names the object and the field of an invalid object", () => {
        const problems = validateObject({
            apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "x" },
            spec: { selector: {}, serviceName: "x", template: { spec: { containers: [{ name: "a", ports: [{ containerPort: "5432" }] }] } } },
        }, false);
        assert.equal(problems.length, 1);
        assert.equal(problems[0].field, "/spec/template/spec/containers/0/ports/0/containerPort");
    });

    it("reports a schema problem of a rendered object with its file", async () => {
        const run = await runWith({});
        const broken: ProgramRun = {
            ...run,
            resources: run.resources.map((r) => r.type === "kubernetes:core/v1:Service" && r.name === "postgres-service"
                ? { ...r, inputs: { ...r.inputs, spec: { ports: [{ port: "not-a-port" }] } } }
                : r),
        };
        const result = renderRun(broken);
        assert.equal(result.problems.length, 1);
        assert.equal(result.problems[0].file, "backend.Service.ternent-postgres.yaml");
        assert.equal(result.problems[0].field, "/spec/ports/0/port");
    });

    it("renders a recovery: the restore PVC, the restore Job, the API patches and the StatefulSet on the new claim", async () => {
        const run = await runWith({ dataGeneration: 1, recovery: { target: "latest" } });
        const files = new Map(renderRun(run).files.map((f) => [f.name, f.text]));
        for (const f of ["backend.PersistentVolumeClaim.ternent-postgres-data-g1.yaml", "backend.Job.ternent-postgres-restore-g1.yaml",
            "backend.Job.ternent-postgres-backup-g1.yaml", "backend.DeploymentPatch.ternent-api.recovery-api-down.yaml",
            "backend.DeploymentPatch.ternent-api.handover-api-up.yaml"]) {
            assert.ok(files.has(f), `${f} missing from ${[...files.keys()].join(", ")}`);
        }
        assert.match(files.get("backend.StatefulSet.ternent-postgres.yaml")!, /claimName: ternent-postgres-data-g1/);
        assert.match(files.get("backend.Secret.ternent-postgres-backup.yaml")!, /ternent-postgres\/walg-s3-prefix: s3:\/\/ternent-postgres-backups-dev\/ternent-postgres-gen1/);
        assert.deepEqual(renderRun(run).problems, []);
    });

    describe("command line", () => {
        const badStack = `render-test-bad-${process.pid}`;
        const badFile = path.join(REPO_ROOT, `Pulumi.${badStack}.yaml`);
        after(() => fs.rmSync(badFile, { force: true }));

        it("exits 2 with the config error naming the key for a stack file with a bad value", async () => {
            fs.writeFileSync(badFile, "config:\n  kubernetes:enableSecretMutable: \"true\"\n  kubernetes:enableConfigMapMutable: \"true\"\n" +
                "  ternent-postgres:schedules:\n    backup: \"0 25 * * *\"\n");
            const errors: string[] = [];
            const saved = console.error;
            console.error = (...a: unknown[]) => { errors.push(a.join(" ")); };
            let code: number;
            const dir = tmpDir();
            try {
                code = await main(["--stack", badStack, "--out", dir]);
            } finally {
                console.error = saved;
                fs.rmSync(dir, { recursive: true, force: true });
            }
            assert.equal(code, 2);
            assert.match(errors.join("\n"), /ternent-postgres:schedules\.backup = "0 25 \* \* \*" is not a valid cron schedule/);
        });

        it("exits 2 for a stack without a stack file", async () => {
            const saved = console.error;
            console.error = () => undefined;
            try {
                assert.equal(await main(["--stack", "no-such-stack", "--out", os.tmpdir()]), 2);
            } finally {
                console.error = saved;
            }
        });
    });
});
