// Offline policy run: `npm run policy -- --stack <name> [--stack-file <file>] [--config <policy-config.json>] [--json]`.
//
// Runs index.ts under the mock runtime (tools/harness/) with Pulumi.<name>.yaml, starts the policy
// pack's own analyzer (tools/policy/analyzer.ts: the pack's run-policy-pack, as the engine starts it)
// and is its engine-side client: GetAnalyzerInfo; Configure with the pack config (schema defaults,
// overlaid with the --config file in --policy-pack-config format, validated: tools/policy/config.ts);
// ConfigureStack with the stack tags; Analyze for every resource with its inputs; AnalyzeStack once
// with every resource's outputs, parent and dependencies (tools/policy/resources.ts). What the
// policies decide comes from the pack; nothing of it is re-implemented here. Unknown values during a
// preview are exercised by the real engine (tools/realengine/, test/realengine/).
// Prints every diagnostic and a one-line summary. Exit codes: 0 no mandatory violation; 1 mandatory
// violation(s); 2 bad usage, bad policy config or a failing program.

import * as path from "path";
import { loadStackFile, PROJECT, runProgram, stackFilePath } from "./harness";
import { Diagnostic, EnforcementLevel, NotApplicable, PackAnalyzer } from "./policy/analyzer";
import { GivenConfig, loadPolicyPackConfig, PolicyConfigError, reconcilePolicyConfig } from "./policy/config";
import { blankSecureConfig, EngineResource, engineResources, forAnalyze, forAnalyzeStack, rootStackUrn, stackTagsFor } from "./policy/resources";

export class UsageError extends Error {}

/** A diagnostic where the engine shows it: on the resource analysed, or (stack policies naming none) the root Stack. */
export interface Finding extends Diagnostic {
    readonly phase: "resource" | "stack";
}

export interface PackRun {
    readonly pack: { readonly name: string; readonly version: string; readonly policies: number };
    readonly diagnostics: Finding[];
    readonly notApplicable: Array<NotApplicable & { readonly urn?: string }>;
    readonly mandatory: Finding[];
    readonly advisory: Finding[];
}

export interface PackInput {
    readonly stack: string;
    readonly project?: string;
    readonly resources: readonly EngineResource[];
    /** The --policy-pack-config document (already parsed). */
    readonly policyConfig?: GivenConfig;
    readonly tags: ReadonlyMap<string, string>;
}

/** The pack over one stack, as a preview with `--policy-pack` runs it: Configure, ConfigureStack, Analyze each, AnalyzeStack. */
export async function applyPack(analyzer: PackAnalyzer, input: PackInput): Promise<PackRun> {
    const info = await analyzer.info();
    await analyzer.configure(reconcilePolicyConfig(info, input.policyConfig));
    await analyzer.configureStack({ stack: input.stack, project: input.project ?? PROJECT, organization: "organization", tags: input.tags, dryRun: true });
    const diagnostics: Finding[] = [];
    const notApplicable: PackRun["notApplicable"] = [];
    for (const r of input.resources) {
        const a = await analyzer.analyze(forAnalyze(r));
        diagnostics.push(...a.diagnostics.map((d) => ({ ...d, urn: d.urn || r.urn, phase: "resource" as const })));
        notApplicable.push(...a.notApplicable.map((n) => ({ ...n, urn: r.urn })));
    }
    const root = rootStackUrn(input.stack, input.project);
    const s = await analyzer.analyzeStack(input.resources.map(forAnalyzeStack));
    diagnostics.push(...s.diagnostics.map((d) => ({ ...d, urn: d.urn || root, phase: "stack" as const })));
    notApplicable.push(...s.notApplicable);
    const level = (l: EnforcementLevel) => diagnostics.filter((d) => d.enforcementLevel === l);
    return {
        pack: { name: info.name, version: info.version, policies: info.policies.length },
        diagnostics, notApplicable, mandatory: level("mandatory"), advisory: level("advisory"),
    };
}

export interface PolicyRunOptions {
    readonly stack: string;
    /** Stack file to use instead of <repo>/Pulumi.<stack>.yaml. */
    readonly stackFile?: string;
    /** --policy-pack-config document (already parsed) or a path to one. */
    readonly policyConfig?: GivenConfig | string;
}

export interface PolicyReport extends PackRun {
    readonly stack: string;
    readonly stackFile: string;
    readonly resources: EngineResource[];
}

/**
 * Runs the program for one stack and applies the pack to it. Uses `analyzer` when given (tests
 * share one), else starts the pack while the program runs and stops it afterwards.
 */
export async function runPolicies(opts: PolicyRunOptions, analyzer?: PackAnalyzer): Promise<PolicyReport> {
    const policyConfig = typeof opts.policyConfig === "string" ? loadPolicyPackConfig(opts.policyConfig) : opts.policyConfig;
    const stackFile = opts.stackFile ? path.resolve(opts.stackFile) : stackFilePath(opts.stack);
    const input = loadStackFile(stackFile);
    const abort = new AbortController();
    const starting = analyzer ? undefined : PackAnalyzer.start(undefined, undefined, abort.signal);
    starting?.catch(() => undefined); // awaited below; a failing program must not leave it unhandled
    try {
        const run = await runProgram({ stack: opts.stack, ...input });
        const resources = blankSecureConfig(engineResources(run.project, opts.stack, run.resources, run.outputs), input.config);
        const packRun = await applyPack(analyzer ?? await starting!, { stack: opts.stack, resources, policyConfig, tags: stackTagsFor(stackFile) });
        return { stack: opts.stack, stackFile, resources, ...packRun };
    } finally {
        abort.abort(); // a start still under way is not needed any more
        await starting?.then((a) => a.stop(), () => undefined);
    }
}

export function formatReport(report: PolicyReport): string {
    const lines: string[] = [];
    const rel = path.relative(process.cwd(), report.stackFile) || report.stackFile;
    lines.push(`Policies: ${report.pack.name}@v${report.pack.version} (${report.pack.policies} policies) on stack ` +
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
        `${report.pack.policies} policies over ${report.resources.length} resources: ` +
        `${report.mandatory.length > 0 ? "REFUSED" : "passed"}`;
}

const USAGE = "usage: npm run policy -- --stack <name> [--stack-file <Pulumi.x.yaml>] [--config <policy-config.json>] [--json]";

export function parseArgs(argv: readonly string[]): PolicyRunOptions & { json: boolean } {
    let stack: string | undefined;
    let stackFile: string | undefined;
    let policyConfig: string | undefined;
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
        } else if (a === "--json") {
            json = true;
        } else if (a === "--preview") {
            throw new UsageError("--preview is gone: the first preview's unknown values come from the real engine (npm run preview:real -- --stack <name>)");
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
    return { stack, stackFile, policyConfig, json };
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
        const plain = e instanceof PolicyConfigError || ["ConfigError", "RunError"].includes(err?.name ?? "");
        process.stderr.write(`policy: stack ${opts.stack}: ${plain ? err.message : err?.stack ?? String(e)}\n`);
        return 2;
    }
    if (opts.json) {
        process.stdout.write(`${JSON.stringify({
            stack: report.stack, mandatory: report.mandatory.length, advisory: report.advisory.length,
            diagnostics: report.diagnostics.map((d) => ({ policyName: d.policyName, urn: d.urn, enforcementLevel: d.enforcementLevel, message: d.message })),
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
