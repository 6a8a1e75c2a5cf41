// The rule of docs/architecture.md ("Repository layout"), read from the sources with TypeScript's
// parser: which part of the program may import which, which packages it may use, and who may read the
// stack config. test/architecture.test.ts applies it to the repository and to small broken trees.
// (policy/ importing nothing outside itself is test/policy/standalone.test.ts.)

import * as fs from "fs";
import { builtinModules } from "module";
import * as path from "path";
import * as ts from "typescript";

/** The parts of the program; anything else (tools/, lab/, test/, policy/ outside lib/) is "other". */
export type Part = "program" | "config" | "components" | "lib" | "policy/lib" | "other";

/** What each part of the program may import: `values` fully, `types` with `import type` only. */
export const IMPORT_RULE: Readonly<Record<Exclude<Part, "policy/lib" | "other">, { values: readonly Part[]; types: readonly Part[] }>> = {
    // index.ts and outputs.ts: read the config, build the components, export.
    program: { values: ["program", "config", "components"], types: [] },
    // The config: parsed and checked against the pack's defaults and parsers.
    config: { values: ["config", "lib", "policy/lib"], types: [] },
    // Components never load config: they get typed values (and may name config's types).
    components: { values: ["components", "lib", "policy/lib"], types: ["config"] },
    lib: { values: ["lib"], types: [] },
};

/** Reading stack config: only config/load.ts. */
const CONFIG_READS = new Set(["Config", "allConfig", "getConfig", "isConfigSecret"]);
/** The stack's identity and history: only config/ (components get the stack name in their context). */
const STACK_READS = new Set(["getStack", "getProject", "getOrganization", "StackReference"]);
export const CONFIG_LOADER = "config/load.ts";

export interface Finding {
    /** File relative to the root. */
    readonly file: string;
    readonly what: string;
}

export function partOf(file: string): Part {
    const f = file.split(path.sep).join("/");
    if (f === "index.ts" || f === "outputs.ts") {
        return "program";
    }
    for (const part of ["policy/lib", "config", "components", "lib"] as const) {
        if (f.startsWith(`${part}/`)) {
            return part;
        }
    }
    return "other";
}

/** The program's source files under `root`: index.ts, outputs.ts, config/, components/, lib/. */
export function programFiles(root: string): string[] {
    const walk = (rel: string): string[] => {
        const abs = path.join(root, rel);
        if (!fs.existsSync(abs)) {
            return [];
        }
        if (fs.statSync(abs).isFile()) {
            return rel.endsWith(".ts") && !rel.endsWith(".d.ts") ? [rel] : [];
        }
        return fs.readdirSync(abs).sort().flatMap((e) => walk(path.join(rel, e)));
    };
    return ["index.ts", "outputs.ts", "config", "components", "lib"].flatMap(walk);
}

interface Import {
    readonly specifier: string;
    readonly typeOnly: boolean;
}

function importsOf(source: ts.SourceFile): Import[] {
    const out: Import[] = [];
    const visit = (node: ts.Node): void => {
        if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
            const clause = node.importClause;
            const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
            const typeOnly = !!clause && (clause.isTypeOnly ||
                (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
            out.push({ specifier: node.moduleSpecifier.text, typeOnly });
        } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
            const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
            out.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)) });
        } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) &&
            ts.isStringLiteral(node.moduleReference.expression)) {
            out.push({ specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly });
        } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
            out.push({ specifier: node.argument.literal.text, typeOnly: true });
        } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0]) &&
            ((ts.isIdentifier(node.expression) && node.expression.text === "require") || node.expression.kind === ts.SyntaxKind.ImportKeyword)) {
            out.push({ specifier: node.arguments[0].text, typeOnly: false });
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return out;
}

/** The package a bare specifier names ("@scope/name/x" → "@scope/name", "node:fs" → "fs"). */
function packageOf(specifier: string): string {
    const bare = specifier.replace(/^node:/, "");
    const parts = bare.split("/");
    return bare.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** The file a relative import names, relative to `root` (a folder is its index.ts). */
function resolveImport(root: string, file: string, specifier: string): string {
    const target = path.resolve(root, path.dirname(file), specifier);
    const candidates = [target, `${target}.ts`, path.join(target, "index.ts")];
    const found = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile()) ?? target;
    return path.relative(root, found);
}

function parse(root: string, file: string): ts.SourceFile {
    return ts.createSourceFile(file, fs.readFileSync(path.join(root, file), "utf8"), ts.ScriptTarget.Latest, true);
}

/**
 * Every import of the program under `root` that breaks IMPORT_RULE, or names a package that is not
 * among package.json's dependencies (what a deployment installs) or Node's built-in modules.
 */
export function importViolations(root: string): Finding[] {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    const dependencies = new Set(Object.keys(pkg.dependencies ?? {}));
    const out: Finding[] = [];
    for (const file of programFiles(root)) {
        const from = partOf(file) as keyof typeof IMPORT_RULE;
        const rule = IMPORT_RULE[from];
        for (const { specifier, typeOnly } of importsOf(parse(root, file))) {
            if (specifier.startsWith(".")) {
                const target = resolveImport(root, file, specifier);
                const to = target.startsWith("..") ? "other" : partOf(target);
                if (!rule.values.includes(to) && !(typeOnly && rule.types.includes(to))) {
                    const allowed = [...rule.values, ...rule.types.map((t) => `${t} (import type)`)].join(", ");
                    out.push({ file, what: `imports ${specifier} (${to}${typeOnly ? ", types" : ""}): ${from} may import ${allowed}` });
                }
            } else if (!builtinModules.includes(specifier.replace(/^node:/, "")) && !dependencies.has(packageOf(specifier))) {
                out.push({ file, what: `imports ${specifier}: package ${packageOf(specifier)} is not a dependency in package.json` });
            }
        }
    }
    return out;
}

/**
 * Every place of the program under `root` that reads stack config (pulumi.Config, runtime.allConfig/
 * getConfig/isConfigSecret, the runtime/config module) or the stack's identity (getStack, getProject,
 * getOrganization, StackReference).
 */
export function stackReads(root: string): Finding[] {
    const out: Finding[] = [];
    for (const file of programFiles(root)) {
        const visit = (node: ts.Node): void => {
            const name = ts.isPropertyAccessExpression(node) ? node.name.text
                : ts.isImportSpecifier(node) ? (node.propertyName ?? node.name).text : undefined;
            if (name !== undefined && (CONFIG_READS.has(name) || STACK_READS.has(name))) {
                out.push({ file, what: name });
            }
            if (ts.isStringLiteral(node) && /^@pulumi\/pulumi\/runtime\/config(\.js)?$/.test(node.text)) {
                out.push({ file, what: node.text });
            }
            ts.forEachChild(node, visit);
        };
        visit(parse(root, file));
    }
    return out;
}

/** The reads of stackReads that break the rule: config reads outside config/load.ts, identity outside config/. */
export function stackReadViolations(root: string): Finding[] {
    return stackReads(root).filter(({ file, what }) => STACK_READS.has(what)
        ? partOf(file) !== "config"
        : file.split(path.sep).join("/") !== CONFIG_LOADER);
}
