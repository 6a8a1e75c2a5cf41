// Runs one step of the program through the REAL Pulumi engine, as an Automation API inline program:
//
//   ts-node tools/realengine/driver.ts --step preview|up|recheck --dir <project dir> --stack <name> --out <dir>
//                                      [--policy-pack <dir>] [--policy-pack-config <file>]
//
// One Node process per step (tools/realengine/preview.sh starts them). The process loads index.ts
// itself (type-checked by ts-node with the repository's tsconfig, as the Node.js language host would)
// and serves the engine's language-runtime calls from inside the process: the Automation API starts
// the CLI with `--client=<address>`, so no `pulumi-language-nodejs` is needed. Providers are loaded
// from the versions each resource registration sends (the inline program reports no required
// plugins); the policy pack runs through the analyzer plugin `policy-nodejs` (see
// analyzer-policy-nodejs.sh).
//
// Steps:   preview   pulumi preview [--policy-pack …]
//          up        pulumi up --yes --skip-preview [--policy-pack …]
//          recheck   pulumi preview --expect-no-changes --diff [--policy-pack …]: the deployed stack has no
//                    diff (what a pull request's preview of an unchanged program shows)
// Writes:  <out>/<step>.log (the CLI's output), <out>/<step>.events.jsonl (every engine event, one per
//          line, policy events included) and prints one JSON line:
//          {"step", "ok", "seconds", "changes": {<op>: <count>}, "policyEvents": <n>, "error"?}
// Inputs (env): the environment of tools/realengine/env.sh (PULUMI_HOME, PATH with the built CLI first,
//          RE_BIN), PULUMI_BACKEND_URL (a file:// backend) and PULUMI_CONFIG_PASSPHRASE.
// Exit codes: 0 the step succeeded; 1 the CLI refused or failed (a mandatory policy violation included,
//          the log names the policy); 2 bad usage or environment.

import * as fs from "fs";
import * as path from "path";
import { EngineEvent, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";

type Step = "preview" | "up" | "recheck";
const STEPS: readonly Step[] = ["preview", "up", "recheck"];

interface Args {
    step: Step;
    dir: string;
    stack: string;
    out: string;
    policyPack?: string;
    policyPackConfig?: string;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
    const known = ["--step", "--dir", "--stack", "--out", "--policy-pack", "--policy-pack-config"];
    const got: Record<string, string> = {};
    for (let i = 0; i < argv.length; i += 2) {
        if (!known.includes(argv[i]) || argv[i + 1] === undefined) {
            throw new UsageError(`bad argument '${argv[i]}' (allowed: ${known.join(", ")}, each with a value)`);
        }
        got[argv[i]] = argv[i + 1];
    }
    for (const k of ["--step", "--dir", "--stack", "--out"]) {
        if (!got[k]) {
            throw new UsageError(`${k} is required`);
        }
    }
    if (!STEPS.includes(got["--step"] as Step)) {
        throw new UsageError(`--step must be one of ${STEPS.join(", ")}, got '${got["--step"]}'`);
    }
    for (const k of ["--dir", "--out", "--policy-pack", "--policy-pack-config"]) {
        if (got[k] !== undefined && !fs.existsSync(got[k])) {
            throw new UsageError(`${k} '${got[k]}' does not exist`);
        }
    }
    for (const v of ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_HOME", "RE_BIN"]) {
        if (!process.env[v]) {
            throw new UsageError(`${v} is not set (run through tools/realengine/preview.sh, which sources env.sh)`);
        }
    }
    if (!process.env.PULUMI_BACKEND_URL!.startsWith("file://")) {
        throw new UsageError(`PULUMI_BACKEND_URL must be a file:// backend, got '${process.env.PULUMI_BACKEND_URL}'`);
    }
    return {
        step: got["--step"] as Step,
        dir: path.resolve(got["--dir"]),
        stack: got["--stack"],
        out: path.resolve(got["--out"]),
        policyPack: got["--policy-pack"],
        policyPackConfig: got["--policy-pack-config"] && path.resolve(got["--policy-pack-config"]),
    };
}

/** The program: index.ts of the project directory, loaded in this process when the engine asks to run it. */
function inlineProgram(dir: string): () => Promise<Record<string, unknown> | void> {
    return async () => {
        // The language host runs the program with the project directory as working directory.
        process.chdir(dir);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const main = require(path.join(dir, "index.ts")) as unknown;
        if (typeof main !== "function") {
            throw new Error(`${dir}/index.ts does not export a function (export = async () => …)`);
        }
        return (await (main as () => Promise<Record<string, unknown> | void>)()) ?? undefined;
    };
}

async function run(a: Args): Promise<number> {
    const log = path.join(a.out, `${a.step}.log`);
    const events = path.join(a.out, `${a.step}.events.jsonl`);
    fs.writeFileSync(log, "");
    fs.writeFileSync(events, "");
    const write = (text: string): void => fs.appendFileSync(log, text);
    let policyEvents = 0;
    const onEvent = (e: EngineEvent): void => {
        if (e.policyEvent) {
            policyEvents++;
        }
        fs.appendFileSync(events, JSON.stringify(e) + "\n");
    };

    const started = Date.now();
    const pulumiCommand = await PulumiCommand.get({ root: path.dirname(process.env.RE_BIN!), skipVersionCheck: false });
    const stack: Stack = await LocalWorkspace.selectStack(
        { stackName: a.stack, projectName: "ternent-postgres", program: inlineProgram(a.dir) },
        { workDir: a.dir, pulumiCommand },
    );
    const policyPacks = a.policyPack ? [a.policyPack] : undefined;
    const policyPackConfigs = a.policyPackConfig ? [a.policyPackConfig] : undefined;
    const common = { color: "never" as const, onOutput: write, onError: write, onEvent };
    let changes: Record<string, number> = {};
    let error: string | undefined;
    try {
        switch (a.step) {
        case "preview":
            changes = (await stack.preview({ ...common, policyPacks, policyPackConfigs, diff: true })).changeSummary;
            break;
        case "up":
            changes = (await stack.up({ ...common, policyPacks, policyPackConfigs })).summary.resourceChanges ?? {};
            break;
        case "recheck":
            changes = (await stack.preview({ ...common, policyPacks, policyPackConfigs, expectNoChanges: true, diff: true })).changeSummary;
            // --expect-no-changes already fails on a change; the summary must agree. A `read` is no change:
            // the program reads its own previous deployment (StackReference) on every run.
            if (Object.keys(changes).some((op) => op !== "same" && op !== "read")) {
                error = `the second preview reports changes: ${JSON.stringify(changes)}`;
            }
            break;
        }
    } catch (e) {
        error = (e as Error).message;
    }
    if (error) {
        write(`\ndriver.ts: ${a.step} failed: ${error}\n`);
    }
    const result = {
        step: a.step, ok: !error, seconds: Math.round((Date.now() - started) / 1000), changes, policyEvents,
        ...(error ? { error: error.split("\n").slice(0, 3).join(" ").slice(0, 500) } : {}),
    };
    process.stdout.write(JSON.stringify(result) + "\n");
    return error ? 1 : 0;
}

async function main(): Promise<number> {
    let args: Args;
    try {
        args = parseArgs(process.argv.slice(2));
    } catch (e) {
        if (e instanceof UsageError) {
            process.stderr.write(`driver.ts: ${e.message}\n`);
            return 2;
        }
        throw e;
    }
    return run(args);
}

if (require.main === module) {
    // Exits explicitly once the step is over: handles the program or the SDK left open (timers, gRPC
    // channels) must not keep a CI step waiting.
    main().then((code) => process.exit(code), (e: Error) => {
        process.stderr.write(`driver.ts: ${e.stack ?? e.message}\n`, () => process.exit(2));
    });
}
