// `pulumi up` of a prod-like stack (spaces.useExisting: no DigitalOcean resource) through the real
// engine (the CLI of tools/realengine, the program as an Automation API inline program) with the REAL
// Kubernetes provider (tools/controlplane/build-provider.sh) against a control plane of
// tools/controlplane: the objects exist with the rendered specs, and a second preview and up change
// nothing. No node runs pods: tools/controlplane/up.ts gives the StatefulSet and the Service the
// provider's `pulumi.com/skipAwait: "true"` for this test only.

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
import { renderStackObjects, stackValue, startFor } from "./helpers";

const REPO = path.resolve(__dirname, "..", "..");
const STACK = "prod";
/** What makes prod deployable without DigitalOcean: existing bucket and keys (secrets: offline placeholders). */
function overrides(): Record<string, unknown> {
    return {
        spaces: { ...(stackValue(STACK, "spaces") as Record<string, unknown>), useExisting: true },
        spacesReadWriteKeyId: { secure: "x" }, spacesReadWriteSecret: { secure: "x" },
        spacesReadOnlyKeyId: { secure: "x" }, spacesReadOnlySecret: { secure: "x" },
        walgLibsodiumKey: { secure: "x" },
    };
}

interface StepResult {
    readonly ok: boolean;
    readonly changes: Record<string, number>;
    readonly error?: string;
    readonly log: string;
    readonly warnings: string[];
}

function lockVersion(pkg: string): string {
    const lock = JSON.parse(fs.readFileSync(path.join(REPO, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
    return lock.packages[`node_modules/${pkg}`].version;
}

describe("control plane: pulumi up through the real engine and the real Kubernetes provider", function () {
    this.timeout(900_000);
    let cp: ControlPlane | undefined;
    let work = "";
    let objects: RenderedObject[] = [];
    let env: NodeJS.ProcessEnv = {};

    /** One step of up.ts; `log` is the CLI's output, `warnings` the engine's warning diagnostics. */
    const step = async (name: "up" | "recheck"): Promise<StepResult> => {
        const r = await run(path.join(REPO, "node_modules", ".bin", "ts-node"), ["--transpile-only", path.join(REPO, "tools", "controlplane", "up.ts"),
            "--step", name, "--work", work, "--stack", STACK, "--config", path.join(work, "config.json")], { env, timeoutMs: 800_000, cwd: REPO });
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
    };

    before(async function () {
        this.timeout(600_000);
        requireOrSkip(this, controlPlaneSkipReason() ?? providerSkipReason());
        const rendered = await renderStackObjects(STACK, overrides());
        objects = rendered.objects;
        cp = await startFor(objects);
        work = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-cp-up-"));
        const home = path.join(work, "pulumi-home");
        fs.mkdirSync(path.join(work, "backend"), { recursive: true });
        env = {
            ...process.env,
            PULUMI_HOME: home, PULUMI_BACKEND_URL: `file://${path.join(work, "backend")}`,
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
        const extra = flattenStackConfig(overrides());
        const config = { ...base.config, ...extra.config };
        const secret = new Set([...base.secretKeys, ...extra.secretKeys]);
        fs.writeFileSync(path.join(work, "config.json"), JSON.stringify(Object.fromEntries(
            Object.entries(config).map(([k, v]) => [k, { value: v, secret: secret.has(k) }]))), { mode: 0o600 });
    });

    after(async () => {
        await cp?.stop();
        if (work && process.env.TERNENT_CONTROLPLANE_KEEP !== "1") fs.rmSync(work, { recursive: true, force: true });
    });

    it("creates every object with the rendered spec", async () => {
        const r = await step("up");
        assert.ok(r.ok, `${r.error}\n${r.log.slice(-6000)}`);
        assert.deepEqual(r.warnings, [], "warnings of the engine and the provider");
        const problems: string[] = [];
        for (const o of objects) {
            const m = metaOf(o.obj);
            const live = await cp!.get(String(o.obj.apiVersion), String(o.obj.kind), m.namespace, m.name);
            if (!live) {
                problems.push(`${o.label}: missing`);
                continue;
            }
            problems.push(...differences(o.obj, live).map((d) => `${o.label}: ${d}`));
            // Applied server-side by the provider (its manager is pulumi-kubernetes-<random>), by nobody else.
            const managers = managersOf(live);
            if (!managers.some((x) => /^pulumi-kubernetes-[a-z0-9]+\/Apply$/.test(x))) problems.push(`${o.label}: managers ${managers.join(", ")}`);
        }
        assert.deepEqual(problems, []);
        assert.ok((r.changes.create ?? 0) >= objects.length, JSON.stringify(r.changes));
    });

    it("shows no changes on a second preview (--expect-no-changes), and a second up changes nothing", async () => {
        const recheck = await step("recheck");
        assert.ok(recheck.ok, `${recheck.error}\n${recheck.log.slice(-6000)}`);
        assert.deepEqual(recheck.warnings, []);
        const again = await step("up");
        assert.ok(again.ok, `${again.error}\n${again.log.slice(-6000)}`);
        assert.deepEqual(again.warnings, []);
        const changed = Object.entries(again.changes).filter(([op]) => op !== "same" && op !== "read");
        assert.deepEqual(changed, [], JSON.stringify(again.changes));
    });
});
