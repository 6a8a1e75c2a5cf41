// `pulumi up` through the real engine (the CLI of tools/realengine, the program as an Automation API
// inline program) with the REAL Kubernetes provider (tools/controlplane/build-provider.sh) against a
// control plane of tools/controlplane, for a prod-like stack (spaces.useExisting: no DigitalOcean
// resource): the objects exist with the rendered specs, applied by the provider, and a second preview
// and up change nothing; then the same over the kubectl bundle with `adopt: true`, where nothing may be
// deleted or recreated. No node runs pods: tools/controlplane/up.ts gives the StatefulSet and the
// Service (and Jobs) the provider's `pulumi.com/skipAwait: "true"` for these tests only.

import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { requireOrSkip } from "../setup/requirements";
import { run } from "../../lab";
import { flattenStackConfig, loadStackFile, stackFilePath } from "../../tools/harness";
import { ControlPlane, controlPlaneSkipReason } from "../../tools/controlplane/cluster";
import { differences, managersOf, metaOf, RenderedObject } from "../../tools/controlplane/apply";
import { providerSkipReason, providerStatus, realEngineBin } from "../../tools/controlplane/provider";
import { adoptOverrides, BUNDLE_CLAIM, BUNDLE_OBJECTS, createBundle, inventory, renderStackObjects, stackValue, startFor } from "./helpers";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = Record<string, any>;

const REPO = path.resolve(__dirname, "..", "..");
const STACK = "prod";

/** What makes prod deployable without DigitalOcean: existing bucket and keys (secrets: offline placeholders). */
function useExisting(): Record<string, unknown> {
    return {
        spaces: { ...(stackValue(STACK, "spaces") as Record<string, unknown>), useExisting: true },
        spacesReadWriteKeyId: { secure: "x" }, spacesReadWriteSecret: { secure: "x" },
        spacesReadOnlyKeyId: { secure: "x" }, spacesReadOnlySecret: { secure: "x" },
        walgLibsodiumKey: { secure: "x" },
    };
}

function lockVersion(pkg: string): string {
    const lock = JSON.parse(fs.readFileSync(path.join(REPO, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
    return lock.packages[`node_modules/${pkg}`].version;
}

interface StepResult {
    readonly ok: boolean;
    readonly changes: Record<string, number>;
    readonly error?: string;
    /** The CLI's output. */
    readonly log: string;
    /** The engine's warning diagnostics (the provider's included). */
    readonly warnings: string[];
}

/** A disposable stack of the real engine (file backend, own PULUMI_HOME) pointed at a control plane. */
class RealStack {
    private constructor(readonly work: string, private readonly env: NodeJS.ProcessEnv) {}

    static async create(cp: ControlPlane, overrides: Record<string, unknown>): Promise<RealStack> {
        const work = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-cp-up-"));
        fs.mkdirSync(path.join(work, "backend"));
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            PULUMI_HOME: path.join(work, "pulumi-home"), PULUMI_BACKEND_URL: `file://${path.join(work, "backend")}`,
            PULUMI_CONFIG_PASSPHRASE: "ternent-controlplane-disposable-stack", KUBECONFIG: cp.kubeconfig,
            PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_DISABLE_REGISTRY_RESOLVE: "true", PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
            PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true", PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        };
        // The real provider as `kubernetes`, the real-engine double as the other two (no DigitalOcean resource here).
        const re = realEngineBin();
        const installs: [string, string, string][] = [
            ["kubernetes", lockVersion("@pulumi/kubernetes"), providerStatus().bin],
            ["random", lockVersion("@pulumi/random"), path.join(re, "pulumi-resource-passthrough")],
            ["digitalocean", lockVersion("@pulumi/digitalocean"), path.join(re, "pulumi-resource-passthrough")],
        ];
        for (const [name, version, bin] of installs) {
            const r = await run(path.join(re, "pulumi"), ["plugin", "install", "resource", name, version, "-f", bin], { env, timeoutMs: 120_000 });
            assert.equal(r.code, 0, `pulumi plugin install ${name}: ${r.stderr}`);
        }
        // The stack's config: the stack file plus the overrides, as the offline render used it.
        const base = loadStackFile(stackFilePath(STACK));
        const extra = flattenStackConfig(overrides);
        const config = { ...base.config, ...extra.config };
        const secret = new Set([...base.secretKeys, ...extra.secretKeys]);
        fs.writeFileSync(path.join(work, "config.json"), JSON.stringify(Object.fromEntries(
            Object.entries(config).map(([k, v]) => [k, { value: v, secret: secret.has(k) }]))), { mode: 0o600 });
        return new RealStack(work, env);
    }

    /** One step of up.ts. */
    async step(name: "up" | "recheck"): Promise<StepResult> {
        const r = await run(path.join(REPO, "node_modules", ".bin", "ts-node"), ["--transpile-only", path.join(REPO, "tools", "controlplane", "up.ts"),
            "--step", name, "--work", this.work, "--stack", STACK, "--config", path.join(this.work, "config.json")],
        { env: this.env, timeoutMs: 800_000, cwd: REPO });
        let line: { ok: boolean; changes: Record<string, number>; error?: string; log: string; events: string };
        try {
            line = JSON.parse(r.stdout.trim().split("\n").pop() ?? "");
        } catch {
            return { ok: false, changes: {}, error: `up.ts exited ${r.code}: ${r.stderr.slice(-3000)}`, log: "", warnings: [] };
        }
        const log = fs.existsSync(line.log) ? fs.readFileSync(line.log, "utf8") : "";
        const warnings = (fs.existsSync(line.events) ? fs.readFileSync(line.events, "utf8").split("\n").filter((l) => l.trim()) : [])
            .map((l) => JSON.parse(l) as { diagnosticEvent?: { severity: string; message: string; urn?: string } })
            .filter((e) => e.diagnosticEvent && /^warning/.test(e.diagnosticEvent.severity))
            .map((e) => `${e.diagnosticEvent!.urn ?? ""}: ${e.diagnosticEvent!.message.trim()}`);
        return { ok: line.ok, changes: line.changes, error: line.error, log, warnings };
    }

    remove(): void {
        if (process.env.TERNENT_CONTROLPLANE_KEEP === "1") {
            console.log(`      real-engine stack kept: ${this.work}`);
            return;
        }
        fs.rmSync(this.work, { recursive: true, force: true });
    }
}

function assertStep(r: StepResult): void {
    assert.ok(r.ok, `${r.error}\n${r.log.slice(-6000)}`);
    assert.deepEqual(r.warnings, [], "warnings of the engine and the provider");
}

/** Differences between the rendered objects and the live ones, and objects not applied by the provider. */
async function liveProblems(cp: ControlPlane, objects: readonly RenderedObject[], ignoreClaimTemplate: boolean): Promise<string[]> {
    const problems: string[] = [];
    for (const o of objects) {
        const m = metaOf(o.obj);
        const live = await cp.get(String(o.obj.apiVersion), String(o.obj.kind), m.namespace, m.name);
        if (!live) {
            problems.push(`${o.label}: missing`);
            continue;
        }
        const expected = ignoreClaimTemplate && o.obj.kind === "StatefulSet"
            ? JSON.parse(JSON.stringify({ ...o.obj, spec: { ...(o.obj.spec as Any), volumeClaimTemplates: undefined } })) : o.obj;
        problems.push(...differences(expected, live).map((d) => `${o.label}: ${d}`));
        // Applied server-side by the provider (its field manager is pulumi-kubernetes-<random>), by no kubectl.
        const managers = managersOf(live);
        if (!managers.some((x) => /^pulumi-kubernetes-[a-z0-9]+\/Apply$/.test(x)) || managers.some((x) => x.startsWith("kubectl"))) {
            problems.push(`${o.label}: field managers ${managers.join(", ")}`);
        }
    }
    return problems;
}

function unchanged(r: StepResult): void {
    const changed = Object.entries(r.changes).filter(([op]) => op !== "same" && op !== "read");
    assert.deepEqual(changed, [], JSON.stringify(r.changes));
}

describe("control plane: pulumi up through the real engine and the real Kubernetes provider", function () {
    this.timeout(900_000);
    let cp: ControlPlane | undefined;
    let stack: RealStack | undefined;
    let objects: RenderedObject[] = [];

    before(async function () {
        this.timeout(600_000);
        requireOrSkip(this, controlPlaneSkipReason() ?? providerSkipReason());
        objects = (await renderStackObjects(STACK, useExisting())).objects;
        cp = await startFor(objects);
        stack = await RealStack.create(cp, useExisting());
    });

    after(async () => {
        await cp?.stop();
        stack?.remove();
    });

    it("creates every object with the rendered spec, applied by the provider, with no warning", async () => {
        const r = await stack!.step("up");
        assertStep(r);
        assert.deepEqual(await liveProblems(cp!, objects, false), []);
        assert.ok((r.changes.create ?? 0) >= objects.length, JSON.stringify(r.changes));
    });

    it("shows no changes on a second preview (--expect-no-changes), and a second up changes nothing", async () => {
        assertStep(await stack!.step("recheck"));
        const again = await stack!.step("up");
        assertStep(again);
        unchanged(again);
    });
});

describe("control plane: pulumi up with adopt: true over the kubectl bundle, through the real provider", function () {
    this.timeout(900_000);
    let cp: ControlPlane | undefined;
    let stack: RealStack | undefined;
    let objects: RenderedObject[] = [];
    let before_: Map<string, string> = new Map();

    before(async function () {
        this.timeout(600_000);
        requireOrSkip(this, controlPlaneSkipReason() ?? providerSkipReason());
        cp = await ControlPlane.start({ namespaces: ["backend"] });
        await createBundle(cp);
        before_ = await inventory(cp);
        const adopt = await adoptOverrides(cp, STACK);
        const overrides = { ...useExisting(), ...adopt, spaces: { ...(adopt.spaces as Any), useExisting: true } };
        objects = (await renderStackObjects(STACK, overrides)).objects;
        stack = await RealStack.create(cp, overrides);
    });

    after(async () => {
        await cp?.stop();
        stack?.remove();
    });

    it("imports the bundle's objects and updates them in place: the program's spec, no kubectl manager, no warning", async () => {
        const r = await stack!.step("up");
        assertStep(r);
        assert.deepEqual(await liveProblems(cp!, objects, true), []);
        const imported = objects.filter((o) => o.options.import).length;
        assert.equal(imported, BUNDLE_OBJECTS.length);
        assert.equal(r.changes.import, imported, JSON.stringify(r.changes));
    });

    it("deletes and recreates nothing: every bundle object and the claim keep their UIDs", async () => {
        const after_ = await inventory(cp!);
        const lost = [...before_].filter(([id, uid]) => after_.get(id) !== uid).map(([id, uid]) => `${id}: ${uid} -> ${after_.get(id) ?? "gone"}`);
        assert.deepEqual(lost, []);
        assert.ok(after_.has(BUNDLE_CLAIM));
    });

    it("shows no changes on a second preview, and a second up changes nothing", async () => {
        assertStep(await stack!.step("recheck"));
        const again = await stack!.step("up");
        assertStep(again);
        unchanged(again);
    });
});
