// The stack as the engine hands it to the analyzer, built from what the harness captured: the
// program's resources plus what the engine adds (the root Stack, parent of top-level resources and
// holder of the stack outputs, and one default provider per package), and the stack tags the CLI
// sends ConfigureStack. Values built from `secure:` config, which cannot be decrypted offline, are
// unknown, as values the engine does not know.

import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { UNKNOWN_STRING_SENTINEL } from "../../policy/lib/values";
import { CapturedResource, PROJECT, REPO_ROOT, securePlaceholder } from "../harness";
import { AnalyzerResource } from "./analyzer";

/**
 * A captured resource as the engine hands it to the analyzer (inputs are what Analyze sees, outputs
 * what AnalyzeStack sees), with the analyzer's options and the resource's provider instead of the
 * captured options and secret paths.
 */
export interface EngineResource extends Omit<CapturedResource, "secretPaths" | "options"> {
    readonly options: AnalyzerResource["options"];
    readonly provider?: { readonly urn: string; readonly type: string; readonly name: string; readonly properties: Record<string, unknown> };
}

/** Round trip through JSON, as the engine's protobuf Struct does (drops undefined, copies). */
function structCopy<T>(value: T): T {
    return value === undefined ? value : JSON.parse(JSON.stringify(value)) as T;
}

function providerVersion(pkg: string): string | undefined {
    try {
        return String(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules", "@pulumi", pkg, "package.json"), "utf8")).version);
    } catch {
        return undefined;
    }
}

const NO_OPTIONS: EngineResource["options"] = { protect: false, ignoreChanges: [], additionalSecretOutputs: [], aliases: [] };

export function rootStackUrn(stack: string, project = PROJECT): string {
    return `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`;
}

/** The program's resources with the root Stack first and the default providers the engine registers. */
export function engineResources(project: string, stack: string, captured: readonly CapturedResource[], stackOutputs: Record<string, unknown>): EngineResource[] {
    const root = rootStackUrn(stack, project);
    const byUrn = new Map(captured.map((r) => [r.urn, r]));
    const out: EngineResource[] = [{
        urn: root, type: "pulumi:pulumi:Stack", name: `${project}-${stack}`, custom: false,
        dependencies: [], propertyDependencies: {}, inputs: {}, outputs: structCopy(stackOutputs), options: NO_OPTIONS,
    }];
    const providers = new Map<string, EngineResource>();
    const providerFor = (r: CapturedResource): EngineResource["provider"] => {
        if (!r.custom) {
            return undefined;
        }
        if (r.options.provider) {
            const urn = r.options.provider.split("::").slice(0, -1).join("::") || r.options.provider;
            const p = byUrn.get(urn);
            return p ? { urn: p.urn, type: p.type, name: p.name, properties: structCopy(p.inputs) } : undefined;
        }
        const pkg = r.type.split(":")[0];
        let p = providers.get(pkg);
        if (!p) {
            const version = providerVersion(pkg);
            const name = `default${version ? `_${version.replace(/[.-]/g, "_")}` : ""}`;
            const props: Record<string, unknown> = version ? { version } : {};
            p = {
                urn: `urn:pulumi:${stack}::${project}::pulumi:providers:${pkg}::${name}`, type: `pulumi:providers:${pkg}`, name,
                custom: true, dependencies: [], propertyDependencies: {}, inputs: props, outputs: props, options: NO_OPTIONS,
            };
            providers.set(pkg, p);
            out.push(p);
        }
        return { urn: p.urn, type: p.type, name: p.name, properties: structCopy(p.inputs) };
    };
    for (const r of captured) {
        const parent = r.parent ?? root;
        out.push({
            urn: r.urn, type: r.type, name: r.name, custom: r.custom, parent,
            dependencies: [...r.dependencies], propertyDependencies: structCopy(r.propertyDependencies),
            inputs: structCopy(r.inputs), outputs: structCopy(r.outputs),
            options: {
                protect: r.options.protect, ignoreChanges: [...r.options.ignoreChanges],
                deleteBeforeReplace: r.options.deleteBeforeReplace ? true : undefined,
                additionalSecretOutputs: [...r.options.additionalSecretOutputs], aliases: [], parent,
            },
            provider: providerFor(r),
        });
    }
    return out;
}

/**
 * `secure:` stack config cannot be decrypted offline; the harness substitutes placeholders. The
 * engine would see the real values, so offline every string built from a placeholder (also inside
 * base64 Secret data) is unknown.
 */
export function blankSecureConfig(resources: readonly EngineResource[], config: Record<string, string>): EngineResource[] {
    const prefix = securePlaceholder("x").replace(/[0-9a-f]{32}$/, "");
    const re = new RegExp(`${prefix}[0-9a-f]{32}`, "g");
    // Most placeholders share a prefix; one of a validated format (the libsodium key) is recognised by key.
    const byKey = Object.entries(config).filter(([k, v]) => v === securePlaceholder(k)).map(([, v]) => v);
    const placeholders = [...new Set([...Object.values(config).flatMap((v) => v.match(re) ?? []), ...byKey])];
    if (placeholders.length === 0) {
        return [...resources];
    }
    const derived = (s: string): boolean => placeholders.some((g) => s.includes(g)) ||
        (s.length >= 8 && s.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(s) &&
            placeholders.some((g) => Buffer.from(s, "base64").toString("utf8").includes(g)));
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
    return resources.map((r) => ({ ...r, inputs: blank(r.inputs) as Record<string, unknown>, outputs: blank(r.outputs) as Record<string, unknown> }));
}

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

/** What Analyze gets for a resource (its inputs) and what AnalyzeStack gets (its outputs). */
export function forAnalyze(r: EngineResource): AnalyzerResource {
    return { ...r, properties: r.inputs };
}

export function forAnalyzeStack(r: EngineResource): AnalyzerResource {
    return { ...r, properties: r.outputs };
}
