// Runs the Pulumi program (index.ts) under Pulumi's mock runtime and captures every resource the
// way the engine would see it: URN, type, parent, dependencies, inputs (secrets unwrapped but
// remembered), resource options (protect, import, retainOnDelete, …) and the program's outputs.
// The offline render, the offline policy run and the tests all use this one harness, so what is
// rendered is what is checked. No Pulumi CLI, provider plugin or cluster is involved.

import * as fs from "fs";
import * as path from "path";
import * as crypto from "crypto";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor, MockResourceArgs, MockResourceResult, MockCallArgs } from "@pulumi/pulumi/runtime/mocks";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings");

export const PROJECT = "ternent-postgres";
export const REPO_ROOT = path.resolve(__dirname, "..");

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface CapturedOptions {
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly importId?: string;
    readonly deleteBeforeReplace: boolean;
    readonly ignoreChanges: string[];
    readonly replaceOnChanges: string[];
    readonly provider?: string;
    readonly additionalSecretOutputs: string[];
}

export interface CapturedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    /** URN of the parent resource, if any. */
    readonly parent?: string;
    /** URNs this resource depends on (explicit dependsOn and implicit, through inputs). */
    readonly dependencies: string[];
    readonly propertyDependencies: Record<string, string[]>;
    /** Inputs with secret envelopes removed (plain values). */
    readonly inputs: Record<string, unknown>;
    /** Dotted paths (e.g. "stringData.POSTGRES_PASSWORD") of inputs that were secret. */
    readonly secretPaths: string[];
    /** Outputs as the mocks returned them (component outputs for components). */
    readonly outputs: Record<string, unknown>;
    readonly options: CapturedOptions;
}

export interface LogEntry {
    readonly severity: "info" | "warn" | "error";
    readonly message: string;
}

export interface ProgramRun {
    readonly project: string;
    readonly stack: string;
    readonly resources: CapturedResource[];
    /** Stack outputs (the exports of index.ts), resolved. */
    readonly outputs: Record<string, unknown>;
    /** Names of stack outputs that are secret. */
    readonly secretOutputs: string[];
    readonly logs: LogEntry[];
}

export interface StackConfigInput {
    /** Flat config map, "ternent-postgres:key" → string (objects JSON-encoded), as PULUMI_CONFIG holds it. */
    readonly config: Record<string, string>;
    /** Config keys that are secret. */
    readonly secretKeys: string[];
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

/**
 * Placeholder used offline for `secure:` values of a stack file (they cannot be decrypted here).
 * Deterministic per key; a key whose format the program validates gets a value of that format
 * (the WAL-G libsodium key: 64 lower-case hex digits), every other one is `offline-secret-<hex>`.
 */
export function securePlaceholder(key: string): string {
    const digest = crypto.createHash("sha256").update(`secure:${key}`).digest("hex");
    if (/(^|:)walgLibsodiumKey$/.test(key)) {
        return digest;
    }
    return `offline-secret-${digest.slice(0, 32)}`;
}

/** Reads Pulumi.<stack>.yaml into the flat config map the language host would pass the program. */
export function loadStackFile(file: string): StackConfigInput {
    if (!fs.existsSync(file)) {
        throw new Error(`stack file ${file} does not exist`);
    }
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
    return flattenStackConfig(doc?.config ?? {});
}

/** Flattens a stack file's `config:` block (values may be objects or `{secure: …}`). */
export function flattenStackConfig(block: Record<string, unknown>): StackConfigInput {
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const hasSecure = (v: unknown): boolean =>
        typeof v === "object" && v !== null &&
        (("secure" in (v as object) && Object.keys(v as object).length === 1) ||
            Object.values(v as object).some(hasSecure));
    const resolve = (key: string, v: unknown): unknown => {
        if (typeof v === "object" && v !== null && !Array.isArray(v)) {
            const obj = v as Record<string, unknown>;
            if ("secure" in obj && Object.keys(obj).length === 1) {
                return securePlaceholder(key);
            }
            return Object.fromEntries(Object.entries(obj).map(([k, val]) => [k, resolve(`${key}.${k}`, val)]));
        }
        if (Array.isArray(v)) {
            return v.map((val, i) => resolve(`${key}[${i}]`, val));
        }
        return v;
    };
    for (const [key, value] of Object.entries(block)) {
        const fullKey = key.includes(":") ? key : `${PROJECT}:${key}`;
        const resolved = resolve(fullKey, value);
        config[fullKey] = typeof resolved === "string" ? resolved : JSON.stringify(resolved);
        if (hasSecure(value)) {
            secretKeys.push(fullKey);
        }
    }
    return { config, secretKeys };
}

/** The path of Pulumi.<stack>.yaml in the repository. */
export function stackFilePath(stack: string): string {
    return path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
}

function stableHex(seed: string, bytes: number): string {
    let out = "";
    let i = 0;
    while (out.length < bytes * 2) {
        out += crypto.createHash("sha256").update(`${seed}:${i++}`).digest("hex");
    }
    return out.slice(0, bytes * 2);
}

/** A deterministic stand-in for random.RandomPassword's `result`: `length` characters of its alphabet. */
export function mockPassword(name: string, inputs: Record<string, unknown>): string {
    let alphabet = "";
    if (inputs.lower !== false) alphabet += "abcdefghijklmnopqrstuvwxyz";
    if (inputs.upper !== false) alphabet += "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if (inputs.numeric !== false) alphabet += "0123456789";
    if (inputs.special !== false) alphabet += typeof inputs.overrideSpecial === "string" ? inputs.overrideSpecial : "!@#$%&*()-_=+[]{}<>:?";
    const length = Number(inputs.length ?? 16);
    const bytes = Buffer.from(stableHex(`password:${name}`, length), "hex");
    return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

/**
 * The engine stand-in: echoes inputs as outputs and fills the outputs a provider computes
 * (generated passwords, key pairs, ids) with deterministic fake values derived from the name.
 */
export class ProgramMocks {
    previousOutputs: Record<string, unknown> = {};

    newResource(args: MockResourceArgs): MockResourceResult {
        const state: Record<string, unknown> = { ...args.inputs };
        let id: string | undefined = args.id || `${args.name}-id`;
        switch (args.type) {
            case "random:index/randomPassword:RandomPassword":
                state.result = mockPassword(args.name, args.inputs);
                break;
            case "random:index/randomId:RandomId": {
                const bytes = Number(args.inputs.byteLength ?? 8);
                state.hex = stableHex(args.name, bytes);
                state.b64Std = Buffer.from(state.hex as string, "hex").toString("base64");
                id = state.b64Std as string;
                break;
            }
            case "digitalocean:index/spacesKey:SpacesKey":
                state.accessKey = `MOCKAK${stableHex(`ak:${args.name}`, 8).toUpperCase()}`;
                state.secretKey = `mocksk-${stableHex(`sk:${args.name}`, 16)}`;
                break;
            case "digitalocean:index/spacesBucket:SpacesBucket":
                state.bucketDomainName = `${args.inputs.name}.${args.inputs.region}.digitaloceanspaces.com`;
                state.endpoint = `${args.inputs.region}.digitaloceanspaces.com`;
                state.bucketUrn = `do:space:${args.inputs.name}`;
                id = String(args.inputs.name);
                break;
            case "pulumi:pulumi:StackReference":
                state.outputs = this.previousOutputs;
                state.secretOutputNames = [];
                break;
            default:
                if (args.type.startsWith("kubernetes:")) {
                    const meta = (args.inputs.metadata ?? {}) as { name?: string; namespace?: string };
                    id = args.id || (meta.namespace ? `${meta.namespace}/${meta.name ?? args.name}` : meta.name ?? args.name);
                }
        }
        return { id, state };
    }

    call(args: MockCallArgs): Record<string, unknown> {
        return args.inputs as Record<string, unknown>;
    }
}

interface PendingCapture {
    type: string;
    name: string;
    custom: boolean;
    parent?: string;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    inputs: Record<string, unknown>;
    secretPaths: string[];
    options: CapturedOptions;
}

/** True for Pulumi's secret envelope ({"4dabf…": "1b47…", value}), as the mocks and `pulumi stack export` show it. */
export function isSecretEnvelope(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** Removes Pulumi secret envelopes, collecting the dotted paths where they were. */
export function unwrapSecrets(value: unknown, pathPrefix: string, paths: string[]): unknown {
    if (Array.isArray(value)) {
        return value.map((v, i) => unwrapSecrets(v, `${pathPrefix}[${i}]`, paths));
    }
    if (value !== null && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (isSecretEnvelope(obj)) {
            paths.push(pathPrefix);
            return unwrapSecrets(obj.value, pathPrefix, []);
        }
        return Object.fromEntries(
            Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v, pathPrefix ? `${pathPrefix}.${k}` : k, paths)]),
        );
    }
    return value;
}

/** A MockMonitor that also records what the engine would record for each registration. */
class CapturingMonitor extends MockMonitor {
    readonly captured = new Map<string, PendingCapture>();
    readonly order: string[] = [];

    private record(req: any, custom: boolean, urn: string): void { // eslint-disable-line @typescript-eslint/no-explicit-any
        const propDeps: Record<string, string[]> = {};
        const map = req.getPropertydependenciesMap?.();
        if (map) {
            map.forEach((v: any, k: string) => { // eslint-disable-line @typescript-eslint/no-explicit-any
                propDeps[k] = v.getUrnsList();
            });
        }
        const secretPaths: string[] = [];
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const rpc = require("@pulumi/pulumi/runtime/rpc");
        const rawInputs = rpc.deserializeProperties(req.getObject ? req.getObject() : req.getProperties());
        const inputs = unwrapSecrets(rawInputs, "", secretPaths) as Record<string, unknown>;
        if (!this.captured.has(urn)) {
            this.order.push(urn);
        }
        this.captured.set(urn, {
            type: req.getType(),
            name: req.getName(),
            custom,
            parent: req.getParent() || undefined,
            dependencies: req.getDependenciesList ? req.getDependenciesList() : [],
            propertyDependencies: propDeps,
            inputs,
            secretPaths,
            options: {
                protect: req.getProtect ? Boolean(req.getProtect()) : false,
                retainOnDelete: req.getRetainondelete ? Boolean(req.getRetainondelete()) : false,
                importId: req.getImportid ? req.getImportid() || undefined : undefined,
                deleteBeforeReplace: req.getDeletebeforereplace ? Boolean(req.getDeletebeforereplace()) : false,
                ignoreChanges: req.getIgnorechangesList ? req.getIgnorechangesList() : [],
                replaceOnChanges: req.getReplaceonchangesList ? req.getReplaceonchangesList() : [],
                provider: req.getProvider() || undefined,
                additionalSecretOutputs: req.getAdditionalsecretoutputsList ? req.getAdditionalsecretoutputsList() : [],
            },
        });
    }

    async registerResource(req: any, callback: (err: any, resp: any) => void): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
        await super.registerResource(req, (err: unknown, resp: any) => { // eslint-disable-line @typescript-eslint/no-explicit-any
            if (!err && resp) {
                this.record(req, Boolean(req.getCustom()), resp.getUrn());
            }
            callback(err, resp);
        });
    }

    async readResource(req: any, callback: (err: any, resp: any) => void): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
        await super.readResource(req, (err: unknown, resp: any) => { // eslint-disable-line @typescript-eslint/no-explicit-any
            if (!err && resp) {
                this.record(req, true, resp.getUrn());
            }
            callback(err, resp);
        });
    }
}

const PROGRAM = path.join(REPO_ROOT, "index.ts");
let running = false;

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
 * Runs index.ts for one stack under the mock runtime and returns what was registered.
 * Runs are serialised: the Pulumi runtime is process-global.
 */
export async function runProgram(opts: RunOptions): Promise<ProgramRun> {
    if (running) {
        throw new Error("runProgram is not re-entrant: await the previous run first");
    }
    running = true;
    const logs: LogEntry[] = [];
    const saved = { info: pulumi.log.info, warn: pulumi.log.warn, error: pulumi.log.error };
    const savedNow = process.env.TERNENT_NOW;
    try {
        const mocks = new ProgramMocks();
        mocks.previousOutputs = opts.previousOutputs ?? {};
        const monitor = new CapturingMonitor(mocks);
        settings.setMockOptions(monitor, PROJECT, opts.stack, opts.preview ?? false, "organization");
        // Same feature set as pulumi.runtime.setMocks.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const store = require("@pulumi/pulumi/runtime/state").getStore();
        Object.assign(store, {
            supportsSecrets: true, supportsResourceReferences: true, supportsOutputValues: false,
            supportsDeletedWith: true, supportsReplaceWith: true, supportsAliasSpecs: true,
            supportsTransforms: false, supportsParameterization: true,
            supportsResourceHooks: true, supportsErrorHooks: true,
        });
        pulumi.runtime.setAllConfig(opts.config, opts.secretKeys);
        if (opts.now) {
            process.env.TERNENT_NOW = opts.now;
        } else {
            delete process.env.TERNENT_NOW;
        }
        const capture = (severity: LogEntry["severity"]) => (msg: string): Promise<void> => {
            logs.push({ severity, message: msg });
            return Promise.resolve();
        };
        Object.assign(pulumi.log, { info: capture("info"), warn: capture("warn"), error: capture("error") });

        const program = require.resolve(opts.program ?? PROGRAM);
        delete require.cache[program];
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const loaded = require(program) as Record<string, unknown> | (() => Promise<Record<string, unknown>>);
        // Like the Node.js language host: a program may export an (async) function whose result
        // holds the stack outputs.
        const exported = (typeof loaded === "function" ? (await loaded()) ?? {} : loaded) as Record<string, unknown>;
        const outputs: Record<string, unknown> = {};
        const secretOutputs: string[] = [];
        for (const [key, value] of Object.entries(exported)) {
            if (key === "__esModule") {
                continue;
            }
            const resolved = await resolveOutput(value);
            outputs[key] = resolved.value;
            if (resolved.secret) {
                secretOutputs.push(key);
            }
        }
        await settings.waitForRPCs();
        // Components register their outputs after their children; give those callbacks a turn.
        await new Promise((r) => setImmediate(r));
        await settings.waitForRPCs();

        const registered = monitor.getRegisteredResources() as Map<string, { state: unknown }>;
        const resources: CapturedResource[] = monitor.order.map((urn) => {
            const c = monitor.captured.get(urn)!;
            const reg = registered.get(urn);
            let outputsOf: Record<string, unknown> = {};
            if (reg?.state) {
                const st = reg.state as { toJavaScript?: () => Record<string, unknown> } | Record<string, unknown>;
                const plain = typeof (st as { toJavaScript?: unknown }).toJavaScript === "function"
                    ? (st as { toJavaScript: () => Record<string, unknown> }).toJavaScript()
                    : (st as Record<string, unknown>);
                outputsOf = unwrapSecrets(plain, "", []) as Record<string, unknown>;
            }
            return { urn, ...c, outputs: outputsOf };
        });
        return { project: PROJECT, stack: opts.stack, resources, outputs, secretOutputs, logs };
    } finally {
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
