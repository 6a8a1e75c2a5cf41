// Stack files (Pulumi.<stack>.yaml) read into the flat config map the language host passes a
// program (PULUMI_CONFIG): "ternent-postgres:key" → string, objects JSON-encoded, `secure:` values
// replaced by their offline placeholders.

import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { PROJECT } from "../../policy/lib/project";
import { securePlaceholder } from "./secrets";

export { PROJECT };
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface StackConfigInput {
    /** Flat config map, "ternent-postgres:key" → string (objects JSON-encoded), as PULUMI_CONFIG holds it. */
    readonly config: Record<string, string>;
    /** Config keys that are secret. */
    readonly secretKeys: string[];
}

/** The path of Pulumi.<stack>.yaml in the repository. */
export function stackFilePath(stack: string): string {
    return path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
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
