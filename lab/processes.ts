// Processes, temp directories and clean-up for the lab: every process group started here is killed
// (SIGKILL) and every temp dir removed when this Node process exits, also after a failed test, Ctrl-C,
// SIGTERM or SIGHUP; TERNENT_LAB_KEEP=1 keeps the directories.
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export interface RunResult {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    /** The last stdout line that parses as a JSON object, if any. */
    json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
    ms: number;
}

export interface RunOptions {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    input?: string;
    timeoutMs?: number;
    /** Run as this OS user (uid/gid), e.g. the postgres user when the lab runs as root. */
    user?: OsUser;
    /**
     * Keep the rest of the process group alive when the command exits (e.g. a script that leaves a
     * server running on purpose). Default: the group is killed with its leader, so nothing leaks.
     * Either way everything is killed when this Node process exits.
     */
    leaveGroup?: boolean;
}

export interface OsUser {
    name: string;
    uid: number;
    gid: number;
}

const liveGroups = new Set<number>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
    if (exitHookInstalled) return;
    exitHookInstalled = true;
    process.on("exit", killEverything);
    // Node's default action for these signals skips the exit hook, which would leak servers.
    for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
        process.once(signal, () => {
            process.stderr.write(`\n[lab] ${signal}: stopping ${liveGroups.size} process group(s), removing temp dirs\n`);
            killEverything();
            process.exit(code);
        });
    }
}

/** Kill every process group this module started and remove its temp dirs (synchronous). */
export function killEverything(): void {
    for (const pgid of liveGroups) {
        try {
            process.kill(-pgid, "SIGKILL");
        } catch {
            /* already gone */
        }
    }
    liveGroups.clear();
    if (process.env.TERNENT_LAB_KEEP !== "1") {
        for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
        tempDirs.clear();
    }
}

export function track(child: ChildProcess, leaveGroup = false): void {
    installExitHook();
    if (child.pid === undefined) return;
    const pgid = child.pid;
    liveGroups.add(pgid);
    child.once("exit", () => {
        if (leaveGroup) return;
        // The group may outlive its leader (e.g. postgres backends); reap it too.
        try {
            process.kill(-pgid, "SIGKILL");
        } catch {
            /* gone */
        }
        liveGroups.delete(pgid);
    });
}

function lastJsonLine(stdout: string): unknown {
    const lines = stdout.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("{"));
    for (let i = lines.length - 1; i >= 0; i--) {
        try {
            return JSON.parse(lines[i]);
        } catch {
            /* not JSON */
        }
    }
    return undefined;
}

/** Run a command to completion in its own process group; kill the group on timeout. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, {
            env: opts.env ?? process.env,
            cwd: opts.cwd,
            detached: true,
            stdio: ["pipe", "pipe", "pipe"],
            uid: opts.user?.uid,
            gid: opts.user?.gid,
        });
        track(child, opts.leaveGroup);
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (d) => (stdout += d));
        child.stderr!.on("data", (d) => (stderr += d));
        child.stdin!.on("error", () => undefined);
        child.stdin!.end(opts.input ?? "");
        let timer: NodeJS.Timeout | undefined;
        if (opts.timeoutMs) {
            timer = setTimeout(() => {
                stderr += `\n[lab] timeout after ${opts.timeoutMs} ms: ${cmd} ${args.join(" ")}\n`;
                try {
                    process.kill(-child.pid!, "SIGKILL");
                } catch {
                    /* gone */
                }
            }, opts.timeoutMs);
        }
        child.on("error", (err) => {
            if (timer) clearTimeout(timer);
            reject(new Error(`cannot run ${cmd}: ${err.message}`));
        });
        child.on("close", (code, signal) => {
            if (timer) clearTimeout(timer);
            resolve({ code, signal, stdout, stderr, json: lastJsonLine(stdout), ms: Date.now() - started });
        });
    });
}

/** Like run() but throws with stderr when the exit code is not 0. */
export async function runOk(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const r = await run(cmd, args, opts);
    if (r.code !== 0) {
        throw new Error(`${path.basename(cmd)} ${args.join(" ")} exited ${r.code ?? r.signal}:\n${r.stderr}${r.stdout}`);
    }
    return r;
}

export function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

/** Poll fn until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 200): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastErr: unknown;
    for (;;) {
        try {
            const v = await fn();
            if (v) return v;
        } catch (e) {
            lastErr = e;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ""}`);
        }
        await sleep(everyMs);
    }
}

export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

/** A temp dir removed on exit (unless TERNENT_LAB_KEEP=1). Short paths keep unix sockets < 108 bytes. */
export function makeTempDir(prefix = "tpg-"): string {
    installExitHook();
    const dir = fs.mkdtempSync(path.join(process.env.TERNENT_LAB_TMP ?? os.tmpdir(), prefix));
    fs.chmodSync(dir, 0o755);
    tempDirs.add(dir);
    return dir;
}

export function removeTempDir(dir: string): void {
    if (process.env.TERNENT_LAB_KEEP === "1") return;
    fs.rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
}

/** The OS user PostgreSQL runs as: `postgres` when we are root (PostgreSQL refuses root), else ourselves. */
export function postgresOsUser(): OsUser | undefined {
    if (process.getuid?.() !== 0) return undefined;
    const name = process.env.TERNENT_LAB_OS_USER ?? "postgres";
    const uid = spawnSync("id", ["-u", name], { encoding: "utf8" });
    const gid = spawnSync("id", ["-g", name], { encoding: "utf8" });
    if (uid.status !== 0 || gid.status !== 0) {
        throw new Error(`running as root needs the OS user '${name}' for PostgreSQL (set TERNENT_LAB_OS_USER)`);
    }
    return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export function chownTree(dir: string, user: OsUser | undefined): void {
    if (!user) return;
    spawnSync("chown", ["-R", `${user.uid}:${user.gid}`, dir]);
}

export function tail(file: string, bytes = 3000): string {
    try {
        const s = fs.readFileSync(file, "utf8");
        return s.slice(-bytes);
    } catch {
        return `(no ${file})`;
    }
}
