// Loads the files the pods run from scripts/ (flat; file name = ConfigMap key), so the ConfigMaps carry
// exactly the files that are in the repository, shellchecked and tested, never inline strings.

import * as fs from "fs";
import * as path from "path";
import { SCRIPTS } from "../lib/contract";

/** The repository's scripts/ directory. */
export const SCRIPTS_DIR = path.resolve(__dirname, "..", "scripts");

/** ConfigMaps hold at most 1 MiB in total. */
const CONFIGMAP_LIMIT_BYTES = 1024 * 1024;
const KEY = /^[-._a-zA-Z0-9]+$/;

export class ScriptsError extends Error {}

/** The scripts the workloads run (lib/contract.ts SCRIPTS): each must be a file in scripts/. */
export const REQUIRED_SCRIPTS: readonly string[] = Object.values(SCRIPTS);

/**
 * Every file of `dir`, name → content (byte-exact UTF-8), sorted by name. Throws when the directory
 * is empty, not flat, or lacks a script a workload runs (a pod would fail at its first start).
 */
export function loadScripts(dir: string = SCRIPTS_DIR, required: readonly string[] = REQUIRED_SCRIPTS): Readonly<Record<string, string>> {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new ScriptsError(`scripts directory ${dir} does not exist: the pods run the files in it`);
    }
    const out: Record<string, string> = {};
    let total = 0;
    for (const name of fs.readdirSync(dir).sort()) {
        const file = path.join(dir, name);
        const stat = fs.statSync(file);
        if (stat.isDirectory()) {
            throw new ScriptsError(`${file} is a directory: scripts/ is flat (file name = ConfigMap key)`);
        }
        if (!stat.isFile()) {
            continue;
        }
        if (!KEY.test(name)) {
            throw new ScriptsError(`${file}: "${name}" is not a valid ConfigMap key (allowed: letters, digits, -, _ and .)`);
        }
        const bytes = fs.readFileSync(file);
        const text = bytes.toString("utf8");
        if (!Buffer.from(text, "utf8").equals(bytes)) {
            throw new ScriptsError(`${file} is not valid UTF-8 text: a ConfigMap's data holds text only`);
        }
        total += bytes.length;
        out[name] = text;
    }
    if (Object.keys(out).length === 0) {
        throw new ScriptsError(`scripts directory ${dir} is empty: the pods run the files in it`);
    }
    const missing = missingScripts(out, required);
    if (missing.length > 0) {
        throw new ScriptsError(`scripts directory ${dir} lacks ${missing.join(", ")}: the pods run ${missing.length === 1 ? "it" : "them"}`);
    }
    if (total > CONFIGMAP_LIMIT_BYTES * 0.9) {
        throw new ScriptsError(`scripts in ${dir} total ${total} bytes: too close to the 1 MiB ConfigMap limit`);
    }
    return out;
}

/** The names in `required` that are not among the loaded scripts. */
export function missingScripts(scripts: Readonly<Record<string, string>>, required: readonly string[]): string[] {
    return required.filter((name) => !(name in scripts));
}
