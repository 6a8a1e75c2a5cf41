// Helpers of the real-engine tests: where build.sh put the tools, why they are unavailable (the tests
// skip with that reason), and tools/realengine/preview.sh runs cached by a hash of everything that can
// change their result, so an unchanged tree does not pay for the real engine twice.

import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn } from "child_process";

export const REPO = path.resolve(__dirname, "..", "..");
export const CACHE = process.env.TERNENT_CACHE || path.join(os.homedir(), ".cache", "ternent-postgres");
export const RE_ROOT = path.join(CACHE, "realengine");
export const RE_BIN = path.join(RE_ROOT, "bin");

export interface ToolStatus {
    readonly pulumi: string;
    readonly plugins: string;
    readonly policyAnalyzer: string;
    readonly route: string;
    readonly bin: string;
    readonly pulumiHome: string;
}

/** null when every tool is there, else why the real-engine tests cannot run. */
export function unavailable(): string | null {
    const file = path.join(RE_ROOT, "status.json");
    if (!fs.existsSync(file)) {
        return `real-engine tools not built (${file} missing): run 'bash tools/realengine/build.sh'`;
    }
    const s = JSON.parse(fs.readFileSync(file, "utf8")) as ToolStatus;
    const bad = (["pulumi", "plugins", "policyAnalyzer"] as const).filter((k) => s[k] !== "ok").map((k) => `${k}: ${s[k]}`);
    return bad.length > 0 ? `real-engine tools not available: ${bad.join("; ")}` : null;
}

export function toolStatus(): ToolStatus {
    return JSON.parse(fs.readFileSync(path.join(RE_ROOT, "status.json"), "utf8")) as ToolStatus;
}

/** The environment tools/realengine/env.sh sets, for running the built binaries directly. */
export function engineEnv(): NodeJS.ProcessEnv {
    return {
        ...process.env,
        PULUMI_HOME: path.join(RE_ROOT, "pulumi-home"),
        PATH: `${RE_BIN}:${process.env.PATH ?? ""}`,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_DISABLE_REGISTRY_RESOLVE: "true",
        PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
    };
}

export interface Exec {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs a command in its own process group; on timeout the whole group is killed. */
export function exec(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Exec> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { cwd: opts.cwd ?? REPO, env: opts.env ?? process.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
        child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
        const timer = setTimeout(() => {
            try {
                process.kill(-child.pid!, "SIGTERM");
                setTimeout(() => { try { process.kill(-child.pid!, "SIGKILL"); } catch { /* gone */ } }, 10_000).unref();
            } catch { /* gone */ }
            reject(new Error(`${cmd} ${args.join(" ")} timed out after ${opts.timeoutMs / 1000} s\n${stderr.slice(-2000)}`));
        }, opts.timeoutMs);
        child.on("error", (e) => { clearTimeout(timer); reject(e); });
        child.on("close", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    });
}

/** Files whose content decides what a real-engine run of the program produces. */
function inputFiles(): string[] {
    const files: string[] = [];
    const walk = (rel: string): void => {
        const abs = path.join(REPO, rel);
        if (!fs.existsSync(abs)) {
            return;
        }
        if (fs.statSync(abs).isDirectory()) {
            for (const e of fs.readdirSync(abs).sort()) {
                if (e !== "node_modules" && e !== "bin" && !e.startsWith(".")) {
                    walk(path.join(rel, e));
                }
            }
        } else {
            files.push(rel);
        }
    };
    ["index.ts", "Pulumi.yaml", "tsconfig.json", "package.json", "package-lock.json", "components", "lib", "scripts", "policy",
        "tools/harness", "tools/realengine/preview.sh", "tools/realengine/env.sh", "tools/realengine/stackfile.ts",
        "tools/realengine/driver.ts", "tools/realengine/analyzer-policy-nodejs.sh"].forEach(walk);
    return files;
}

export interface RealRun {
    /** preview.sh's exit code (0 ok, 1 preview or up failed). */
    readonly code: number;
    /** Directory with summary.json, *.log, state.json, state.secrets.json. */
    readonly out: string;
    readonly summary: { ok: boolean; step: string; seconds: Record<string, number>; resources: number };
    /** Whether this result came from the cache. */
    readonly cached: boolean;
    /** Wall-clock seconds of the run (0 when cached). */
    readonly seconds: number;
}

/**
 * Runs `tools/realengine/preview.sh --stack <stack> [args]` unless a run with identical inputs (program,
 * policy pack, stack file, scripts, tool binaries, arguments) is cached. TERNENT_REALENGINE_FRESH=1
 * forces a fresh run.
 */
export async function realRun(stack: string, stackFile: string, args: string[] = []): Promise<RealRun> {
    const h = crypto.createHash("sha256");
    for (const f of inputFiles()) {
        h.update(`${f}\0`).update(fs.readFileSync(path.join(REPO, f))).update("\0");
    }
    h.update(fs.readFileSync(stackFile)).update(JSON.stringify([stack, args]));
    for (const f of ["status.json", ".pulumi.stamp", ".pulumi-resource-passthrough.stamp", ".plugins.stamp"]) {
        const p = path.join(RE_ROOT, f);
        h.update(fs.existsSync(p) ? fs.readFileSync(p) : f);
    }
    const key = h.digest("hex").slice(0, 16);
    const runs = path.join(RE_ROOT, "runs");
    const out = path.join(runs, `${stack}-${key}`);
    const summaryFile = path.join(out, "summary.json");
    const codeFile = path.join(out, "exit-code");
    if (process.env.TERNENT_REALENGINE_FRESH !== "1" && fs.existsSync(summaryFile) && fs.existsSync(codeFile)) {
        return {
            code: Number(fs.readFileSync(codeFile, "utf8")), out, cached: true, seconds: 0,
            summary: JSON.parse(fs.readFileSync(summaryFile, "utf8")) as RealRun["summary"],
        };
    }
    // Runs write into a directory of their own and are renamed into place when whole, so concurrent
    // test runs (several sessions share the cache) never read a half-written result.
    fs.mkdirSync(runs, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(runs, `.${stack}-${key}.tmp-`));
    const started = Date.now();
    let r: Exec;
    try {
        r = await exec("bash", [path.join(REPO, "tools/realengine/preview.sh"), "--stack", stack, "--stack-file", stackFile, "--out", tmp, ...args],
            { timeoutMs: 10 * 60_000 });
        if (r.code !== 0 && r.code !== 1) {
            throw new Error(`preview.sh --stack ${stack} exited ${r.code}: ${r.stderr.slice(-3000)}`);
        }
        fs.writeFileSync(path.join(tmp, "exit-code"), String(r.code));
    } catch (e) {
        fs.rmSync(tmp, { recursive: true, force: true });
        throw e;
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    const fresh = process.env.TERNENT_REALENGINE_FRESH === "1";
    if (!fresh && fs.existsSync(codeFile)) {
        fs.rmSync(tmp, { recursive: true, force: true }); // another run put the same result in place first
    } else {
        fs.rmSync(out, { recursive: true, force: true });
        fs.renameSync(tmp, out);
    }
    for (const e of fs.readdirSync(runs)) {
        if (e.startsWith(`${stack}-`) && e !== path.basename(out)) {
            fs.rmSync(path.join(runs, e), { recursive: true, force: true });
        }
    }
    return {
        code: r.code, out, cached: false, seconds,
        summary: JSON.parse(fs.readFileSync(summaryFile, "utf8")) as RealRun["summary"],
    };
}
