// The program through the REAL Pulumi engine (tools/realengine/): the pulumi CLI and its engine running
// index.ts as an Automation API inline program, the CrossGuard analyzer running the pack through the
// analyzer plugin policy-nodejs (no Node.js language host), the pass-through provider double standing
// in for the cloud. Without the tools built by tools/realengine/build.sh: skipped with the reason
// outside CI, failed under CI=true. Runs of preview.sh are cached by their inputs (engine.ts).

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

const PACK = "ternent-postgres-recoverability";

interface PolicyEvent {
    readonly policyName: string;
    readonly policyPackName: string;
    readonly enforcementLevel: string;
    readonly message: string;
    readonly resourceUrn?: string;
}

/** What the analyzer reports per resource (policyAnalyzeSummaryEvent) and for the stack (…StackSummaryEvent). */
interface AnalyzeSummary {
    readonly policyPackName: string;
    readonly resourceUrn?: string;
    readonly passed?: string[];
    readonly failed?: string[];
}

interface EngineEvent {
    readonly policyEvent?: PolicyEvent;
    readonly policyAnalyzeSummaryEvent?: AnalyzeSummary;
    readonly policyAnalyzeStackSummaryEvent?: AnalyzeSummary;
}

/** The engine events of one step, as driver.ts recorded them (<step>.events.jsonl). */
const events = (run: RealRun, step: string): EngineEvent[] => {
    const f = path.join(run.out, `${step}.events.jsonl`);
    assert.ok(fs.existsSync(f), `${f} missing: the ${step} step did not run through driver.ts`);
    return fs.readFileSync(f, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as EngineEvent);
};

const policyEvents = (run: RealRun, step: string): PolicyEvent[] =>
    events(run, step).flatMap((e) => (e.policyEvent ? [e.policyEvent] : []));

/** Every policy the pack passed and failed in one step, over all resources and the stack. */
const analyzed = (run: RealRun, step: string): { stackSummaries: number; passed: Set<string>; failed: Set<string> } => {
    const evs = events(run, step);
    const summaries = evs.flatMap((e) => [e.policyAnalyzeSummaryEvent, e.policyAnalyzeStackSummaryEvent])
        .filter((s): s is AnalyzeSummary => s !== undefined && s.policyPackName === PACK);
    return {
        stackSummaries: evs.filter((e) => e.policyAnalyzeStackSummaryEvent?.policyPackName === PACK).length,
        passed: new Set(summaries.flatMap((s) => s.passed ?? [])),
        failed: new Set(summaries.flatMap((s) => s.failed ?? [])),
    };
};

/** The real analyzer ran the pack in this step and reported no mandatory violation. */
const packPassed = (run: RealRun, step: string): void => {
    const a = analyzed(run, step);
    assert.equal(a.stackSummaries, 1, `${step}: the analyzer did not report on the stack for ${PACK}`);
    assert.ok(a.passed.size >= 10, `${step}: only ${[...a.passed].join(", ")} passed`);
    assert.deepEqual(policyEvents(run, step).filter((e) => e.enforcementLevel === "mandatory"), [], `${step}: mandatory violations`);
    assert.doesNotMatch(log(run, step), /\[mandatory\]/);
};

/** The advisory @pulumi/policy reports for a policy whose checks an unknown value hid (policy/lib/checks.ts). */
const HIDDEN_BY_UNKNOWN = /can't run policy '([a-z-]+)' from policy pack '[^']+' during preview: \d+ check\(s\) need values that are unknown until the resources exist/;

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

/** The JSON line driver.ts printed for one step. */
const driverResult = (run: RealRun, step: string): { ok: boolean; changes: Record<string, number>; policyEvents: number } => {
    const f = path.join(run.out, `${step}.driver.log`);
    assert.ok(fs.existsSync(f), `${f} missing: the ${step} step did not run`);
    const line = fs.readFileSync(f, "utf8").split("\n").find((l) => l.startsWith("{"));
    assert.ok(line, `no result line in ${f}`);
    return JSON.parse(line) as { ok: boolean; changes: Record<string, number>; policyEvents: number };
};

/** preview --policy-pack and up passed; the engine reported no mandatory violation in either. */
const passedPreviewAndUp = (run: RealRun): void => {
    assert.equal(run.code, 0, `preview.sh failed at ${run.summary.step}:\n${log(run, run.summary.step).slice(-3000)}`);
    packPassed(run, "preview");
    assert.match(log(run, "preview"), /ternent-postgres-recoverability\|local\|policy/);
    packPassed(run, "up");
    // On up every value is known: the pack runs every check and passes outright.
    assert.match(log(run, "up"), /✅ ternent-postgres-recoverability@v[\d.]+ \(local: policy\)/);
    assert.deepEqual([...analyzed(run, "up").failed], []);
    assert.ok(driverResult(run, "up").changes.create >= 19, "up created fewer than 19 resources");
};

/**
 * During the real preview the engine hands the pack unknown values (ids, credentials and the Secrets
 * built from them, which the double computes only on create): the pack reports the checks they hide
 * as one advisory per policy instead of failing or passing them. On up the same policies see known
 * values, run every check and pass.
 */
const hiddenThenRun = (run: RealRun): void => {
    const hidden = policyEvents(run, "preview").filter((e) => HIDDEN_BY_UNKNOWN.test(e.message));
    assert.ok(hidden.length > 0, `no check hidden by unknown values in the preview: ${JSON.stringify(policyEvents(run, "preview"))}`);
    assert.deepEqual([...new Set(hidden.map((e) => e.enforcementLevel))], ["advisory"]);
    const names = [...new Set(hidden.map((e) => HIDDEN_BY_UNKNOWN.exec(e.message)![1]))];
    assert.deepEqual(names.filter((n) => !analyzed(run, "preview").failed.has(n)), [], "a hidden policy is not among the preview's failed");
    const up = analyzed(run, "up");
    assert.deepEqual(names.filter((n) => !up.passed.has(n)), [], `policies hidden in preview that did not pass on up (passed: ${[...up.passed].join(", ")})`);
    assert.deepEqual(policyEvents(run, "up").map((e) => `${e.policyName}: ${e.message}`), []);
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

        it("installs the pack launcher as analyzer plugin policy-nodejs and no language plugin the engine could find", async () => {
            const r = await exec(path.join(RE_BIN, "pulumi"), ["plugin", "ls", "--json"], { env: engineEnv(), timeoutMs: 60_000 });
            assert.equal(r.code, 0, r.stderr);
            const plugins = JSON.parse(r.stdout) as { name: string; kind: string; version: string; path: string }[];
            const analyzer = plugins.filter((p) => p.kind === "analyzer" && p.name === "policy-nodejs");
            assert.deepEqual(analyzer.map((p) => p.version), [lockVersion("@pulumi/pulumi")]);
            // With a nodejs language plugin the engine would run the pack through it instead (see README).
            assert.deepEqual(plugins.filter((p) => p.kind === "language").map((p) => `${p.name}@${p.version}`), []);
            assert.ok(!fs.existsSync(path.join(RE_BIN, "pulumi-language-nodejs")), "a pulumi-language-nodejs lies next to the CLI");
            assert.match(toolStatus().route, /no language host/);
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
            passedPreviewAndUp(run);
        });

        it("leaves the checks unknown values hide in the real preview to up, where they run and pass", () => {
            hiddenThenRun(run);
        });

        it("shows no changes when previewed again after the up", () => {
            assert.equal(run.code, 0, `preview.sh failed at ${run.summary.step}`);
            const recheck = driverResult(run, "recheck");
            assert.equal(recheck.ok, true);
            // Only unchanged resources and the read of the stack's own previous deployment (StackReference).
            assert.deepEqual(Object.keys(recheck.changes).filter((op) => op !== "same" && op !== "read"), []);
            assert.ok((recheck.changes.read ?? 0) <= 1, `${recheck.changes.read} reads in the second preview`);
            assert.ok(recheck.changes.same >= 19, `only ${recheck.changes.same} unchanged resources in the second preview`);
            // The pack ran on it too: every value is known now, so it passes without an advisory.
            packPassed(run, "recheck");
            assert.deepEqual([...analyzed(run, "recheck").failed], []);
            assert.deepEqual(policyEvents(run, "recheck").map((e) => `${e.policyName}: ${e.message}`), []);
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
            passedPreviewAndUp(run);
        });

        it("leaves the checks unknown values hide in the real preview to up, where they run and pass", () => {
            hiddenThenRun(run);
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
            const refusals = policyEvents(run, "preview").filter((e) => e.enforcementLevel === "mandatory");
            assert.deepEqual([...new Set(refusals.map((e) => e.policyName))], ["retention-daily-backups"]);
            assert.match(refusals[0].message, /TERNENT_RETAIN_DAILY="3"[^\n]*below the minimum of 7/);
        });
    });
});
