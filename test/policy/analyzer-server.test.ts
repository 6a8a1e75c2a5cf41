import { strict as assert } from "assert";
import * as fs from "fs";
import { policies } from "../../policy/policies/all";
import { UNKNOWN_STRING_SENTINEL } from "../../policy/lib/values";
import { PROJECT } from "../../tools/harness";
import {
    AnalyzerContext, analyzeResource, analyzerContext, analyzeStack, defaultPack, Diagnostic, EngineResource, engineResources,
    stackResources,
} from "../../tools/policy-run";
import { PackServer, ServerDiagnostic } from "./analyzer-client";
import { RO_ACCESS_KEY, RW_ACCESS_KEY, containerOf, contractStack, edit, editResource, setEnv } from "./fixtures";
import { writeWeakStacks } from "./weak-stacks";

type Props = Record<string, unknown>;

/** A prod stack with violations of resource and stack policies, and unknown values (preview). */
function troubledStack(): EngineResource[] {
    let stack = edit(contractStack(), "backups-retention", (p) => {
        setEnv(containerOf(p), "TERNENT_RETAIN_DAILY", "3");
        setEnv(containerOf(p), "TERNENT_RETAIN_WEEKLY", UNKNOWN_STRING_SENTINEL);
    });
    stack = edit(stack, "storage-dr-key", (p) => {
        p.grants = [{ bucket: "ternent-postgres-backups-prod", permission: "readwrite" }];
    });
    stack = edit(stack, "postgres-statefulset", (p) => {
        containerOf(p).image = "postgres:latest";
    });
    stack = editResource(stack, "storage-bucket", (r) => ({ ...r, options: { ...r.options, protect: false } }));
    const blank = (v: unknown): unknown => (v === RW_ACCESS_KEY || v === RO_ACCESS_KEY ? UNKNOWN_STRING_SENTINEL
        : Array.isArray(v) ? v.map(blank) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, blank(x)])) : v);
    return engineResources(PROJECT, "prod", stack, { bucket: "ternent-postgres-backups-prod" })
        .map((r) => ({ ...r, inputs: blank(r.inputs) as Props, outputs: blank(r.outputs) as Props }));
}

const key = (d: { policyName: string; urn: string; message: string; enforcementLevel: string }) =>
    `${d.enforcementLevel} ${d.policyName} ${d.urn}\n${d.message}`;

/** Both analyzers over the same resources: [offline runner, pack server over gRPC]. */
async function both(server: PackServer, ctx: AnalyzerContext, resources: readonly EngineResource[]): Promise<[Diagnostic[], ServerDiagnostic[]]> {
    await server.configure(ctx.config, /^urn:pulumi:([^:]+)::/.exec(ctx.rootStackUrn)![1], PROJECT, ctx.stackTags);
    const offline: Diagnostic[] = [];
    const served: ServerDiagnostic[] = [];
    for (const r of resources) {
        offline.push(...(await analyzeResource(ctx, r)).diagnostics);
        // The engine attributes resource diagnostics to the resource it analysed.
        served.push(...(await server.analyze(r)).map((d) => ({ ...d, urn: d.urn || r.urn })));
    }
    offline.push(...(await analyzeStack(ctx, resources)).diagnostics);
    // The engine attributes stack diagnostics without a URN to the root stack.
    served.push(...(await server.analyzeStack(resources)).map((d) => ({ ...d, urn: d.urn || ctx.rootStackUrn })));
    return [offline, served];
}

describe("tools/policy-run.ts against the pack's own analyzer server (policy/ started by run-policy-pack, over gRPC)", function () {
    this.timeout(180_000);
    let server: PackServer | undefined;

    before(async () => {
        server = await PackServer.start();
    });

    after(() => server?.stop());

    it("serves every policy of the pack with its enforcement level and config defaults", async () => {
        const info = await server!.info();
        assert.equal(info.name, "ternent-postgres-recoverability");
        assert.equal(info.version, defaultPack().version);
        assert.deepEqual(info.policies.map((p) => p.name), policies.map((p) => p.name));
        assert.ok(info.policies.every((p) => p.enforcementLevel === "mandatory"));
        const daily = info.policies.find((p) => p.name === "retention-daily-backups")!;
        assert.equal((daily.configSchema?.minDailyBackups as Props).default, 7);
    });

    it("gives the same diagnostics as the offline runner for every resource and for the stack", async () => {
        const resources = troubledStack();
        const config = { "archive-timeout": { properties: { maxArchiveTimeoutSeconds: 30 } } };
        const ctx = analyzerContext({ stack: "prod", config, tags: { environment: "production" } });
        const [offline, served] = await both(server!, ctx, resources);

        const names = new Set(offline.map((d) => `${d.enforcementLevel}:${d.policyName}`));
        for (const expected of ["mandatory:retention-daily-backups", "mandatory:dr-read-only-key", "mandatory:container-images-pinned",
            "mandatory:stateful-resources-protected", "mandatory:archive-timeout", "advisory:retention-weekly-backups"]) {
            assert.ok(names.has(expected), `expected ${expected} among ${[...names].join(", ")}`);
        }
        assert.deepEqual(served.map(key).sort(), offline.map(key).sort());
    });

    it("gives the same diagnostics as the offline runner for the program's prod stack with 3 daily backups", async () => {
        const { dir, files } = writeWeakStacks();
        try {
            const { resources, ctx } = await stackResources({ stack: "weak", stackFile: files.get("daily retention 3")! });
            const [offline, served] = await both(server!, ctx, resources);
            assert.deepEqual(offline.filter((d) => d.enforcementLevel === "mandatory").map((d) => d.policyName), ["retention-daily-backups"]);
            assert.deepEqual(served.map(key).sort(), offline.map(key).sort());
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
