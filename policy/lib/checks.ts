// How a policy reports: mandatory violations on known values, and one advisory note listing the
// checks an unknown value hid during preview.
//
// The analyzer turns an UnknownValueError thrown by a policy into an advisory diagnostic ("can't run
// policy … during preview: <message>") and keeps the violations reported before it. So a policy runs
// every check it can, records what unknown values hid, and throws one UnknownValueError at the end.

import {
    PolicyConfigSchema, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { UnknownValueError } from "./sdk";
import { UNKNOWN_STRING_SENTINEL } from "./values";

/** Thrown at the end of a policy run when unknown values hid some checks. */
export class HiddenByUnknownValues extends UnknownValueError {
    readonly hidden: string[];
    constructor(hidden: string[]) {
        super(UNKNOWN_STRING_SENTINEL, []);
        this.hidden = hidden;
        this.message = `${hidden.length} check(s) need values that are unknown until the resources exist; ` +
            `they run again on \`pulumi up\`: ${hidden.join("; ")}`;
    }
}

export class Checks {
    private readonly hiddenChecks: string[] = [];
    violations = 0;

    constructor(private readonly report: ReportViolation) {}

    /** Reports a violation; stack policies name the resource it is about. */
    violation(message: string, urn?: string): void {
        this.violations++;
        this.report(message, urn);
    }

    /** Records that an unknown value hid a check (what could not be checked, and why). */
    unknown(what: string): void {
        if (!this.hiddenChecks.includes(what)) {
            this.hiddenChecks.push(what);
        }
    }

    get hidden(): readonly string[] {
        return this.hiddenChecks;
    }

    finish(): void {
        if (this.hiddenChecks.length > 0) {
            throw new HiddenByUnknownValues([...this.hiddenChecks]);
        }
    }
}

/** Schema properties with defaults; the engine fills these in too, direct callers (tests) get them here. */
export type ConfigProperties = PolicyConfigSchema["properties"];

/** The policy's config: schema defaults overlaid with what the pack config provides. */
export function configWithDefaults<T extends object>(schema: PolicyConfigSchema | undefined, given: object): T {
    const out: Record<string, unknown> = {};
    for (const [key, prop] of Object.entries(schema?.properties ?? {})) {
        if (typeof prop === "object" && prop.default !== undefined) {
            out[key] = prop.default;
        }
    }
    for (const [key, value] of Object.entries(given ?? {})) {
        if (value !== undefined && key !== "enforcementLevel") {
            out[key] = value;
        }
    }
    return out as T;
}

interface Common {
    readonly name: string;
    readonly description: string;
    readonly configSchema?: PolicyConfigSchema;
    readonly remediationSteps: string;
    readonly severity?: "low" | "medium" | "high" | "critical";
}

export interface StackPolicyDef<C> extends Common {
    validate(args: StackValidationArgs, checks: Checks, config: C): void;
}

export interface ResourcePolicyDef<C> extends Common {
    validate(args: ResourceValidationArgs, checks: Checks, config: C): void;
}

const TAGS = ["ternent-postgres", "recoverability"];

/** What both kinds of policy share: name, description, mandatory enforcement, severity, tags, remediation, config schema. */
function common(def: Common) {
    return {
        name: def.name,
        description: def.description,
        enforcementLevel: "mandatory" as const,
        severity: def.severity ?? "high",
        tags: TAGS,
        remediationSteps: def.remediationSteps,
        configSchema: def.configSchema,
    };
}

/** Runs one validation with a fresh Checks and the config (schema defaults overlaid with the pack config), then reports what it found. */
function run<A extends { getConfig<T extends object>(): T }, C extends object>(
    validate: (args: A, checks: Checks, config: C) => void,
    configSchema: PolicyConfigSchema | undefined,
    args: A,
    reportViolation: ReportViolation,
): void {
    const checks = new Checks(reportViolation);
    validate(args, checks, configWithDefaults<C>(configSchema, args.getConfig()));
    checks.finish();
}

/** A mandatory stack validation policy whose violations and unknowns go through Checks. */
export function stackPolicy<C extends object>(def: StackPolicyDef<C>): StackValidationPolicy {
    return {
        ...common(def),
        validateStack: (args, reportViolation) => run(def.validate, def.configSchema, args, reportViolation),
    };
}

/** A mandatory resource validation policy whose violations and unknowns go through Checks. */
export function resourcePolicy<C extends object>(def: ResourcePolicyDef<C>): ResourceValidationPolicy {
    return {
        ...common(def),
        validateResource: (args, reportViolation) => run(def.validate, def.configSchema, args, reportViolation),
    };
}
