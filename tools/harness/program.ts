// Runs the Pulumi program (index.ts) for one stack under Pulumi's mock runtime and returns what the
// engine would have seen: every registration (capture.ts), the stack outputs and the program's log.

import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CapturedResource, captureRegistrations } from "./capture";
import { ProgramMocks } from "./mocks";
import { loadStackFile, PROJECT, REPO_ROOT, StackConfigInput, stackFilePath } from "./stackfile";

export interface LogEntry {
    readonly severity: "info" | "warn" | "error";
    readonly message: string;
}

export interface ProgramRun {
    readonly project: string;
    readonly stack: string;
    readonly resources: CapturedResource[];
    /** Stack outputs (what the program's function returned), resolved. */
    readonly outputs: Record<string, unknown>;
    /** Names of stack outputs that are secret. */
    readonly secretOutputs: string[];
    readonly logs: LogEntry[];
}

export interface RunOptions extends StackConfigInput {
    readonly stack: string;
    /** Run as a preview (pulumi.runtime.isDryRun() true). Default false. */
    readonly preview?: boolean;
    /** Outputs the stack's previous deployment had, for StackReferences to the stack itself. */
    readonly previousOutputs?: Record<string, unknown>;
    /** Fixed clock for the program (ISO string, read by the config module through TERNENT_NOW); default: real time. */
    readonly now?: string;
    /** The program to run; default: the repository's index.ts. */
    readonly program?: string;
}

const PROGRAM = path.join(REPO_ROOT, "index.ts");
let running = false;

type Program = () => Promise<Record<string, unknown> | undefined> | Record<string, unknown> | undefined;

/**
 * The program's exported function. Like the Node.js language host, which awaits a program exporting
 * a function; required once and called once per run, so no module has to be loaded twice.
 */
function programOf(file: string): Program {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(require.resolve(file)) as unknown;
    if (typeof loaded !== "function") {
        throw new Error(`${file} must export a function (export = async () => { … }), as index.ts does, so it can run once per stack in one process`);
    }
    return loaded as Program;
}

async function resolveOutput(value: unknown): Promise<{ value: unknown; secret: boolean }> {
    if (pulumi.Output.isInstance(value)) {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const o = value as any;
        const [v, secret] = await Promise.all([o.promise(), o.isSecret]);
        return { value: v, secret: Boolean(secret) };
    }
    return { value, secret: false };
}

/**
 * Runs the program for one stack under the mock runtime and returns what was registered.
 * Runs are serialised: the Pulumi runtime is process-global.
 */
export async function runProgram(opts: RunOptions): Promise<ProgramRun> {
    if (running) {
        throw new Error("runProgram is not re-entrant: await the previous run first");
    }
    running = true;
    // The SDK records `new Error().stack` on every promise it creates (debuggable.js, for its leak
    // report), and ts-node's source maps make each of those expensive: two thirds of a program run
    // here (134 -> 44 ms a run). Runs capture no stack frames unless TERNENT_STACK_TRACES=1 (to debug a
    // program that throws); error messages are unchanged.
    const savedStackLimit = Error.stackTraceLimit;
    if (process.env.TERNENT_STACK_TRACES !== "1") {
        Error.stackTraceLimit = 0;
    }
    const logs: LogEntry[] = [];
    const saved = { info: pulumi.log.info, warn: pulumi.log.warn, error: pulumi.log.error };
    const savedNow = process.env.TERNENT_NOW;
    try {
        const program = programOf(opts.program ?? PROGRAM);
        await pulumi.runtime.setMocks(new ProgramMocks(opts.previousOutputs), PROJECT, opts.stack, opts.preview ?? false, "organization");
        const capture = captureRegistrations();
        pulumi.runtime.setAllConfig(opts.config, opts.secretKeys);
        if (opts.now) {
            process.env.TERNENT_NOW = opts.now;
        } else {
            delete process.env.TERNENT_NOW;
        }
        const record = (severity: LogEntry["severity"]) => (message: string): Promise<void> => {
            logs.push({ severity, message });
            return Promise.resolve();
        };
        Object.assign(pulumi.log, { info: record("info"), warn: record("warn"), error: record("error") });

        const exported = (await program()) ?? {};
        const outputs: Record<string, unknown> = {};
        const secretOutputs: string[] = [];
        for (const [key, value] of Object.entries(exported)) {
            const resolved = await resolveOutput(value);
            outputs[key] = resolved.value;
            if (resolved.secret) {
                secretOutputs.push(key);
            }
        }
        // The end of the program, as the language host ends it: disconnect() waits until every RPC
        // (registrations, component outputs) has reached the monitor. Components register their
        // outputs after their children's callbacks, so give those a turn and wait once more.
        await pulumi.runtime.disconnect();
        await new Promise((r) => setImmediate(r));
        await pulumi.runtime.disconnect();
        return { project: PROJECT, stack: opts.stack, resources: capture.resources(), outputs, secretOutputs, logs };
    } finally {
        Error.stackTraceLimit = savedStackLimit;
        Object.assign(pulumi.log, saved);
        if (savedNow === undefined) {
            delete process.env.TERNENT_NOW;
        } else {
            process.env.TERNENT_NOW = savedNow;
        }
        running = false;
    }
}

/** Runs the program with the repository's Pulumi.<stack>.yaml. */
export async function runStack(stack: string, extra: Partial<RunOptions> = {}): Promise<ProgramRun> {
    const input = loadStackFile(stackFilePath(stack));
    return runProgram({ stack, ...input, ...extra });
}
