// The program through the REAL Pulumi engine (tools/realengine/): the pulumi CLI, the Node.js language
// host and the CrossGuard analyzer, with the pass-through provider double standing in for the cloud.
// Skipped, with the reason, when tools/realengine/build.sh has not produced every tool. Runs of
// preview.sh are cached by their inputs (test/realengine/engine.ts).

import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderStack } from "../../tools/render";
import { checkFidelity, formatDifferences, FidelityResult, securePlaintextsOf, StateResource } from "../../tools/realengine/fidelity";
import { engineEnv, exec, REPO, RE_BIN, realRun, RealRun, toolStatus, unavailable } from "./engine";
import { requireOrSkip } from "../setup/requirements";

const lockVersion = (pkg: string): string =>
    (JSON.parse(fs.readFileSync(path.join(REPO, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> })
        .packages[`node_modules/${pkg}`].version;

const resources = (file: string): StateResource[] =>
    (JSON.parse(fs.readFileSync(file, "utf8")) as { deployment: { resources: StateResource[] } }).deployment.resources;

/** The pack ran and found no mandatory violation (advisories: checks deferred to `up` during preview). */
const packPassed = (text: string): void => {
    assert.match(text, /(✅|⚠️) ternent-postgres-recoverability@v[\d.]+ \(local: policy\)/);
    assert.doesNotMatch(text, /\[mandatory\]/);
};

/** Renders the stack offline and compares it with what the real engine recorded. */
async function fidelity(stack: string, run: RealRun): Promise<FidelityResult> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `realengine-render-${stack}-`));
    try {
        await renderStack(stack, dir);
        const renderFiles = Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
        return checkFidelity({
            renderFiles,
            state: resources(path.join(run.out, "state.json")),
            secretsState: resources(path.join(run.out, "state.secrets.json")),
            securePlaintexts: securePlaintextsOf(fs.readFileSync(path.join(REPO, `Pulumi.${stack}.yaml`), "utf8")),
        });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const log = (run: RealRun, name: string): string => {
    const f = path.join(run.out, `${name}.log`);
    return fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "";
};

const report = (stack: string, run: RealRun): void => {
    // The figures the README quotes come from these lines.
    console.log(`      real engine ${stack}: ${run.cached ? "cached result" : `${run.seconds} s`} ${JSON.stringify(run.summary.seconds)}`);
};

describe("real engine (tools/realengine)", function () {
    this.timeout(15 * 60_000);

    // The three runs start together: much of a run is waiting on gRPC and child processes, so they
    // overlap well even on two cores.
    const started: Record<string, Promise<RealRun>> = {};
    const start = (stack: string, file: string, args: string[]): void => {
        started[stack] = realRun(stack, file, args);
        started[stack].catch(() => undefined); // awaited (and reported) by the stack's own before()
    };
    let weakDir: string;

    before(function () {
        requireOrSkip(this, unavailable());
        weakDir = fs.mkdtempSync(path.join(os.tmpdir(), "realengine-weak-"));
        const prod = fs.readFileSync(path.join(REPO, "Pulumi.prod.yaml"), "utf8");
        const weak = prod.replace(/^(\s+daily:\s*)\d+/m, "$13");
        assert.notEqual(weak, prod, "Pulumi.prod.yaml has no retention daily value to lower");
        fs.writeFileSync(path.join(weakDir, "Pulumi.weak.yaml"), weak);
        start("prod", path.join(REPO, "Pulumi.prod.yaml"), ["--expect-no-changes"]);
        start("dev", path.join(REPO, "Pulumi.dev.yaml"), []);
        start("weak", path.join(weakDir, "Pulumi.weak.yaml"), ["--preview-only"]);
    });

    after(async () => {
        // Let every run finish before its stack file goes.
        await Promise.allSettled(Object.values(started));
        if (weakDir) {
            fs.rmSync(weakDir, { recursive: true, force: true });
        }
    });

    describe("tools", () => {
        it("builds a pulumi CLI of the release the npm SDK is on", async () => {
            const r = await exec(path.join(RE_BIN, "pulumi"), ["version"], { env: engineEnv(), timeoutMs: 60_000 });
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.stdout.trim(), `v${lockVersion("@pulumi/pulumi")}`);
        });

        it("has a Node.js language host of the same release that starts", async () => {
            const r = await exec(path.join(RE_BIN, "pulumi-language-nodejs"), ["-version"], { env: engineEnv(), timeoutMs: 60_000 });
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.stdout.trim(), `v${lockVersion("@pulumi/pulumi")}`, `origin: ${toolStatus().languageHostOrigin}`);
        });

        it("installs the pass-through double as the kubernetes, random and digitalocean plugins at the package-lock versions", async () => {
            const r = await exec(path.join(RE_BIN, "pulumi"), ["plugin", "ls", "--json"], { env: engineEnv(), timeoutMs: 60_000 });
            assert.equal(r.code, 0, r.stderr);
            const plugins = (JSON.parse(r.stdout) as { name: string; kind: string; version: string }[])
                .filter((p) => p.kind === "resource").map((p) => `${p.name}@${p.version}`);
            for (const name of ["kubernetes", "random", "digitalocean"]) {
                assert.ok(plugins.includes(`${name}@${lockVersion(`@pulumi/${name}`)}`), `${name} missing from ${plugins.join(", ")}`);
            }
        });
    });

    describe("stack prod", () => {
        let run: RealRun;
        let compared: Promise<FidelityResult> | undefined;
        const prodFidelity = (): Promise<FidelityResult> => (compared ??= fidelity("prod", run));
        before(async () => {
            run = await started.prod;
            report("prod", run);
        });

        it("passes pulumi preview --policy-pack policy and pulumi up through the real engine", () => {
            assert.equal(run.code, 0, `preview.sh failed at ${run.summary.step}:\n${log(run, run.summary.step).slice(-3000)}`);
            packPassed(log(run, "preview"));
            // On up every value is known: the pack runs every check and passes outright.
            assert.match(log(run, "up"), /✅ ternent-postgres-recoverability@v[\d.]+ \(local: policy\)/);
        });

        it("shows no changes when previewed again after the up", () => {
            assert.equal(run.code, 0, `preview.sh failed at ${run.summary.step}`);
            assert.ok("recheck" in run.summary.seconds, "the --expect-no-changes preview did not run");
        });

        it("records for every Kubernetes object exactly the inputs the offline render shows", async () => {
            const result = await prodFidelity();
            const objectDiffs = result.differences.filter((d) => d.kind !== "leak");
            assert.deepEqual(formatDifferences(objectDiffs), []);
            assert.ok(result.objects >= 19, `only ${result.objects} Kubernetes objects compared`);
        });

        it("keeps no generated credential in plaintext in the exported state", async () => {
            const result = await prodFidelity();
            assert.deepEqual(formatDifferences(result.differences.filter((d) => d.kind === "leak")), []);
            // The password, the libsodium key and the secret halves of both Spaces keys were looked for.
            assert.ok(result.credentials >= 4, `only ${result.credentials} credentials found in the export`);
        });

        it("protects the bucket, the keys, the StatefulSet and the generated passwords in the recorded state", () => {
            const stateful = ["digitalocean:index/spacesBucket:SpacesBucket", "digitalocean:index/spacesKey:SpacesKey",
                "kubernetes:apps/v1:StatefulSet", "random:index/randomPassword:RandomPassword"];
            const state = resources(path.join(run.out, "state.json")).filter((r) => stateful.includes(r.type));
            assert.ok(state.length >= 5, `only ${state.length} stateful resources in the state`);
            assert.deepEqual(state.filter((r) => !r.protect).map((r) => r.urn), []);
        });
    });

    describe("stack dev", () => {
        let run: RealRun;
        before(async () => {
            run = await started.dev;
            report("dev", run);
        });

        it("passes pulumi preview --policy-pack policy and pulumi up through the real engine", () => {
            assert.equal(run.code, 0, `preview.sh failed at ${run.summary.step}:\n${log(run, run.summary.step).slice(-3000)}`);
            packPassed(log(run, "preview"));
            assert.match(log(run, "up"), /✅ ternent-postgres-recoverability@v[\d.]+ \(local: policy\)/);
        });

        it("records for every Kubernetes object exactly the inputs the offline render shows, and no credential in plaintext", async () => {
            const result = await fidelity("dev", run);
            assert.deepEqual(formatDifferences(result.differences), []);
            assert.ok(result.objects >= 19, `only ${result.objects} Kubernetes objects compared`);
        });
    });

    describe("a weakened prod stack (retention.daily 3)", () => {
        let run: RealRun;
        before(async () => {
            run = await started.weak;
            report("weak", run);
        });

        it("is refused by pulumi preview --policy-pack policy with the retention policy named", () => {
            assert.equal(run.code, 1, "preview.sh accepted the weakened stack");
            assert.equal(run.summary.step, "preview");
            assert.match(log(run, "preview"), /\[mandatory\][^\n]*retention-daily-backups/);
        });
    });
});
