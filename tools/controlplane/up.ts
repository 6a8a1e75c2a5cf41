// `pulumi up` of the program through the real engine with the real Kubernetes provider against a
// control plane of tools/controlplane (test/controlplane/provider.test.ts runs it):
//
//   ts-node tools/controlplane/up.ts --step up|recheck --work <dir> --stack <name> --config <config.json>
//
// The CLI is the one tools/realengine/build.sh built; the program runs as an Automation API inline
// program in this process (as tools/realengine/driver.ts does: no Node.js language host). The plugins
// come from PULUMI_HOME, where the test installed the provider built by build-provider.sh as
// `kubernetes` and the real-engine pass-through double as `random` and `digitalocean` (the stack uses
// spaces.useExisting, so no DigitalOcean resource is declared). The provider talks to KUBECONFIG.
//
// No node runs pods, so the StatefulSet, the Service and a Job (the app-role Job) would never become
// ready or complete: a resource transform gives those kinds the provider's documented annotation
// `pulumi.com/skipAwait: "true"` (this run only; the program does not set it).
//
// Steps:   up       pulumi up --yes --skip-preview (the stack is created if needed, config from config.json:
//                   {"<key>": {"value": "<string>", "secret": bool}})
//          recheck  pulumi preview --expect-no-changes --diff
// Writes <work>/<step>.log and <work>/<step>.events.jsonl (<step>-2.* for a second run of the step, ...);
// prints one JSON line {"step", "ok", "seconds", "changes", "log", "events", "error"?}.
// Inputs (env): PULUMI_HOME, PULUMI_BACKEND_URL (file://), PULUMI_CONFIG_PASSPHRASE, KUBECONFIG, TERNENT_CACHE.
// Exit codes: 0 the step succeeded, 1 it failed, 2 bad usage or environment.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigMap, EngineEvent, LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";

const REPO = path.resolve(__dirname, "..", "..");
const CACHE = process.env.TERNENT_CACHE ?? path.join(os.homedir(), ".cache", "ternent-postgres");
/** Kinds whose readiness needs a running pod (the provider would wait for it and time out). */
export const SKIP_AWAIT_TYPES = ["kubernetes:apps/v1:StatefulSet", "kubernetes:core/v1:Service", "kubernetes:batch/v1:Job"];

function program(): () => Promise<Record<string, unknown> | void> {
    return async () => {
        pulumi.runtime.registerResourceTransform(async (args) => {
            if (!SKIP_AWAIT_TYPES.includes(args.type)) return undefined;
            const props = { ...args.props };
            const metadata = { ...(props.metadata ?? {}) };
            metadata.annotations = { ...(metadata.annotations ?? {}), "pulumi.com/skipAwait": "true" };
            props.metadata = metadata;
            return { props, opts: args.opts };
        });
        process.chdir(REPO);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const main = require(path.join(REPO, "index.ts")) as () => Promise<Record<string, unknown> | void>;
        return (await main()) ?? undefined;
    };
}

function arg(argv: string[], name: string): string {
    const i = argv.indexOf(name);
    const v = i >= 0 ? argv[i + 1] : undefined;
    if (!v) throw new Error(`${name} is required`);
    return v;
}

async function main(argv: string[]): Promise<number> {
    let step: string, work: string, stackName: string, config: ConfigMap;
    try {
        step = arg(argv, "--step");
        if (step !== "up" && step !== "recheck") throw new Error(`--step must be up or recheck, got '${step}'`);
        work = path.resolve(arg(argv, "--work"));
        stackName = arg(argv, "--stack");
        config = JSON.parse(fs.readFileSync(arg(argv, "--config"), "utf8")) as ConfigMap;
        for (const v of ["PULUMI_HOME", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "KUBECONFIG"]) {
            if (!process.env[v]) throw new Error(`${v} is not set`);
        }
    } catch (e) {
        process.stderr.write(`up.ts: ${(e as Error).message}\n`);
        return 2;
    }
    // A later run of the same step keeps the earlier one's files: <step>.log, <step>-2.log, ...
    let name = step;
    for (let i = 2; fs.existsSync(path.join(work, `${name}.log`)); i++) name = `${step}-${i}`;
    const log = path.join(work, `${name}.log`);
    const events = path.join(work, `${name}.events.jsonl`);
    fs.writeFileSync(log, "");
    fs.writeFileSync(events, "");
    const write = (t: string): void => fs.appendFileSync(log, t);
    const onEvent = (e: EngineEvent): void => fs.appendFileSync(events, JSON.stringify(e) + "\n");
    const started = Date.now();
    let changes: Record<string, number> = {};
    let error: string | undefined;
    try {
        const pulumiCommand = await PulumiCommand.get({ root: path.join(CACHE, "realengine"), skipVersionCheck: false });
        const stack = await LocalWorkspace.createOrSelectStack(
            { stackName, projectName: "ternent-postgres", program: program() },
            { workDir: work, pulumiCommand, projectSettings: { name: "ternent-postgres", runtime: "nodejs" } },
        );
        await stack.setAllConfig(config);
        const common = { color: "never" as const, onOutput: write, onError: write, onEvent };
        if (step === "up") {
            changes = (await stack.up(common)).summary.resourceChanges ?? {};
        } else {
            changes = (await stack.preview({ ...common, expectNoChanges: true, diff: true })).changeSummary;
            if (Object.keys(changes).some((op) => op !== "same" && op !== "read")) {
                error = `the second preview reports changes: ${JSON.stringify(changes)}`;
            }
        }
    } catch (e) {
        error = (e as Error).message;
    }
    if (error) write(`\nup.ts: ${step} failed: ${error}\n`);
    const result = {
        step, ok: !error, seconds: Math.round((Date.now() - started) / 1000), changes, log, events,
        ...(error ? { error: error.slice(0, 2000) } : {}),
    };
    process.stdout.write(JSON.stringify(result) + "\n");
    return error ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => process.exit(code), (e: Error) => {
        process.stderr.write(`up.ts: ${e.stack ?? e.message}\n`, () => process.exit(2));
    });
}
