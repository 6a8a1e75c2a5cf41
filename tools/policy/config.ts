// The policy pack config as the engine handles `--policy-pack-config` before it calls Configure:
// parse the document ({"all": level, "<policy>": level | {enforcementLevel?, <key>: value}}), start
// from each policy's schema defaults and level as GetAnalyzerInfo reports them, apply `all`, then
// each policy's entry, and validate every policy's settings against its JSON schema (the analyzer
// itself does not validate; the engine does, with a JSON-schema validator, as ajv does here). Unlike
// the engine, names that are not policies of the pack are refused: the engine would ignore them
// silently and leave the default in force.

import Ajv from "ajv";
import * as fs from "fs";
import { AnalyzerInfo, EnforcementLevel, PolicyConfig } from "./analyzer";

export class PolicyConfigError extends Error {}

/** One entry of a --policy-pack-config document. */
export interface GivenPolicyConfig {
    readonly enforcementLevel?: EnforcementLevel;
    readonly properties: Record<string, unknown>;
}
export type GivenConfig = Readonly<Record<string, GivenPolicyConfig>>;

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** Parses a --policy-pack-config document. */
export function parsePolicyPackConfig(doc: unknown): GivenConfig {
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
        throw new PolicyConfigError("policy pack config must be a JSON object of policy name → level or settings");
    }
    const out: Record<string, GivenPolicyConfig> = {};
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

export function loadPolicyPackConfig(file: string): GivenConfig {
    let doc: unknown;
    try {
        doc = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new PolicyConfigError(`cannot read policy pack config ${file}: ${(e as Error).message}`);
    }
    return parsePolicyPackConfig(doc);
}

/** Every policy's level and settings: schema defaults, then `all`, then the given entries; validated. */
export function reconcilePolicyConfig(info: AnalyzerInfo, given: GivenConfig = {}): Record<string, PolicyConfig> {
    const names = info.policies.map((p) => p.name);
    const unknown = Object.keys(given).filter((n) => n !== "all" && !names.includes(n));
    if (unknown.length > 0) {
        throw new PolicyConfigError(`policy pack config names ${unknown.map((n) => `"${n}"`).join(", ")}, which ${unknown.length === 1 ? "is not a policy" : "are not policies"} ` +
            `of ${info.name} (policies: ${names.join(", ")})`);
    }
    const all = given.all?.enforcementLevel;
    const ajv = new Ajv({ allErrors: true, strict: false });
    const errors: string[] = [];
    const result: Record<string, PolicyConfig> = {};
    for (const p of info.policies) {
        const defaults = Object.fromEntries(Object.entries(p.configSchema?.properties ?? {})
            .filter(([, s]) => s.default !== undefined).map(([k, s]) => [k, s.default]));
        const entry = given[p.name];
        const config: PolicyConfig = {
            enforcementLevel: entry?.enforcementLevel ?? all ?? p.enforcementLevel,
            properties: { ...defaults, ...entry?.properties },
        };
        result[p.name] = config;
        if (p.configSchema) {
            const validate = ajv.compile({ type: "object", properties: p.configSchema.properties, required: p.configSchema.required });
            if (!validate(config.properties)) {
                for (const e of validate.errors ?? []) {
                    const key = e.instancePath.replace(/^\//, "").replace(/\//g, ".") || String(e.params.missingProperty ?? "");
                    const value = e.instancePath ? JSON.stringify(e.instancePath.split("/").slice(1).reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], config.properties)) : "";
                    errors.push(`${p.name}: ${key}: ${e.message}${value ? ` (given ${value})` : ""}`);
                }
            }
        }
    }
    if (errors.length > 0) {
        throw new PolicyConfigError(`policy pack configuration is invalid:\n  ${errors.join("\n  ")}`);
    }
    return result;
}
