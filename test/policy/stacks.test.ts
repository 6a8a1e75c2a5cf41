import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RunResult, run } from "../../lab/processes";
import { REPO_ROOT } from "../../tools/harness";
import { PackAnalyzer } from "../../tools/policy/analyzer";
import { parsePolicyPackConfig } from "../../tools/policy/config";
import { runPolicies } from "../../tools/policy-run";
import { startEarly } from "../setup/early";
import { packAnalyzer } from "./analyzer";
import { WEAKENINGS, prodText, recoveryText, writeWeakStacks } from "./weak-stacks";

const summary = (r: Awaited<ReturnType<typeof runPolicies>>) => r.mandatory.map((d) => `${d.policyName}: ${d.message.split("\n").pop()}`);

/**
 * `npm run policy -- --stack weak` on a weakened copy of Pulumi.prod.yaml, in a temporary directory
 * (tests never write into the working tree). It starts its own analyzer (seconds): it starts when the
 * run starts (test/setup/early.ts) and the last test below checks its outcome.
 */
const weakCli = startEarly(async (): Promise<RunResult> => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-weak-"));
    const file = path.join(dir, "Pulumi.weak.yaml");
    fs.writeFileSync(file, WEAKENINGS[0].change(prodText()));
    try {
        return await run("npm", ["run", "-s", "policy", "--", "--stack", "weak", "--stack-file", file], { cwd: REPO_ROOT, timeoutMs: 200_000 });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

describe("the policy pack's analyzer over the program's stacks (mock runtime)", function () {
    this.timeout(120_000);
    let analyzer: PackAnalyzer;
    before(async function () {
        this.timeout(300_000); // the standalone pack may still be starting
        analyzer = await packAnalyzer();
    });

    for (const stack of ["dev", "prod"]) {
        it(`finds no mandatory violation in ${stack}`, async () => {
            const r = await runPolicies({ stack }, analyzer);
            assert.deepEqual(summary(r), []);
            assert.ok(r.resources.length > 20, "the program registered its resources");
        });
    }

    it("finds no mandatory violation in prod during a recovery (generation 1, restore Job, generation PVC)", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-recovery-"));
        try {
            const file = path.join(dir, "Pulumi.prod.yaml");
            fs.writeFileSync(file, recoveryText());
            const r = await runPolicies({ stack: "prod", stackFile: file }, analyzer);
            assert.deepEqual(summary(r), []);
            assert.ok(r.resources.some((x) => x.type === "kubernetes:batch/v1:Job" && /restore/.test(x.name)), "the recovery renders its restore Job");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("finds no mandatory violation in prod while rolling back (every generation PVC protected)", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-rollback-"));
        try {
            const file = path.join(dir, "Pulumi.prod.yaml");
            const text = prodText().replace(/^(\s*ternent-postgres:dataGeneration:\s*)0\s*$/m,
                "$11\n  ternent-postgres:rollback:\n    fromGeneration: 2\n    scaleApi: true\n    apiReplicas: 1\n");
            assert.notEqual(text, prodText());
            fs.writeFileSync(file, text);
            const r = await runPolicies({ stack: "prod", stackFile: file }, analyzer);
            assert.deepEqual(summary(r), []);
            const claims = r.resources.filter((x) => x.type === "kubernetes:core/v1:PersistentVolumeClaim");
            assert.equal(claims.length, 2, "generations 1 and 2 are declared");
            assert.ok(claims.every((c) => c.options.protect));
            assert.ok(r.resources.some((x) => x.type === "kubernetes:apps/v1:DeploymentPatch"), "the rollback renders its API patches");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    describe("weakened copies of Pulumi.prod.yaml", () => {
        let dir = "";
        let files = new Map<string, string>();
        before(() => {
            ({ dir, files } = writeWeakStacks());
        });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        for (const w of WEAKENINGS) {
            it(`refuses ${w.name} with policy ${w.policy}`, async () => {
                const r = await runPolicies({ stack: "weak", stackFile: files.get(w.name)! }, analyzer);
                const refused = new Set(r.mandatory.map((d) => d.policyName));
                assert.ok(refused.has(w.policy), `expected ${w.policy}, got: ${summary(r).join("; ") || "no violation"}`);
                assert.deepEqual([...refused], [w.policy], "only the weakened setting is refused");
            });
        }
    });

    it("passes the storageClass do-block-storage copy when its claim is listed in retainedClaims (an adopted volume patched to Retain)", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-adopted-"));
        try {
            const w = WEAKENINGS.find((x) => x.policy === "data-volume-retained")!;
            const file = path.join(dir, "Pulumi.weak.yaml");
            fs.writeFileSync(file, w.change(prodText()));
            // The weakened copy runs as stack "weak": its claim is the prod namespace's.
            const r = await runPolicies({ stack: "weak", stackFile: file, policyConfig: parsePolicyPackConfig({ "data-volume-retained": { retainedClaims: ["backend/data-ternent-postgres-0"] } }) }, analyzer);
            assert.deepEqual(r.mandatory.map((d) => d.policyName), []);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("refuses Pulumi.weak.yaml through `npm run policy -- --stack weak` with a non-zero exit naming the policy", async () => {
        const { code, stdout } = await weakCli();
        assert.equal(code, 1, stdout);
        assert.match(stdout, /\[mandatory\] retention-daily-backups\n\s+resource: urn:pulumi:weak::ternent-postgres::.*CronJob::backups-retention/);
        assert.match(stdout, /^policy: stack weak: 1 mandatory violation\(s\) \(retention-daily-backups\), .*: REFUSED$/m);
    });
});
