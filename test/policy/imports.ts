// The import rule of the policy pack: `pulumi policy publish` uploads the pack's folder and nothing
// else, so every file under policy/ may import only files under policy/ and the packages its own
// package.json declares (or Node's built-in modules). Specifiers are read with TypeScript's
// preProcessFile (imports, exports, import types, require() and import() with literal arguments).

import * as fs from "fs";
import { builtinModules } from "module";
import * as path from "path";
import * as ts from "typescript";

export interface ImportViolation {
    /** File relative to the pack directory. */
    readonly file: string;
    readonly specifier: string;
    readonly why: string;
}

const SOURCE = /\.(ts|tsx|js|mjs|cjs)$/;

function sources(dir: string, rel = ""): string[] {
    return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
        const child = path.join(rel, e.name);
        if (e.isDirectory()) {
            return ["node_modules", "bin"].includes(e.name) || e.name.startsWith(".") ? [] : sources(dir, child);
        }
        return SOURCE.test(e.name) && !e.name.endsWith(".d.ts") ? [child] : [];
    });
}

/** The package a bare specifier names ("@scope/name/x" → "@scope/name", "node:fs" → "fs"). */
function packageOf(specifier: string): string {
    const bare = specifier.replace(/^node:/, "");
    const parts = bare.split("/");
    return bare.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Every import in the pack at `dir` that reaches outside it or names an undeclared package. */
export function importViolations(dir: string): ImportViolation[] {
    const root = path.resolve(dir);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as
        { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})]);
    const out: ImportViolation[] = [];
    for (const file of sources(root)) {
        const text = fs.readFileSync(path.join(root, file), "utf8");
        for (const { fileName: specifier } of ts.preProcessFile(text, true, true).importedFiles) {
            if (specifier.startsWith(".") || path.isAbsolute(specifier)) {
                const target = path.resolve(root, path.dirname(file), specifier);
                if (path.relative(root, target).startsWith("..") || path.isAbsolute(path.relative(root, target))) {
                    out.push({ file, specifier, why: `resolves to ${path.relative(root, target)}, outside the pack` });
                }
            } else if (!builtinModules.includes(specifier.replace(/^node:/, "")) && !declared.has(packageOf(specifier))) {
                out.push({ file, specifier, why: `package ${packageOf(specifier)} is not in the pack's package.json` });
            }
        }
    }
    return out;
}

/** How many source files importViolations read (so a test can tell it looked). */
export function packSources(dir: string): string[] {
    return sources(path.resolve(dir));
}
