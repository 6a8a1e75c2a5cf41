// Offline policy run: `npm run policy -- --stack <name> [--stack-file <file>] [--config <policy-config.json>] [--preview]`.
//
// Runs index.ts under the mock runtime (tools/harness.ts) with Pulumi.<name>.yaml and applies every
// policy of the pack to the captured resources the way `pulumi preview --policy-pack policy` does:
//   - config: the pack's schema defaults, overlaid with the --config file (same format as
//     --policy-pack-config: {"all": level, "<policy>": level | {enforcementLevel?, <key>: value}}),
//     validated against each policy's configSchema (the engine's ReconcilePolicyPackConfig);
//   - Analyze: each resource in registration order, with its inputs, options, provider and the
//     stack tags, through the analyzer's unknown-checking proxy (@pulumi/policy server.js);
//   - AnalyzeStack: once, with every resource's outputs, parent, dependencies and
//     propertyDependencies linked as objects; violations without a URN go to the root stack;
//   - resources also include the root Stack and the default providers the engine registers.
// `--preview` simulates the first preview of a new stack: values that only a provider computes
// (generated passwords, key ids, bucket endpoints) and every input derived from them are unknown.
// Prints every violation (policy, URN, enforcement level, message) and a one-line summary. Exit codes:
// 0 no mandatory violation; 1 mandatory violation(s); 2 bad usage, bad policy config or a failing program.

import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { pack, policies as packPolicies } from "../policy/policies/all";
import {
    EnforcementLevel, Policies, PolicyResource, PolicyResourceOptions, ResourceValidationArgs, ResourceValidationPolicy,
    StackValidationArgs, StackValidationPolicy, UnknownValueError, unknownCheckingProxy,
} from "../policy/lib/sdk";
import { UNKNOWN_STRING_SENTINEL } from "../policy/lib/values";
import { CapturedResource, loadStackFile, PROJECT, REPO_ROOT, runProgram, securePlaceholder, stackFilePath } from "./harness";

export interface Diagnostic {
    readonly policyName: string;
    readonly policyPackName: string;
    readonly policyPackVersion: string;
    readonly description: string;
    /** As the engine shows it: the policy description, a newline, the violation message. */
    readonly message: string;
    readonly enforcementLevel: EnforcementLevel;
    readonly urn: string;
    /** "resource" (Analyze) or "stack" (AnalyzeStack). */
    readonly phase: "resource" | "stack";
}

export interface NotApplicable {
    readonly policyName: string;
    readonly urn?: string;
    readonly reason?: string;
}

/** A resource as the engine hands it to the analyzer. */
export interface EngineResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    readonly parent?: string;
    readonly dependencies: string[];
    readonly propertyDependencies: Record<string, string[]>;
    /** Analyze sees the inputs. */
    readonly inputs: Record<string, unknown>;
    /** AnalyzeStack sees the outputs. */
    readonly outputs: Record<string, unknown>;
    readonly options: {
        readonly protect: boolean;
        readonly ignoreChanges: string[];
        readonly deleteBeforeReplace?: boolean;
        readonly additionalSecretOutputs: string[];
        readonly aliases: string[];
    };
    readonly provider?: { readonly urn: string; readonly type: string; readonly name: string; readonly props: Record<string, unknown> };
}

export interface PolicyConfigEntry {
    readonly enforcementLevel?: EnforcementLevel;
    readonly properties: Record<string, unknown>;
}
export type ReconciledConfig = Record<string, PolicyConfigEntry>;

export interface PackInfo {
    readonly name: string;
    readonly version: string;
    readonly enforcementLevel: EnforcementLevel;
    readonly policies: Policies;
}

export function defaultPack(): PackInfo {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const version = String(require("../policy/package.json").version);
    return { name: pack.name, version, enforcementLevel: pack.enforcementLevel, policies: packPolicies };
}

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

export class PolicyConfigError extends Error {}
export class UsageError extends Error {}

// ---------------------------------------------------------------------------------------------
// Policy pack config, as pkg/resource/analyzer/config.go reconciles it.

function isPolicyResource(p: ResourceValidationPolicy | StackValidationPolicy): p is ResourceValidationPolicy {
    return (p as ResourceValidationPolicy).validateResource !== undefined || (p as ResourceValidationPolicy).remediateResource !== undefined;
}

function isStackPolicy(p: ResourceValidationPolicy | StackValidationPolicy): p is StackValidationPolicy {
    return (p as StackValidationPolicy).validateStack !== undefined;
}

/** Parses a --policy-pack-config document: {"all": level, "<policy>": level | {enforcementLevel, …}}. */
export function parsePolicyPackConfig(doc: unknown): ReconciledConfig {
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
        throw new PolicyConfigError("policy pack config must be a JSON object of policy name → level or settings");
    }
    const out: Record<string, PolicyConfigEntry> = {};
    for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
        if (name === "environments") {
            continue;
        }
        if (typeof value === "string") {
            if (!LEVELS.includes(value as EnforcementLevel)) {
                throw new PolicyConfigError(`parsing enforcement level for "${name}": "${value}" is not a valid enforcement level (${LEVELS.join(", ")})`);
            }
            out[name] = { enforcementLevel: value as EnforcementLevel, properties: {} };
        } else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
            const { enforcementLevel, ...properties } = value as Record<string, unknown>;
            if (enforcementLevel !== undefined && !LEVELS.includes(enforcementLevel as EnforcementLevel)) {
                throw new PolicyConfigError(`parsing enforcement level for "${name}": ${JSON.stringify(enforcementLevel)} is not a valid enforcement level`);
            }
            out[name] = { enforcementLevel: enforcementLevel as EnforcementLevel | undefined, properties };
        } else {
            throw new PolicyConfigError(`parsing "${name}": ${JSON.stringify(value)} is not a valid value; must be a string or object`);
        }
    }
    return out;
}

type Schema = Record<string, unknown>;

/** The JSON-schema checks the engine applies to policy config (the subset the pack's schemas use). */
function schemaErrors(key: string, schema: Schema, value: unknown): string[] {
    const errors: string[] = [];
    const type = schema.type as string | undefined;
    const typeOk = type === undefined
        || (type === "integer" && Number.isInteger(value))
        || (type === "number" && typeof value === "number" && Number.isFinite(value))
        || (type === "string" && typeof value === "string")
        || (type === "boolean" && typeof value === "boolean")
        || (type === "array" && Array.isArray(value))
        || (type === "object" && value !== null && typeof value === "object" && !Array.isArray(value));
    if (!typeOk) {
        return [`${key}: Invalid type. Expected: ${type}, given: ${Array.isArray(value) ? "array" : typeof value} (${JSON.stringify(value)})`];
    }
    if (typeof value === "number") {
        if (typeof schema.minimum === "number" && value < schema.minimum) {
            errors.push(`${key}: Must be greater than or equal to ${schema.minimum} (given ${value})`);
        }
        if (typeof schema.exclusiveMinimum === "number" && value <= schema.exclusiveMinimum) {
            errors.push(`${key}: Must be greater than ${schema.exclusiveMinimum} (given ${value})`);
        }
        if (typeof schema.maximum === "number" && value > schema.maximum) {
            errors.push(`${key}: Must be less than or equal to ${schema.maximum} (given ${value})`);
        }
    }
    if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
        errors.push(`${key}: must be one of ${JSON.stringify(schema.enum)}`);
    }
    if (Array.isArray(value) && schema.items && typeof schema.items === "object") {
        value.forEach((v, i) => errors.push(...schemaErrors(`${key}.${i}`, schema.items as Schema, v)));
    }
    return errors;
}

/** Schema defaults, then the given config (with "all"), validated: the engine's ReconcilePolicyPackConfig. */
export function reconcilePolicyPackConfig(info: PackInfo, given: ReconciledConfig = {}): ReconciledConfig {
    const result: Record<string, PolicyConfigEntry> = {};
    for (const p of info.policies) {
        const properties: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(p.configSchema?.properties ?? {})) {
            if (v !== null && typeof v === "object" && v.default !== undefined) {
                properties[k] = v.default;
            }
        }
        result[p.name] = { enforcementLevel: p.enforcementLevel ?? info.enforcementLevel, properties };
    }
    const all = given.all?.enforcementLevel;
    if (all) {
        for (const k of Object.keys(result)) {
            result[k] = { ...result[k], enforcementLevel: all };
        }
    }
    for (const [name, cfg] of Object.entries(given)) {
        if (name === "all") {
            continue;
        }
        const prev = result[name] ?? { properties: {} };
        result[name] = {
            enforcementLevel: cfg.enforcementLevel ?? prev.enforcementLevel,
            properties: { ...prev.properties, ...cfg.properties },
        };
    }
    const errors: string[] = [];
    for (const p of info.policies) {
        const schema = p.configSchema;
        if (!schema) {
            continue;
        }
        const props = result[p.name]?.properties ?? {};
        for (const req of schema.required ?? []) {
            if (!(req in props)) {
                errors.push(`${p.name}: ${req} is required`);
            }
        }
        for (const [k, v] of Object.entries(props)) {
            const s = schema.properties[k];
            if (s && typeof s === "object") {
                errors.push(...schemaErrors(k, s as Schema, v).map((e) => `${p.name}: ${e}`));
            }
        }
    }
    if (errors.length > 0) {
        throw new PolicyConfigError(`policy pack configuration is invalid:\n  ${errors.join("\n  ")}`);
    }
    return result;
}

// ---------------------------------------------------------------------------------------------
// Resources as the engine sees them.

function providerVersion(pkg: string): string | undefined {
    try {
        return String(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules", "@pulumi", pkg, "package.json"), "utf8")).version);
    } catch {
        return undefined;
    }
}

/** Round trip through JSON, as the engine's protobuf Struct does (drops undefined, copies). */
function structCopy<T>(value: T): T {
    return value === undefined ? value : JSON.parse(JSON.stringify(value)) as T;
}

/**
 * The program's resources plus what the engine adds: the root Stack (parent of top-level resources,
 * holder of the stack outputs) and one default provider per package used.
 */
export function engineResources(project: string, stack: string, captured: readonly CapturedResource[], stackOutputs: Record<string, unknown>): EngineResource[] {
    const stackUrn = `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`;
    const byUrn = new Map(captured.map((r) => [r.urn, r]));
    const out: EngineResource[] = [{
        urn: stackUrn, type: "pulumi:pulumi:Stack", name: `${project}-${stack}`, custom: false,
        dependencies: [], propertyDependencies: {}, inputs: {}, outputs: structCopy(stackOutputs),
        options: { protect: false, ignoreChanges: [], additionalSecretOutputs: [], aliases: [] },
    }];
    const providers = new Map<string, EngineResource>();
    const providerFor = (r: CapturedResource): EngineResource["provider"] => {
        if (!r.custom) {
            return undefined;
        }
        if (r.options.provider) {
            const urn = r.options.provider.split("::").slice(0, -1).join("::") || r.options.provider;
            const p = byUrn.get(urn);
            return p ? { urn: p.urn, type: p.type, name: p.name, props: structCopy(p.inputs) } : undefined;
        }
        const pkg = r.type.split(":")[0];
        let p = providers.get(pkg);
        if (!p) {
            const version = providerVersion(pkg);
            const name = `default${version ? `_${version.replace(/[.-]/g, "_")}` : ""}`;
            const props: Record<string, unknown> = version ? { version } : {};
            p = {
                urn: `urn:pulumi:${stack}::${project}::pulumi:providers:${pkg}::${name}`, type: `pulumi:providers:${pkg}`, name,
                custom: true, dependencies: [], propertyDependencies: {}, inputs: props, outputs: props,
                options: { protect: false, ignoreChanges: [], additionalSecretOutputs: [], aliases: [] },
            };
            providers.set(pkg, p);
            out.push(p);
        }
        return { urn: p.urn, type: p.type, name: p.name, props: structCopy(p.inputs) };
    };
    for (const r of captured) {
        const provider = providerFor(r);
        out.push({
            urn: r.urn, type: r.type, name: r.name, custom: r.custom,
            parent: r.parent ?? stackUrn,
            dependencies: [...r.dependencies], propertyDependencies: structCopy(r.propertyDependencies),
            inputs: structCopy(r.inputs), outputs: structCopy(r.outputs),
            options: {
                protect: r.options.protect, ignoreChanges: [...r.options.ignoreChanges],
                deleteBeforeReplace: r.options.deleteBeforeReplace ? true : undefined,
                additionalSecretOutputs: [...r.options.additionalSecretOutputs], aliases: [],
            },
            provider,
        });
    }
    return out;
}

const COMPUTED: Record<string, string[]> = {
    "random:index/randomPassword:RandomPassword": ["result", "bcryptHash"],
    "random:index/randomId:RandomId": ["hex", "b64Std", "b64Url", "dec"],
    "digitalocean:index/spacesKey:SpacesKey": ["accessKey", "secretKey", "createdAt"],
    "digitalocean:index/spacesBucket:SpacesBucket": ["bucketDomainName", "endpoint", "urn"],
};

const UNKNOWN_OBJECT_SENTINEL = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";
const UNKNOWN_ARRAY_SENTINEL = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2";

/**
 * Replaces what is derived from one of `values` (a string containing it, also inside base64) with the
 * engine's unknown sentinels: only that string (`leaf`), or the whole top-level property holding it
 * (`property`, what the engine shows for a Secret's stringData built from a new key or password).
 */
function blankDerived(resources: readonly EngineResource[], values: readonly string[], computed: Record<string, string[]> = {},
    granularity: "leaf" | "property" = "leaf"): EngineResource[] {
    const derived = (s: string): boolean => {
        if (values.some((g) => s.includes(g))) {
            return true;
        }
        if (s.length >= 8 && s.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(s)) {
            const decoded = Buffer.from(s, "base64").toString("utf8");
            return values.some((g) => decoded.includes(g));
        }
        return false;
    };
    const blank = (v: unknown): unknown => {
        if (typeof v === "string") {
            return derived(v) ? UNKNOWN_STRING_SENTINEL : v;
        }
        if (Array.isArray(v)) {
            return v.map(blank);
        }
        if (v !== null && typeof v === "object") {
            return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, blank(x)]));
        }
        return v;
    };
    const blankProps = (props: Record<string, unknown>): Record<string, unknown> => {
        if (granularity === "leaf") {
            return blank(props) as Record<string, unknown>;
        }
        return Object.fromEntries(Object.entries(props).map(([k, v]) => {
            if (JSON.stringify(blank(v)) === JSON.stringify(v)) {
                return [k, v];
            }
            return [k, Array.isArray(v) ? UNKNOWN_ARRAY_SENTINEL : v !== null && typeof v === "object" ? UNKNOWN_OBJECT_SENTINEL : UNKNOWN_STRING_SENTINEL];
        }));
    };
    return resources.map((r) => {
        const outputs = blankProps(r.outputs);
        for (const field of computed[r.type] ?? []) {
            if (field in outputs) {
                outputs[field] = UNKNOWN_STRING_SENTINEL;
            }
        }
        return { ...r, inputs: blankProps(r.inputs), outputs };
    });
}

/**
 * The first preview of a new stack: provider-computed outputs are unknown, and so is every top-level
 * property built from one (matched by value, also inside base64 Secret data) — the real engine shows
 * a Secret's whole stringData unknown when one of its values is a new password or key.
 */
export function simulateFirstPreview(resources: readonly EngineResource[]): EngineResource[] {
    const generated: string[] = [];
    for (const r of resources) {
        for (const field of COMPUTED[r.type] ?? []) {
            const v = r.outputs[field];
            if (typeof v === "string" && v.length >= 8) {
                generated.push(v);
            }
        }
    }
    return blankDerived(resources, generated, COMPUTED, "property");
}

/**
 * `secure:` stack config cannot be decrypted offline; the harness substitutes placeholders. The
 * engine would see the real values, so offline every value built from a placeholder is unknown.
 */
export function blankSecureConfig(resources: readonly EngineResource[], config: Record<string, string>): EngineResource[] {
    const prefix = securePlaceholder("x").replace(/[0-9a-f]{32}$/, "");
    const re = new RegExp(`${prefix}[0-9a-f]{32}`, "g");
    // Most placeholders share a prefix; one of a validated format (the libsodium key) is recognised by key.
    const byKey = Object.entries(config).filter(([k, v]) => v === securePlaceholder(k)).map(([, v]) => v);
    const placeholders = [...new Set([...Object.values(config).flatMap((v) => v.match(re) ?? []), ...byKey])];
    return placeholders.length > 0 ? blankDerived(resources, placeholders) : [...resources];
}

// ---------------------------------------------------------------------------------------------
// The analyzer: builds the args exactly as @pulumi/policy's server.js does.

class NotApplicableError extends Error {
    constructor(readonly reason?: string) {
        super(reason ?? "Policy does not apply");
    }
}

function throwNotApplicable(reason?: string): never {
    throw new NotApplicableError(reason);
}

function freezeMap(map: Map<string, string>): ReadonlyMap<string, string> {
    return Object.freeze({
        entries: map.entries.bind(map), forEach: map.forEach.bind(map), get: map.get.bind(map), has: map.has.bind(map),
        keys: map.keys.bind(map), size: map.size, values: map.values.bind(map), [Symbol.iterator]: map[Symbol.iterator].bind(map),
    }) as ReadonlyMap<string, string>;
}

type ResourceClass = { new(...rest: never[]): unknown; __pulumiType?: string; isInstance?: (o: unknown) => boolean };

function isTypeOf(type: string, resourceClass: ResourceClass): boolean {
    const pulumiType = resourceClass.__pulumiType;
    if (pulumiType) {
        return type === pulumiType;
    }
    return typeof resourceClass.isInstance === "function" && resourceClass.isInstance({ __pulumiType: type }) === true;
}

function resourceOptions(r: EngineResource): PolicyResourceOptions {
    const opts: PolicyResourceOptions = {
        protect: r.options.protect,
        ignoreChanges: r.options.ignoreChanges,
        aliases: r.options.aliases,
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: r.options.additionalSecretOutputs,
    };
    if (r.options.deleteBeforeReplace !== undefined) {
        opts.deleteBeforeReplace = r.options.deleteBeforeReplace;
    }
    if (r.parent) {
        opts.parent = r.parent;
    }
    return opts;
}

function providerOf(r: EngineResource): ResourceValidationArgs["provider"] {
    return r.provider
        ? { type: r.provider.type, props: unknownCheckingProxy(structCopy(r.provider.props)), urn: r.provider.urn, name: r.provider.name }
        : undefined;
}

export interface AnalyzerContext {
    readonly pack: PackInfo;
    readonly config: ReconciledConfig;
    readonly stackTags: ReadonlyMap<string, string>;
    readonly rootStackUrn: string;
}

function levelOf(ctx: AnalyzerContext, policyName: string, own?: EnforcementLevel): EnforcementLevel {
    return ctx.config[policyName]?.enforcementLevel || own || ctx.pack.enforcementLevel;
}

function getConfigFun(ctx: AnalyzerContext, policyName: string): <T extends object>() => T {
    return <T extends object>() => structCopy(ctx.config[policyName]?.properties ?? {}) as T;
}

interface Collected {
    readonly diagnostics: Diagnostic[];
    readonly notApplicable: NotApplicable[];
}

function reportFun(ctx: AnalyzerContext, p: { name: string; description: string }, level: EnforcementLevel, phase: Diagnostic["phase"],
    urn: string | undefined, out: Diagnostic[], inStack: (u: string) => boolean): (message: string, urn?: string) => void {
    return (message, violationUrn) => {
        const target = phase === "resource" ? urn! : violationUrn && inStack(violationUrn) ? violationUrn : ctx.rootStackUrn;
        out.push({
            policyName: p.name, policyPackName: ctx.pack.name, policyPackVersion: ctx.pack.version, description: p.description,
            message: message ? `${p.description}\n${message}` : p.description, enforcementLevel: level, urn: target, phase,
        });
    };
}

function unknownDiagnostic(ctx: AnalyzerContext, p: { name: string; description: string }, e: Error, urn: string, phase: Diagnostic["phase"]): Diagnostic {
    return {
        policyName: p.name, policyPackName: ctx.pack.name, policyPackVersion: ctx.pack.version, description: p.description,
        message: `can't run policy '${p.name}' from policy pack '${ctx.pack.name}@v${ctx.pack.version}' during preview: ${e.message}`,
        enforcementLevel: "advisory", urn, phase,
    };
}

/** Analyze: every resource policy over one resource's inputs (server.js makeAnalyzeRpcFun). */
export async function analyzeResource(ctx: AnalyzerContext, r: EngineResource): Promise<Collected> {
    const diagnostics: Diagnostic[] = [];
    const notApplicable: NotApplicable[] = [];
    for (const p of ctx.pack.policies) {
        let level = levelOf(ctx, p.name, p.enforcementLevel);
        if (level === "disabled" || !isPolicyResource(p)) {
            continue;
        }
        if (!p.validateResource) {
            notApplicable.push({ policyName: p.name, urn: r.urn, reason: "Policy does not implement validateResource" });
            continue;
        }
        if (level === "remediate") {
            level = "mandatory";
        }
        const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
        const single = (validations[0] as unknown as { __pulumiType?: string }).__pulumiType;
        if (!Array.isArray(p.validateResource) && single && single !== r.type) {
            notApplicable.push({ policyName: p.name, urn: r.urn, reason: `Policy only applies to resources of type '${single}'` });
            continue;
        }
        const report = reportFun(ctx, p, level, "resource", r.urn, diagnostics, () => true);
        for (const validation of validations) {
            const props = unknownCheckingProxy(structCopy(r.inputs));
            const args: ResourceValidationArgs = {
                type: r.type, props, urn: r.urn, name: r.name, opts: resourceOptions(r), stackTags: ctx.stackTags,
                isType: (cls) => isTypeOf(r.type, cls as unknown as ResourceClass),
                asType: ((cls: ResourceClass) => (isTypeOf(r.type, cls) ? props : undefined)) as ResourceValidationArgs["asType"],
                getConfig: getConfigFun(ctx, p.name),
                notApplicable: throwNotApplicable,
            };
            const provider = providerOf(r);
            if (provider) {
                args.provider = provider;
            }
            try {
                await Promise.resolve(validation(args, report));
            } catch (e) {
                if (e instanceof UnknownValueError) {
                    diagnostics.push(unknownDiagnostic(ctx, p, e, r.urn, "resource"));
                } else if (e instanceof NotApplicableError) {
                    notApplicable.push({ policyName: p.name, urn: r.urn, reason: e.reason });
                } else {
                    throw new Error(`Error validating resource with policy '${p.name}' from policy pack ` +
                        `'${ctx.pack.name}@v${ctx.pack.version}':\n${(e as Error).stack ?? String(e)}`, { cause: e });
                }
            }
        }
    }
    return { diagnostics, notApplicable };
}

/** AnalyzeStack: every stack policy over all resources' outputs (server.js makeAnalyzeStackRpcFun). */
export async function analyzeStack(ctx: AnalyzerContext, resources: readonly EngineResource[]): Promise<Collected> {
    const diagnostics: Diagnostic[] = [];
    const notApplicable: NotApplicable[] = [];
    const urns = new Set(resources.map((r) => r.urn));
    for (const p of ctx.pack.policies) {
        let level = levelOf(ctx, p.name, p.enforcementLevel);
        if (level === "disabled" || !isStackPolicy(p)) {
            continue;
        }
        if (level === "remediate") {
            level = "mandatory";
        }
        const only = (p.validateStack as unknown as { __pulumiType?: string }).__pulumiType;
        if (only && !resources.some((r) => r.type === only)) {
            notApplicable.push({ policyName: p.name, reason: `Policy only applies to resources of type '${only}'` });
            continue;
        }
        const report = reportFun(ctx, p, level, "stack", undefined, diagnostics, (u) => urns.has(u));
        const byUrn = new Map<string, PolicyResource>();
        const built = resources.map((r) => {
            const props = unknownCheckingProxy(structCopy(r.outputs));
            const res: PolicyResource = {
                type: r.type, props, urn: r.urn, name: r.name, opts: resourceOptions(r),
                dependencies: [], propertyDependencies: {},
                isType: (cls) => isTypeOf(r.type, cls as unknown as ResourceClass),
                asType: ((cls: ResourceClass) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
            };
            const provider = providerOf(r);
            if (provider) {
                res.provider = provider;
            }
            byUrn.set(r.urn, res);
            return { res, r };
        });
        for (const { res, r } of built) {
            if (r.parent && byUrn.has(r.parent)) {
                res.parent = byUrn.get(r.parent);
            }
            res.dependencies = r.dependencies.map((d) => byUrn.get(d)).filter((d): d is PolicyResource => d !== undefined);
            for (const [k, v] of Object.entries(r.propertyDependencies)) {
                res.propertyDependencies[k] = v.map((d) => byUrn.get(d)).filter((d): d is PolicyResource => d !== undefined);
            }
        }
        const args: StackValidationArgs = {
            resources: built.map((b) => b.res),
            getConfig: getConfigFun(ctx, p.name),
            stackTags: ctx.stackTags,
            notApplicable: throwNotApplicable,
        };
        try {
            await Promise.resolve(p.validateStack(args, report));
        } catch (e) {
            if (e instanceof UnknownValueError) {
                diagnostics.push(unknownDiagnostic(ctx, p, e, ctx.rootStackUrn, "stack"));
            } else if (e instanceof NotApplicableError) {
                notApplicable.push({ policyName: p.name, reason: e.reason });
            } else {
                throw new Error(`Error validating stack with policy '${p.name}' from policy pack ` +
                    `'${ctx.pack.name}@v${ctx.pack.version}':\n${(e as Error).stack ?? String(e)}`, { cause: e });
            }
        }
    }
    return { diagnostics, notApplicable };
}

// ---------------------------------------------------------------------------------------------
// A whole run.

/** The tags the CLI sends ConfigureStack: from Pulumi.yaml plus the stack's `pulumi:tags` config. */
export function stackTagsFor(stackFile: string): Map<string, string> {
    const tags = new Map<string, string>();
    const projectFile = path.join(REPO_ROOT, "Pulumi.yaml");
    if (fs.existsSync(projectFile)) {
        const proj = yaml.load(fs.readFileSync(projectFile, "utf8")) as { name?: string; runtime?: string | { name?: string }; description?: string };
        tags.set("pulumi:project", proj.name ?? PROJECT);
        tags.set("pulumi:runtime", typeof proj.runtime === "string" ? proj.runtime : proj.runtime?.name ?? "nodejs");
        if (proj.description) {
            tags.set("pulumi:description", proj.description);
        }
    }
    if (fs.existsSync(stackFile)) {
        const doc = yaml.load(fs.readFileSync(stackFile, "utf8")) as { config?: Record<string, unknown> } | null;
        const extra = doc?.config?.["pulumi:tags"];
        if (extra && typeof extra === "object") {
            for (const [k, v] of Object.entries(extra as Record<string, unknown>)) {
                tags.set(k, String(v));
            }
        }
    }
    return tags;
}

export interface PolicyRunOptions {
    readonly stack: string;
    /** Stack file to use instead of <repo>/Pulumi.<stack>.yaml. */
    readonly stackFile?: string;
    /** --policy-pack-config document (already parsed) or a path to one. */
    readonly policyConfig?: ReconciledConfig | string;
    /** Simulate the first preview of a new stack (computed values unknown). */
    readonly preview?: boolean;
    /** Extra stack tags on top of the ones the CLI derives. */
    readonly stackTags?: Record<string, string>;
    readonly pack?: PackInfo;
}

export interface PolicyReport {
    readonly stack: string;
    readonly stackFile: string;
    readonly pack: PackInfo;
    readonly resources: EngineResource[];
    readonly diagnostics: Diagnostic[];
    readonly notApplicable: NotApplicable[];
    readonly mandatory: Diagnostic[];
    readonly advisory: Diagnostic[];
}

export function loadPolicyConfig(file: string): ReconciledConfig {
    let doc: unknown;
    try {
        doc = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new PolicyConfigError(`cannot read policy pack config ${file}: ${(e as Error).message}`);
    }
    return parsePolicyPackConfig(doc);
}

/** The engine's view of one stack: the program's resources, the stack tags and the reconciled config. */
export async function stackResources(opts: PolicyRunOptions): Promise<{ resources: EngineResource[]; ctx: AnalyzerContext; stackFile: string }> {
    const info = opts.pack ?? defaultPack();
    const given = typeof opts.policyConfig === "string" ? loadPolicyConfig(opts.policyConfig) : opts.policyConfig ?? {};
    for (const name of Object.keys(given)) {
        if (name !== "all" && !info.policies.some((p) => p.name === name)) {
            throw new PolicyConfigError(`policy pack config names "${name}", which is not a policy of ${info.name} ` +
                `(policies: ${info.policies.map((p) => p.name).join(", ")})`);
        }
    }
    const config = reconcilePolicyPackConfig(info, given);
    const stackFile = opts.stackFile ? path.resolve(opts.stackFile) : stackFilePath(opts.stack);
    const input = loadStackFile(stackFile);
    const run = await runProgram({ stack: opts.stack, ...input });
    let resources = blankSecureConfig(engineResources(run.project, opts.stack, run.resources, run.outputs), input.config);
    if (opts.preview) {
        resources = simulateFirstPreview(resources);
    }
    const tags = stackTagsFor(stackFile);
    for (const [k, v] of Object.entries(opts.stackTags ?? {})) {
        tags.set(k, v);
    }
    const ctx: AnalyzerContext = { pack: info, config, stackTags: freezeMap(tags), rootStackUrn: resources[0].urn };
    return { resources, ctx, stackFile };
}

/** Every resource through Analyze, then the whole stack through AnalyzeStack, as the engine calls them. */
export async function analyzeAll(ctx: AnalyzerContext, resources: readonly EngineResource[]): Promise<{ diagnostics: Diagnostic[]; notApplicable: NotApplicable[] }> {
    const diagnostics: Diagnostic[] = [];
    const notApplicable: NotApplicable[] = [];
    for (const r of resources) {
        const res = await analyzeResource(ctx, r);
        diagnostics.push(...res.diagnostics);
        notApplicable.push(...res.notApplicable);
    }
    const st = await analyzeStack(ctx, resources);
    diagnostics.push(...st.diagnostics);
    notApplicable.push(...st.notApplicable);
    return { diagnostics, notApplicable };
}

/** Applies every policy to one stack's resources, as a preview with the policy pack does. */
export async function runPolicies(opts: PolicyRunOptions): Promise<PolicyReport> {
    const { resources, ctx, stackFile } = await stackResources(opts);
    const { diagnostics, notApplicable } = await analyzeAll(ctx, resources);
    return {
        stack: opts.stack, stackFile, pack: ctx.pack, resources, diagnostics, notApplicable,
        mandatory: diagnostics.filter((d) => d.enforcementLevel === "mandatory"),
        advisory: diagnostics.filter((d) => d.enforcementLevel === "advisory"),
    };
}

/** Builds an analyzer context for direct calls (tests): defaults + given config, given tags. */
export function analyzerContext(opts: { stack: string; project?: string; config?: ReconciledConfig; tags?: Record<string, string>; pack?: PackInfo }): AnalyzerContext {
    const info = opts.pack ?? defaultPack();
    const project = opts.project ?? PROJECT;
    return {
        pack: info,
        config: reconcilePolicyPackConfig(info, opts.config ?? {}),
        stackTags: freezeMap(new Map(Object.entries({ "pulumi:project": project, "pulumi:runtime": "nodejs", ...(opts.tags ?? {}) }))),
        rootStackUrn: `urn:pulumi:${opts.stack}::${project}::pulumi:pulumi:Stack::${project}-${opts.stack}`,
    };
}

export function formatReport(report: PolicyReport): string {
    const lines: string[] = [];
    const rel = path.relative(process.cwd(), report.stackFile) || report.stackFile;
    lines.push(`Policies: ${report.pack.name}@v${report.pack.version} (${report.pack.policies.length} policies) on stack ` +
        `${report.stack} (${rel}, ${report.resources.length} resources)`);
    for (const d of [...report.mandatory, ...report.diagnostics.filter((x) => x.enforcementLevel !== "mandatory")]) {
        lines.push(`  [${d.enforcementLevel}] ${d.policyName}`);
        lines.push(`    resource: ${d.urn}`);
        for (const l of d.message.split("\n")) {
            lines.push(`    ${l}`);
        }
    }
    lines.push(summaryLine(report));
    return lines.join("\n");
}

export function summaryLine(report: PolicyReport): string {
    const names = [...new Set(report.mandatory.map((d) => d.policyName))];
    return `policy: stack ${report.stack}: ${report.mandatory.length} mandatory violation(s)` +
        `${names.length > 0 ? ` (${names.join(", ")})` : ""}, ${report.advisory.length} advisory, ` +
        `${report.pack.policies.length} policies over ${report.resources.length} resources: ` +
        `${report.mandatory.length > 0 ? "REFUSED" : "passed"}`;
}

const USAGE = "usage: npm run policy -- --stack <name> [--stack-file <Pulumi.x.yaml>] [--config <policy-config.json>] [--preview] [--json]";

export function parseArgs(argv: readonly string[]): PolicyRunOptions & { json: boolean } {
    let stack: string | undefined;
    let stackFile: string | undefined;
    let policyConfig: string | undefined;
    let preview = false;
    let json = false;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = (): string => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) {
                throw new UsageError(`${a} needs a value\n${USAGE}`);
            }
            return v;
        };
        if (a === "--stack") {
            stack = value();
        } else if (a === "--stack-file") {
            stackFile = value();
        } else if (a === "--config" || a === "--policy-pack-config") {
            policyConfig = value();
        } else if (a === "--preview") {
            preview = true;
        } else if (a === "--json") {
            json = true;
        } else if (a === "--help" || a === "-h") {
            throw new UsageError(USAGE);
        } else {
            throw new UsageError(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
        }
    }
    if (!stack) {
        throw new UsageError(`--stack is required\n${USAGE}`);
    }
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
        throw new UsageError(`--stack ${JSON.stringify(stack)} is not a valid stack name (letters, digits, _ . -)`);
    }
    return { stack, stackFile, policyConfig, preview, json };
}

export async function main(argv: readonly string[]): Promise<number> {
    let opts: ReturnType<typeof parseArgs>;
    try {
        opts = parseArgs(argv);
    } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        return 2;
    }
    let report: PolicyReport;
    try {
        report = await runPolicies(opts);
    } catch (e) {
        // Config errors of the policy pack or the program (a RunError) are for people: no stack trace.
        const err = e as Error;
        const plain = e instanceof PolicyConfigError || e instanceof UsageError || ["ConfigError", "RunError"].includes(err?.name ?? "");
        const msg = plain ? err.message : err?.stack ?? String(e);
        process.stderr.write(`policy: stack ${opts.stack}: ${msg}\n`);
        return 2;
    }
    if (opts.json) {
        process.stdout.write(`${JSON.stringify({
            stack: report.stack, mandatory: report.mandatory.length, advisory: report.advisory.length,
            diagnostics: report.diagnostics.map(({ policyName, urn, enforcementLevel, message }) => ({ policyName, urn, enforcementLevel, message })),
        })}\n`);
    } else {
        process.stdout.write(`${formatReport(report)}\n`);
    }
    return report.mandatory.length > 0 ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => {
        process.exitCode = code;
    }, (e: unknown) => {
        process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
        process.exitCode = 2;
    });
}
