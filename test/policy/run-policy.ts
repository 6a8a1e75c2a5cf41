// Calls one policy directly, the way pulumi-policy-aws's test util does: its validateResource once
// per resource (props: the inputs) or its validateStack once (props: the outputs; parents,
// dependencies and property dependencies linked as objects), with typed args and a recording
// reportViolation. Props go through @pulumi/policy's unknown-checking proxy, as the analyzer passes
// them. What the analyzer makes of the outcome is a few lines here: a violation's message follows
// the policy's description, a stack violation naming no resource belongs to the root Stack, an
// UnknownValueError becomes the advisory "can't run policy … during preview", a call of
// notApplicable() is recorded. test/policy/runner.test.ts checks that
// these findings equal what the pack's own analyzer reports.

import { CapturedResource, PROJECT } from "../../tools/harness";
import {
    PolicyResource, PolicyResourceOptions, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy,
    UnknownValueError, unknownCheckingProxy,
} from "../../policy/lib/sdk";
import { pack } from "../../policy/policies/all";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const PACK_VERSION = String(require("../../policy/package.json").version);

export interface Finding {
    readonly policyName: string;
    readonly urn: string;
    /** As the analyzer reports it: the policy's description and the violation's message (or the advisory for checks unknown values hid). */
    readonly message: string;
    readonly enforcementLevel: "mandatory" | "advisory";
}

export interface PolicyResult {
    readonly diagnostics: Finding[];
    readonly mandatory: Finding[];
    readonly advisory: Finding[];
    readonly notApplicable: Array<{ readonly policyName: string; readonly urn?: string; readonly reason?: string }>;
    /** All mandatory messages joined, for regex assertions. */
    readonly text: string;
}

export interface RunOptions {
    /** Stack name; default: read from the resources' URNs. */
    readonly stack?: string;
    /** What the policy's getConfig() returns (the policy fills in its schema defaults). */
    readonly config?: object;
    /** Stack tags besides pulumi:project and pulumi:runtime. */
    readonly tags?: Record<string, string>;
}

class NotApplicableError extends Error {
    constructor(readonly reason?: string) {
        super(reason ?? "Policy does not apply");
    }
}

const notApplicable = (reason?: string): never => {
    throw new NotApplicableError(reason);
};

type Props = Record<string, unknown>;

function options(r: CapturedResource): PolicyResourceOptions {
    return {
        protect: r.options.protect, ignoreChanges: r.options.ignoreChanges, aliases: [], parent: r.parent,
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: r.options.additionalSecretOutputs,
        ...(r.options.deleteBeforeReplace ? { deleteBeforeReplace: true } : {}),
    };
}

const isTypeOf = (type: string) => (cls: { __pulumiType?: string }): boolean => cls.__pulumiType === type;
const copy = (v: Props): Props => JSON.parse(JSON.stringify(v)) as Props;

function policyResources(resources: readonly CapturedResource[]): PolicyResource[] {
    const byUrn = new Map<string, PolicyResource>();
    const built = resources.map((r) => {
        const props = unknownCheckingProxy(copy(r.outputs));
        const res: PolicyResource = {
            type: r.type, props, urn: r.urn, name: r.name, opts: options(r), dependencies: [], propertyDependencies: {},
            isType: isTypeOf(r.type) as PolicyResource["isType"],
            asType: ((cls: { __pulumiType?: string }) => (cls.__pulumiType === r.type ? props : undefined)) as PolicyResource["asType"],
        };
        byUrn.set(r.urn, res);
        return res;
    });
    resources.forEach((r, i) => {
        const link = (urns: readonly string[]) => urns.map((u) => byUrn.get(u)).filter((x): x is PolicyResource => x !== undefined);
        built[i].parent = r.parent ? byUrn.get(r.parent) : undefined;
        built[i].dependencies = link(r.dependencies);
        for (const [k, urns] of Object.entries(r.propertyDependencies)) {
            built[i].propertyDependencies[k] = link(urns);
        }
    });
    return built;
}

/** Runs one policy over the resources: validateResource per resource, or validateStack once. */
export async function runPolicy(policy: ResourceValidationPolicy | StackValidationPolicy, resources: readonly CapturedResource[],
    o: RunOptions = {}): Promise<PolicyResult> {
    const stack = o.stack ?? /^urn:pulumi:([^:]+)::/.exec(resources[0]?.urn ?? "")?.[1] ?? "prod";
    const rootStack = `urn:pulumi:${stack}::${PROJECT}::pulumi:pulumi:Stack::${PROJECT}-${stack}`;
    const stackTags: ReadonlyMap<string, string> = new Map(Object.entries({ "pulumi:project": PROJECT, "pulumi:runtime": "nodejs", ...o.tags }));
    const getConfig = <T extends object>(): T => ({ ...(o.config ?? {}) }) as T;
    const diagnostics: Finding[] = [];
    const skipped: PolicyResult["notApplicable"] = [];
    const call = async (urn: string | undefined, validate: (report: (message: string, urn?: string) => void) => unknown): Promise<void> => {
        const report = (message: string, violationUrn?: string) => diagnostics.push({
            policyName: policy.name, urn: violationUrn || urn || rootStack, enforcementLevel: "mandatory",
            message: message ? `${policy.description}\n${message}` : policy.description,
        });
        try {
            await Promise.resolve(validate(report));
        } catch (e) {
            if (e instanceof UnknownValueError) {
                diagnostics.push({
                    policyName: policy.name, urn: urn ?? rootStack, enforcementLevel: "advisory",
                    message: `can't run policy '${policy.name}' from policy pack '${pack.name}@v${PACK_VERSION}' during preview: ${e.message}`,
                });
            } else if (e instanceof NotApplicableError) {
                skipped.push({ policyName: policy.name, urn, reason: e.reason });
            } else {
                throw e;
            }
        }
    };
    if ("validateStack" in policy && policy.validateStack) {
        const args: StackValidationArgs = { resources: policyResources(resources), getConfig, stackTags, notApplicable };
        await call(undefined, (report) => policy.validateStack(args, report));
    } else {
        const validations = [(policy as ResourceValidationPolicy).validateResource ?? []].flat();
        for (const r of resources) {
            for (const validate of validations) {
                const props = unknownCheckingProxy(copy(r.inputs));
                const args: ResourceValidationArgs = {
                    type: r.type, props, urn: r.urn, name: r.name, opts: options(r), stackTags, getConfig, notApplicable,
                    isType: isTypeOf(r.type) as ResourceValidationArgs["isType"],
                    asType: ((cls: { __pulumiType?: string }) => (cls.__pulumiType === r.type ? props : undefined)) as ResourceValidationArgs["asType"],
                };
                await call(r.urn, (report) => validate(args, report));
            }
        }
    }
    const mandatory = diagnostics.filter((d) => d.enforcementLevel === "mandatory");
    return {
        diagnostics, mandatory, notApplicable: skipped, text: mandatory.map((d) => d.message).join("\n"),
        advisory: diagnostics.filter((d) => d.enforcementLevel === "advisory"),
    };
}
