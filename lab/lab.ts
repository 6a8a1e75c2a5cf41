/**
 * Local DR lab library: real MinIO, real PostgreSQL 15 and real WAL-G on loopback, running the very
 * script files the pods run with the environment the pods get. Shared by `npm run lab` (lab/cli.ts),
 * the lab tests (test/lab, test/scripts) and the retention / fault / benchmark tools.
 *
 * API (stable; extend it, do not break it):
 *   findWalg()                 -> {bin} | {reason}; walgSkipReason() -> string | undefined
 *   findTool("minio" | "mc")   -> path (TERNENT_MINIO_BIN / TERNENT_MC_BIN, $TERNENT_CACHE/bin, PATH)
 *   freePort()                 -> a free loopback port
 *   run(cmd, args, opts)       -> RunResult {code, signal, stdout, stderr, json, ms}; never throws on exit code
 *   Minio.start({dir})         -> Minio: endpoint, port, stop(), start() (same data, same port), mc(args),
 *                                 createBucket(b), addUser(key, secret, "rw" | "ro", bucket), listObjects(b, prefix)
 *   Postgres (one data dir)    -> initdb({user, password}), start(), stop("fast" | "smart" | "immediate"),
 *                                 kill9(), psql(sql), switchWalAndWaitArchived(), running, logFile
 *   SharedStorage.start()      -> one MinIO + rw/ro users for several labs (Lab.create({ storage })); stop()
 *   Lab.create(opts)           -> the whole stack: temp dirs, MinIO + bucket + rw/ro users, scripts/ copied like
 *                                 the ConfigMap (mode 0555), WAL-G installed through scripts/walg-install.sh
 *                                 (file:// tarball + sha256), postgresql.conf as the ConfigMap carries it,
 *                                 PostgreSQL initialised and started (opts.startPostgres !== false)
 *   lab.env("rw" | "ro", extra)    -> the environment a pod of that role gets (clean, not process.env)
 *   lab.runScript(name, {role, env, timeoutMs}) -> RunResult (as the postgres OS user when we are root)
 *   lab.psql(sql), lab.walg(args, role), lab.prefixFor(generation), lab.walKey(segment, generation),
 *   lab.policyName(role), lab.cleanup(); lab.walgSettings = the rendered WAL-G ConfigMap
 * Every process started here is killed (process group, SIGKILL) and every temp dir removed on exit,
 * also after a failed test, Ctrl-C, SIGTERM or SIGHUP; set TERNENT_LAB_KEEP=1 to keep the directories.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import WALG_RELEASE from "../lib/walg-release.json";

export const REPO_ROOT = path.resolve(__dirname, "..");
export const PG_BIN = process.env.TERNENT_PG_BIN ?? "/usr/lib/postgresql/15/bin";
/** The WAL-G release the program pins (lib/walg-release.json): the lab checks its binary is that version. */
export const WALG_VERSION = WALG_RELEASE.version;

export function cacheDir(): string {
    return process.env.TERNENT_CACHE ?? path.join(os.homedir(), ".cache", "ternent-postgres");
}

// ---------------------------------------------------------------------------------------------
// Processes and cleanup

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

function track(child: ChildProcess, leaveGroup = false): void {
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

// ---------------------------------------------------------------------------------------------
// Tools

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

function chownTree(dir: string, user: OsUser | undefined): void {
    if (!user) return;
    spawnSync("chown", ["-R", `${user.uid}:${user.gid}`, dir]);
}

function onPath(name: string): string | undefined {
    for (const d of (process.env.PATH ?? "").split(":")) {
        const p = path.join(d, name);
        if (d && fs.existsSync(p)) return p;
    }
    return undefined;
}

function isExecutable(p: string): boolean {
    try {
        fs.accessSync(p, fs.constants.X_OK);
        return fs.statSync(p).isFile();
    } catch {
        return false;
    }
}

/** Where the lab finds MinIO and mc: env override, the cache bin dir (lab/install.sh), then PATH. */
export function findTool(name: "minio" | "mc"): string {
    const envName = name === "minio" ? "TERNENT_MINIO_BIN" : "TERNENT_MC_BIN";
    const candidates = [process.env[envName], path.join(cacheDir(), "bin", name), onPath(name)];
    for (const c of candidates) if (c && isExecutable(c)) return c;
    throw new Error(`${name} not found (looked at $${envName}, ${path.join(cacheDir(), "bin", name)}, PATH); run lab/install.sh`);
}

/** What `wal-g --version` names ("wal-g version v3.0.9\t…" → "v3.0.9"), or the error. */
function walgVersionOf(bin: string): string {
    const r = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 30_000 });
    if (r.status !== 0) return `(--version failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split("\n")[0]})`;
    return r.stdout.trim().split(/\s+/)[2] ?? `(unreadable --version: ${r.stdout.trim()})`;
}

let walgFound: { bin: string } | { reason: string } | undefined;

/**
 * WAL-G binary for the lab: TERNENT_WALG_BIN, else $TERNENT_CACHE/bin/wal-g (lab/install.sh puts the
 * release asset there); it must report the version the program pins (lib/walg-release.json).
 */
export function findWalg(): { bin: string } | { reason: string } {
    walgFound ??= (() => {
        const fromEnv = process.env.TERNENT_WALG_BIN;
        const cached = path.join(cacheDir(), "bin", "wal-g");
        const bin = fromEnv || cached;
        if (!isExecutable(bin)) {
            return {
                reason: fromEnv
                    ? `WAL-G not available: TERNENT_WALG_BIN=${fromEnv} is not an executable file`
                    : `WAL-G not available: no ${cached} and TERNENT_WALG_BIN is not set (lab/install.sh downloads the ` +
                      `pinned release; without internet set TERNENT_WALG_BIN, e.g. to ../shared/walg/wal-g, see README)`,
            };
        }
        const version = walgVersionOf(bin);
        if (version !== WALG_VERSION) return { reason: `WAL-G not usable: ${bin} reports ${version}, the program pins ${WALG_VERSION}` };
        return { bin };
    })();
    return walgFound;
}

export function walgSkipReason(): string | undefined {
    const w = findWalg();
    return "reason" in w ? w.reason : undefined;
}

/** Why a lab cannot run here (no PostgreSQL 15, WAL-G, MinIO or mc), or undefined: tests skip (CI: fail) with this reason. */
export function labSkipReason(): string | undefined {
    if (!isExecutable(path.join(PG_BIN, "postgres"))) return `PostgreSQL 15 not available: no ${path.join(PG_BIN, "postgres")} (lab/install.sh installs postgresql-15)`;
    const walg = walgSkipReason();
    if (walg) return walg;
    try {
        findTool("minio");
        findTool("mc");
    } catch (e) {
        return `MinIO not available: ${(e as Error).message}`;
    }
    return undefined;
}

export function sha256File(file: string): string {
    const h = crypto.createHash("sha256");
    const fd = fs.openSync(file, "r");
    try {
        const buf = Buffer.allocUnsafe(1 << 20);
        let n: number;
        while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
    } finally {
        fs.closeSync(fd);
    }
    return h.digest("hex");
}

/**
 * A .tar.gz holding the WAL-G binary (like the upstream release asset), cached next to the binary's
 * identity so only the first lab run pays for the compression. Returns {file, sha256}.
 */
export async function walgTarball(walgBin: string): Promise<{ file: string; sha256: string }> {
    const st = fs.statSync(walgBin);
    const dir = path.join(cacheDir(), "lab", "walg-tarball");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `wal-g-${st.size}-${Math.floor(st.mtimeMs)}.tar.gz`);
    if (!fs.existsSync(file)) {
        // Labs set up at once (and several test processes) may build it together: each writes its own
        // staging directory and renames its tarball into place; the rename is atomic, the last one wins
        // and every copy is the same.
        const stage = fs.mkdtempSync(path.join(dir, "stage-"));
        try {
            fs.copyFileSync(walgBin, path.join(stage, "wal-g-pg-lab-amd64"));
            const tmp = path.join(stage, "wal-g.tar.gz");
            // Byte-identical whoever builds it (fixed mtime and owner, gzip without name or time), so a
            // sha256 taken by one lab matches the file another lab renamed into place.
            await runOk("sh", ["-c", 'tar --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - -C "$1" wal-g-pg-lab-amd64 | gzip -1 -n >"$2"', "sh", stage, tmp]);
            fs.renameSync(tmp, file);
        } finally {
            fs.rmSync(stage, { recursive: true, force: true });
        }
    }
    return { file, sha256: sha256File(file) };
}

// ---------------------------------------------------------------------------------------------
// MinIO

export interface MinioOptions {
    /** Data + config directory (created). */
    dir: string;
    port?: number;
    rootUser?: string;
    rootPassword?: string;
}

export interface S3Object {
    key: string;
    size: number;
    etag: string;
    lastModified: string;
}

export class Minio {
    readonly dir: string;
    readonly rootUser: string;
    readonly rootPassword: string;
    readonly logFile: string;
    port = 0;
    private proc?: ChildProcess;

    private constructor(opts: MinioOptions) {
        this.dir = opts.dir;
        this.rootUser = opts.rootUser ?? "labroot";
        this.rootPassword = opts.rootPassword ?? crypto.randomBytes(12).toString("hex");
        this.logFile = path.join(this.dir, "minio.log");
        if (opts.port) this.port = opts.port;
    }

    static async start(opts: MinioOptions): Promise<Minio> {
        fs.mkdirSync(path.join(opts.dir, "data"), { recursive: true });
        const m = new Minio(opts);
        if (!m.port) m.port = await freePort();
        await m.start();
        return m;
    }

    get endpoint(): string {
        return `http://127.0.0.1:${this.port}`;
    }

    get running(): boolean {
        return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
    }

    /** Start (or restart after stop()) on the same port and data directory. */
    async start(): Promise<void> {
        if (this.running) return;
        const consolePort = await freePort();
        const out = fs.openSync(this.logFile, "a");
        this.proc = spawn(
            findTool("minio"),
            ["server", "--quiet", "--address", `127.0.0.1:${this.port}`, "--console-address", `127.0.0.1:${consolePort}`, path.join(this.dir, "data")],
            {
                detached: true,
                stdio: ["ignore", out, out],
                env: {
                    PATH: process.env.PATH,
                    HOME: this.dir,
                    MINIO_ROOT_USER: this.rootUser,
                    MINIO_ROOT_PASSWORD: this.rootPassword,
                    MINIO_BROWSER: "off",
                    MINIO_UPDATE: "off",
                },
            },
        );
        fs.closeSync(out);
        track(this.proc);
        await waitFor(
            `MinIO on ${this.endpoint} (log ${this.logFile})`,
            async () => {
                if (!this.running) throw new Error(`MinIO exited: ${fs.readFileSync(this.logFile, "utf8").slice(-2000)}`);
                const res = await fetch(`${this.endpoint}/minio/health/ready`).catch(() => undefined);
                return res?.status === 200;
            },
            30_000,
            100,
        );
    }

    /** Stop MinIO (SIGTERM, then SIGKILL after 10 s); data stays for start(). */
    async stop(): Promise<void> {
        const p = this.proc;
        if (!p || !this.running) return;
        const exited = new Promise<void>((r) => p.once("exit", () => r()));
        p.kill("SIGTERM");
        const t = setTimeout(() => p.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(t);
    }

    private mcEnv(): NodeJS.ProcessEnv {
        return {
            PATH: process.env.PATH,
            HOME: this.dir,
            MC_CONFIG_DIR: path.join(this.dir, "mc"),
            MC_HOST_lab: `http://${this.rootUser}:${this.rootPassword}@127.0.0.1:${this.port}`,
            MC_NO_COLOR: "1",
        };
    }

    /** Run mc against this server as root; the alias is `lab`. */
    mc(args: string[], timeoutMs = 60_000): Promise<RunResult> {
        return run(findTool("mc"), args, { env: this.mcEnv(), timeoutMs });
    }

    async mcOk(args: string[]): Promise<RunResult> {
        const r = await this.mc(args);
        if (r.code !== 0) throw new Error(`mc ${args.join(" ")} exited ${r.code}: ${r.stderr}${r.stdout}`);
        return r;
    }

    async createBucket(bucket: string): Promise<void> {
        await this.mcOk(["mb", "--ignore-existing", `lab/${bucket}`]);
    }

    /** Name of the policy addUser() attaches (detach/attach it to simulate a revoked key). */
    static policyName(access: "rw" | "ro", bucket: string): string {
        return `ternent-${access}-${bucket.replace(/[^A-Za-z0-9-]/g, "x")}`;
    }

    /**
     * Add a user limited to one bucket (or to a bucket pattern such as `tpg-*`). "rw" is like a Spaces
     * readwrite key (get/put/delete/list), "ro" like a Spaces read key (get/list only).
     */
    async addUser(accessKey: string, secretKey: string, access: "rw" | "ro", bucket: string): Promise<void> {
        const actions = access === "rw" ? ["s3:*"] : ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"];
        const policy = {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: actions, Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] }],
        };
        const policyName = Minio.policyName(access, bucket);
        const policyFile = path.join(this.dir, `${policyName}.json`);
        fs.writeFileSync(policyFile, JSON.stringify(policy));
        await this.mcOk(["admin", "user", "add", "lab", accessKey, secretKey]);
        await this.mcOk(["admin", "policy", "create", "lab", policyName, policyFile]);
        await this.mcOk(["admin", "policy", "attach", "lab", policyName, "--user", accessKey]);
    }

    /** Every object under bucket/prefix (recursive), sorted by key. */
    async listObjects(bucket: string, prefix = ""): Promise<S3Object[]> {
        const r = await this.mcOk(["ls", "--recursive", "--json", `lab/${bucket}/${prefix}`]);
        const out: S3Object[] = [];
        for (const line of r.stdout.split("\n")) {
            if (!line.trim()) continue;
            const o = JSON.parse(line);
            if (o.type !== "file") continue;
            out.push({ key: prefix ? path.posix.join(prefix, o.key) : o.key, size: o.size, etag: o.etag, lastModified: o.lastModified });
        }
        return out.sort((a, b) => a.key.localeCompare(b.key));
    }
}

/**
 * One MinIO with a read-write and a read-only user whose policies cover every bucket named
 * `${bucketPrefix}*`, for several labs in one process (tests): each Lab.create({ storage }) still gets its
 * own bucket, PostgreSQL and directories, but skips the MinIO start and user creation. Whoever starts it
 * stops it (the labs do not).
 */
export class SharedStorage {
    readonly bucketPrefix = "tpg-";
    private constructor(
        readonly minio: Minio,
        readonly keys: { rw: { id: string; secret: string }; ro: { id: string; secret: string } },
        private readonly dir: string,
    ) {}

    static async start(): Promise<SharedStorage> {
        const dir = makeTempDir("tpg-s3-");
        const minio = await Minio.start({ dir });
        const keys = newKeys();
        const storage = new SharedStorage(minio, keys, dir);
        await Promise.all([
            minio.addUser(keys.rw.id, keys.rw.secret, "rw", `${storage.bucketPrefix}*`),
            minio.addUser(keys.ro.id, keys.ro.secret, "ro", `${storage.bucketPrefix}*`),
        ]);
        return storage;
    }

    /** Name of the policy of a role (Minio.policyName for the bucket pattern). */
    policyName(access: "rw" | "ro"): string {
        return Minio.policyName(access, `${this.bucketPrefix}*`);
    }

    async stop(): Promise<void> {
        await this.minio.stop();
        removeTempDir(this.dir);
    }
}

function newKeys(): { rw: { id: string; secret: string }; ro: { id: string; secret: string } } {
    return {
        rw: { id: `rw${crypto.randomBytes(6).toString("hex")}`, secret: crypto.randomBytes(16).toString("hex") },
        ro: { id: `ro${crypto.randomBytes(6).toString("hex")}`, secret: crypto.randomBytes(16).toString("hex") },
    };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export interface PostgresOptions {
    pgdata: string;
    /** Directory for the unix socket (short path). */
    socketDir: string;
    port: number;
    /** config_file to start with (the rendered postgresql.conf); absent: the data dir's own. */
    configFile?: string;
    /** Extra -c settings (override the config file, like the lab's port/listen overrides). */
    settings?: Record<string, string>;
    /** Environment of the postmaster (archive_command inherits it, as in the pod). */
    env: NodeJS.ProcessEnv;
    user?: OsUser;
    logFile: string;
    /** Superuser name used by psql(). */
    superuser?: string;
    database?: string;
}

export class Postgres {
    readonly opts: PostgresOptions;
    private proc?: ChildProcess;

    constructor(opts: PostgresOptions) {
        this.opts = opts;
    }

    get port(): number {
        return this.opts.port;
    }
    get pgdata(): string {
        return this.opts.pgdata;
    }
    get logFile(): string {
        return this.opts.logFile;
    }
    get running(): boolean {
        return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
    }

    /** initdb like the postgres image's entrypoint: superuser = user, scram for TCP, trust on the socket. */
    async initdb(user: string, password: string): Promise<void> {
        fs.mkdirSync(this.opts.pgdata, { recursive: true, mode: 0o700 });
        const pwfile = path.join(path.dirname(this.opts.pgdata), `.pw-${crypto.randomBytes(4).toString("hex")}`);
        fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
        chownTree(this.opts.pgdata, this.opts.user);
        if (this.opts.user) fs.chownSync(pwfile, this.opts.user.uid, this.opts.user.gid);
        try {
            await runOk(
                path.join(PG_BIN, "initdb"),
                ["-D", this.opts.pgdata, "-U", user, `--pwfile=${pwfile}`, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"],
                { user: this.opts.user, env: { PATH: process.env.PATH, LANG: "C" }, timeoutMs: 120_000 },
            );
        } finally {
            fs.rmSync(pwfile, { force: true });
        }
        this.opts.superuser = user;
    }

    args(): string[] {
        const a = ["-D", this.opts.pgdata];
        if (this.opts.configFile) a.push("-c", `config_file=${this.opts.configFile}`);
        const s = { port: String(this.opts.port), listen_addresses: "127.0.0.1", unix_socket_directories: this.opts.socketDir, ...this.opts.settings };
        for (const [k, v] of Object.entries(s)) a.push("-c", `${k}=${v}`);
        return a;
    }

    async start(timeoutMs = 60_000): Promise<void> {
        if (this.running) return;
        fs.mkdirSync(this.opts.socketDir, { recursive: true });
        chownTree(this.opts.socketDir, this.opts.user);
        const out = fs.openSync(this.opts.logFile, "a");
        if (this.opts.user) fs.fchownSync(out, this.opts.user.uid, this.opts.user.gid);
        this.proc = spawn(path.join(PG_BIN, "postgres"), this.args(), {
            detached: true,
            stdio: ["ignore", out, out],
            env: this.opts.env,
            uid: this.opts.user?.uid,
            gid: this.opts.user?.gid,
        });
        fs.closeSync(out);
        track(this.proc);
        await waitFor(
            `PostgreSQL on port ${this.opts.port} (log ${this.opts.logFile})`,
            async () => {
                if (!this.running) throw new Error(`PostgreSQL exited; log tail:\n${tail(this.opts.logFile)}`);
                const r = await run(path.join(PG_BIN, "pg_isready"), ["-q", "-h", this.opts.socketDir, "-p", String(this.opts.port)]);
                return r.code === 0;
            },
            timeoutMs,
            100,
        );
    }

    /** Shut down with the given mode (fast = SIGINT, smart = SIGTERM, immediate = SIGQUIT) and wait. */
    async stop(mode: "fast" | "smart" | "immediate" = "fast", timeoutMs = 60_000): Promise<void> {
        const p = this.proc;
        if (!p || !this.running) return;
        const exited = new Promise<void>((r) => p.once("exit", () => r()));
        p.kill(mode === "fast" ? "SIGINT" : mode === "smart" ? "SIGTERM" : "SIGQUIT");
        const t = setTimeout(() => this.kill9(), timeoutMs);
        await exited;
        clearTimeout(t);
    }

    /** kill -9 the whole process group (postmaster, backends, archiver, running archive_command). */
    async kill9(): Promise<void> {
        const p = this.proc;
        if (!p || p.pid === undefined || !this.running) return;
        const exited = new Promise<void>((r) => p.once("exit", () => r()));
        try {
            process.kill(-p.pid, "SIGKILL");
        } catch {
            /* gone */
        }
        await exited;
    }

    /** psql over the unix socket; returns unaligned, tuples-only output (fields split by |). Throws on error. */
    async psql(sql: string, opts: { database?: string; user?: string; timeoutMs?: number } = {}): Promise<string> {
        const r = await this.psqlRaw(sql, opts);
        if (r.code !== 0) throw new Error(`psql failed (${r.code}): ${r.stderr}\nSQL: ${sql}`);
        return r.stdout.replace(/\n$/, "");
    }

    /** Force a WAL switch and wait until the archiver has shipped it; returns the archived segment name. */
    async switchWalAndWaitArchived(opts: { database?: string; user?: string } = {}, timeoutMs = 60_000): Promise<string> {
        const seg = await this.psql("SELECT pg_walfile_name(pg_current_wal_lsn()) FROM (SELECT pg_switch_wal()) s", opts);
        await waitFor(
            `archiving of ${seg}`,
            async () => (await this.psql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver", opts)) >= seg,
            timeoutMs,
        );
        return seg;
    }

    psqlRaw(sql: string, opts: { database?: string; user?: string; timeoutMs?: number } = {}): Promise<RunResult> {
        return run(
            path.join(PG_BIN, "psql"),
            ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", this.opts.socketDir, "-p", String(this.opts.port),
                "-U", opts.user ?? this.opts.superuser ?? "postgres", "-d", opts.database ?? this.opts.database ?? "postgres", "-c", sql],
            { env: { PATH: process.env.PATH, PGCONNECT_TIMEOUT: "5" }, timeoutMs: opts.timeoutMs ?? 60_000 },
        );
    }
}

export function tail(file: string, bytes = 3000): string {
    try {
        const s = fs.readFileSync(file, "utf8");
        return s.slice(-bytes);
    } catch {
        return `(no ${file})`;
    }
}

// ---------------------------------------------------------------------------------------------
// postgresql.conf as the ConfigMap carries it

/**
 * FALLBACK ONLY: the settings components/ renders into ConfigMap `ternent-postgres` (docs/architecture.md),
 * generated here while `npm run render` is not available. renderedPostgresqlConf() prefers the real render.
 */
export function fallbackPostgresqlConf(archiveTimeoutSeconds: number): string {
    return [
        "# ternent-postgres lab fallback (docs/architecture.md contract; not the rendered ConfigMap)",
        "listen_addresses = '*'",
        "wal_level = replica",
        "archive_mode = on",
        "archive_command = '/ternent/scripts/archive-command.sh %p'",
        `archive_timeout = ${archiveTimeoutSeconds}`,
        "restore_command = '/ternent/scripts/restore-command.sh %f %p'",
        "",
    ].join("\n");
}

/** What the lab takes from the rendered ConfigMaps. */
export interface RenderedSettings {
    /** data['postgresql.conf'] of ConfigMap ternent-postgres. */
    conf: string;
    /** data of ConfigMap ternent-postgres-walg (WAL-G tuning env). */
    walg: Record<string, string>;
    /** Where they came from: the render command or "fallback (why)". */
    source: string;
}

/** FALLBACK ONLY: ConfigMap ternent-postgres-walg as docs/architecture.md describes it. */
export const FALLBACK_WALG_ENV: Record<string, string> = {
    AWS_S3_FORCE_PATH_STYLE: "false",
    WALG_COMPRESSION_METHOD: "brotli",
    WALG_UPLOAD_CONCURRENCY: "4",
    WALG_DOWNLOAD_CONCURRENCY: "4",
};

/** File name extension WAL-G gives objects for a WALG_COMPRESSION_METHOD. */
export function walgExtension(method: string | undefined): string {
    const ext: Record<string, string> = { lz4: ".lz4", brotli: ".br", zstd: ".zst", lzma: ".lzma", none: "" };
    return ext[method ?? "lz4"] ?? `.${method}`;
}

const renderCache = new Map<string, Promise<RenderedSettings>>();

/**
 * postgresql.conf the way the program renders it (`npm run render -- --stack dev --out <dir>`,
 * data['postgresql.conf'] of backend.ConfigMap.ternent-postgres.yaml); the fallback when no render
 * tool exists yet or it fails (source says which). TERNENT_LAB_CONF=fallback forces the fallback.
 */
export function renderedPostgresqlConf(stack = process.env.TERNENT_LAB_STACK ?? "dev"): Promise<RenderedSettings> {
    if (!renderCache.has(stack)) renderCache.set(stack, renderOnce(stack));
    return renderCache.get(stack)!;
}

async function renderOnce(stack: string): Promise<RenderedSettings> {
    const fallback = (why: string) => ({ conf: fallbackPostgresqlConf(60), walg: FALLBACK_WALG_ENV, source: `fallback (${why})` });
    if (process.env.TERNENT_LAB_CONF === "fallback") return fallback("TERNENT_LAB_CONF=fallback");
    const renderTool = path.join(REPO_ROOT, "tools", "render.ts");
    if (!fs.existsSync(renderTool)) return fallback("tools/render.ts does not exist yet");
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "tpg-render-"));
    try {
        const r = await run(path.join(REPO_ROOT, "node_modules", ".bin", "ts-node"), ["--transpile-only", renderTool, "--stack", stack, "--out", out], {
            cwd: REPO_ROOT,
            timeoutMs: 180_000,
        });
        const file = path.join(out, "backend.ConfigMap.ternent-postgres.yaml");
        if (r.code !== 0 || !fs.existsSync(file)) {
            return fallback(`render failed (${r.code}): ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" / ")}`);
        }
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const yaml = require("js-yaml");
        const doc = yaml.load(fs.readFileSync(file, "utf8"));
        const conf = doc?.data?.["postgresql.conf"];
        if (typeof conf !== "string") return fallback(`${path.basename(file)} has no data['postgresql.conf']`);
        const walgFile = path.join(out, "backend.ConfigMap.ternent-postgres-walg.yaml");
        const walg = fs.existsSync(walgFile) ? yaml.load(fs.readFileSync(walgFile, "utf8"))?.data : undefined;
        return { conf, walg: walg ?? FALLBACK_WALG_ENV, source: `npm run render -- --stack ${stack}` };
    } finally {
        fs.rmSync(out, { recursive: true, force: true });
    }
}

// ---------------------------------------------------------------------------------------------
// The whole lab

export interface LabOptions {
    /** archive_timeout override in seconds (-c); default: whatever the rendered conf says. */
    archiveTimeoutSeconds?: number;
    /** Extra -c settings for the primary. */
    settings?: Record<string, string>;
    /** Start PostgreSQL (initdb + start + create database); default true. */
    startPostgres?: boolean;
    /** Install WAL-G through walg-install.sh; default true (needs findWalg()). */
    installWalg?: boolean;
    bucket?: string;
    /** WAL-G prefix of generation 0 inside the bucket. */
    prefix?: string;
    database?: string;
    dbUser?: string;
    /** TERNENT_CANARY_INTERVAL_SECONDS the drills get. */
    canaryIntervalSeconds?: number;
    /** TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS for verify.sh. */
    verifyMaxArchiveAgeSeconds?: number;
    /** Progress output (the CLI prints it; tests keep quiet). */
    log?: (msg: string) => void;
    /** Use this MinIO and its users instead of starting a private one (a fresh bucket is created in it). */
    storage?: SharedStorage;
}

export type Role = "rw" | "ro";

export class Lab {
    readonly root: string;
    /** The directory /ternent/ is mapped to (scripts/, bin/, conf/, work/). */
    readonly ternent: string;
    readonly scriptsDir: string;
    readonly binDir: string;
    readonly confFile: string;
    readonly workDir: string;
    readonly osUser?: OsUser;
    readonly bucket: string;
    readonly prefix: string;
    readonly database: string;
    readonly dbUser: string;
    readonly dbPassword = crypto.randomBytes(12).toString("hex");
    readonly libsodiumKey = crypto.randomBytes(32).toString("hex");
    readonly keys: { rw: { id: string; secret: string }; ro: { id: string; secret: string } };
    confSource = "";
    /** ConfigMap ternent-postgres-walg as rendered (AWS_S3_FORCE_PATH_STYLE is forced to true: MinIO). */
    walgSettings: Record<string, string> = { ...FALLBACK_WALG_ENV };
    archiveTimeoutSeconds = 60;
    minio!: Minio;
    pg!: Postgres;
    pgPort = 0;
    walgInstall?: RunResult;
    private readonly opts: LabOptions;
    private readonly log: (msg: string) => void;

    private constructor(opts: LabOptions) {
        this.opts = opts;
        this.log = opts.log ?? (() => undefined);
        this.osUser = postgresOsUser();
        this.root = makeTempDir("tpg-");
        this.ternent = path.join(this.root, "ternent");
        this.scriptsDir = path.join(this.ternent, "scripts");
        this.binDir = path.join(this.ternent, "bin");
        this.confFile = path.join(this.ternent, "conf", "postgresql.conf");
        this.workDir = path.join(this.ternent, "work");
        this.keys = opts.storage?.keys ?? newKeys();
        this.bucket = opts.storage ? `${opts.storage.bucketPrefix}${crypto.randomBytes(5).toString("hex")}` : opts.bucket ?? "ternent-postgres-backups-lab";
        this.prefix = opts.prefix ?? "ternent-postgres";
        this.database = opts.database ?? "ternent";
        this.dbUser = opts.dbUser ?? "ternent";
    }

    static async create(opts: LabOptions = {}): Promise<Lab> {
        const lab = new Lab(opts);
        try {
            await lab.setUp();
        } catch (e) {
            await lab.cleanup();
            throw e;
        }
        return lab;
    }

    private async setUp(): Promise<void> {
        for (const d of [this.scriptsDir, this.binDir, path.dirname(this.confFile), this.workDir, path.join(this.root, "home"), path.join(this.root, "log")]) {
            fs.mkdirSync(d, { recursive: true });
        }
        // scripts/ like ConfigMap ternent-postgres-scripts (mode 0555)
        for (const f of fs.readdirSync(path.join(REPO_ROOT, "scripts"))) {
            const dst = path.join(this.scriptsDir, f);
            fs.copyFileSync(path.join(REPO_ROOT, "scripts", f), dst);
            fs.chmodSync(dst, 0o555);
        }

        const rendering = renderedPostgresqlConf(); // slow the first time (ts-node); overlaps MinIO start-up
        rendering.catch(() => undefined);
        if (this.opts.storage) {
            this.minio = this.opts.storage.minio;
            await this.minio.createBucket(this.bucket);
        } else {
            this.log("starting MinIO");
            this.minio = await Minio.start({ dir: path.join(this.root, "minio") });
            await this.minio.createBucket(this.bucket);
            await Promise.all([
                this.minio.addUser(this.keys.rw.id, this.keys.rw.secret, "rw", this.bucket),
                this.minio.addUser(this.keys.ro.id, this.keys.ro.secret, "ro", this.bucket),
            ]);
        }
        this.log(`MinIO ${this.minio.endpoint}: bucket ${this.bucket}, users rw + ro`);

        if (this.opts.installWalg !== false) await this.installWalg();

        const rendered = await rendering;
        this.confSource = rendered.source;
        this.walgSettings = { ...rendered.walg };
        const conf = rendered.conf.split("/ternent/").join(`${this.ternent}/`);
        fs.writeFileSync(this.confFile, conf);
        const m = /^\s*archive_timeout\s*=\s*'?(\d+)/m.exec(conf);
        if (m) this.archiveTimeoutSeconds = Number(m[1]);
        if (this.opts.archiveTimeoutSeconds !== undefined) this.archiveTimeoutSeconds = this.opts.archiveTimeoutSeconds;
        chownTree(this.root, this.osUser);

        const pgdata = path.join(this.root, "pgdata");
        this.pgPort = await freePort();
        this.pg = new Postgres({
            pgdata,
            socketDir: path.join(this.root, "sock"),
            port: this.pgPort,
            configFile: this.confFile,
            settings: { archive_timeout: String(this.archiveTimeoutSeconds), ...this.opts.settings },
            env: this.env("rw"),
            user: this.osUser,
            logFile: path.join(this.root, "log", "postgres.log"),
            database: this.database,
        });
        if (this.opts.startPostgres !== false) {
            this.log(`initdb + PostgreSQL on 127.0.0.1:${this.pg.port} (postgresql.conf: ${this.confSource})`);
            await this.pg.initdb(this.dbUser, this.dbPassword);
            await this.pg.start();
            await this.pg.psql(`CREATE DATABASE ${this.database}`, { database: "postgres" });
        }
    }

    /** The MinIO policy that grants the role its access (detach it to simulate a revoked key). */
    policyName(access: Role): string {
        return this.opts.storage ? this.opts.storage.policyName(access) : Minio.policyName(access, this.bucket);
    }

    /** Install WAL-G into ternent/bin the way the init container does (file:// tarball + sha256). */
    async installWalg(): Promise<RunResult> {
        const w = findWalg();
        if ("reason" in w) throw new Error(w.reason);
        const tarball = await walgTarball(w.bin);
        this.log(`installing WAL-G through walg-install.sh (file://${tarball.file}, sha256 ${tarball.sha256.slice(0, 12)}...)`);
        const r = await run("sh", [path.join(this.scriptsDir, "walg-install.sh")], {
            env: { PATH: process.env.PATH, WALG_VERSION, WALG_URL: `file://${tarball.file}`, WALG_SHA256: tarball.sha256, TERNENT_BIN: this.binDir },
            timeoutMs: 120_000,
        });
        if (r.code !== 0) throw new Error(`walg-install.sh exited ${r.code}: ${r.stderr}`);
        this.walgInstall = r;
        return r;
    }

    /** Object key of an archived WAL segment (or history file) in the bucket. */
    walKey(segment: string, generation = 0): string {
        return `${this.prefixFor(generation)}/wal_005/${segment}${walgExtension(this.walgSettings.WALG_COMPRESSION_METHOD)}`;
    }

    /** s3 prefix of a data generation (0: the configured prefix, N: <prefix>-gen<N>), as the program sets it. */
    prefixFor(generation = 0): string {
        return generation === 0 ? this.prefix : `${this.prefix}-gen${generation}`;
    }

    /**
     * The environment a pod of the role gets: "rw" = namespace backend (Secret ternent-postgres-backup with
     * the read-write key, Secret ternent-postgres connection), "ro" = backend-dr (read-only key, no password).
     */
    env(role: Role, extra: NodeJS.ProcessEnv = {}, generation = 0): NodeJS.ProcessEnv {
        const key = this.keys[role];
        const base: NodeJS.ProcessEnv = {
            PATH: `${PG_BIN}:/usr/local/bin:/usr/bin:/bin`,
            LANG: "C.UTF-8",
            HOME: path.join(this.root, "home"),
            TZ: "UTC",
            WALG_S3_PREFIX: `s3://${this.bucket}/${this.prefixFor(generation)}`,
            AWS_ENDPOINT: this.minio.endpoint,
            AWS_REGION: "us-east-1",
            AWS_ACCESS_KEY_ID: key.id,
            AWS_SECRET_ACCESS_KEY: key.secret,
            ...this.walgSettings,
            AWS_S3_FORCE_PATH_STYLE: "true",
            WALG_LIBSODIUM_KEY: this.libsodiumKey,
            WALG_LIBSODIUM_KEY_TRANSFORM: "hex",
            // As the WAL-G Secret carries it: the generation the prefix belongs to (the scripts' guard).
            TERNENT_DATA_GENERATION: String(generation),
            TERNENT_BIN: this.binDir,
            TERNENT_SCRIPTS: this.scriptsDir,
            TERNENT_WORKDIR: this.workDir,
            TERNENT_ARCHIVE_TIMEOUT_SECONDS: String(this.archiveTimeoutSeconds),
            TERNENT_CANARY_INTERVAL_SECONDS: String(this.opts.canaryIntervalSeconds ?? 300),
            PGUSER: this.dbUser,
            PGDATABASE: this.database,
        };
        if (role === "rw") {
            Object.assign(base, {
                PGDATA: path.join(this.root, "pgdata"),
                PGHOST: "127.0.0.1",
                PGPORT: String(this.pgPort),
                PGPASSWORD: this.dbPassword,
                TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS: String(this.opts.verifyMaxArchiveAgeSeconds ?? 2 * this.archiveTimeoutSeconds + 60),
            });
        }
        return { ...base, ...extra };
    }

    /** Run scripts/<name> (the ConfigMap copy) with the role's env, as the postgres OS user. */
    runScript(
        name: string,
        opts: { role?: Role; env?: NodeJS.ProcessEnv; timeoutMs?: number; args?: string[]; generation?: number; leaveGroup?: boolean } = {},
    ): Promise<RunResult> {
        return run(path.join(this.scriptsDir, name), opts.args ?? [], {
            env: this.env(opts.role ?? "rw", opts.env, opts.generation),
            user: this.osUser,
            cwd: this.workDir,
            timeoutMs: opts.timeoutMs ?? 300_000,
            leaveGroup: opts.leaveGroup,
        });
    }

    /** Run the installed wal-g with the role's env. */
    walg(args: string[], role: Role = "rw", extra: NodeJS.ProcessEnv = {}, generation = 0): Promise<RunResult> {
        return run(path.join(this.binDir, "wal-g"), args, { env: this.env(role, extra, generation), user: this.osUser, cwd: this.workDir, timeoutMs: 300_000 });
    }

    psql(sql: string, opts: { database?: string; user?: string } = {}): Promise<string> {
        return this.pg.psql(sql, { user: this.dbUser, database: this.database, ...opts });
    }

    /** Force a WAL switch on the primary and wait until it is archived; returns the segment name. */
    switchWalAndWaitArchived(timeoutMs = 60_000): Promise<string> {
        return this.pg.switchWalAndWaitArchived({ user: this.dbUser, database: this.database }, timeoutMs);
    }

    /** A fresh data directory path under the lab for restores (does not exist yet). */
    freshDir(name: string): string {
        const d = path.join(this.root, name);
        if (fs.existsSync(d)) throw new Error(`${d} exists`);
        return d;
    }

    /** Make a directory owned by the postgres OS user. */
    mkdirForPostgres(dir: string, mode = 0o700): string {
        fs.mkdirSync(dir, { recursive: true, mode });
        chownTree(dir, this.osUser);
        return dir;
    }

    async cleanup(): Promise<void> {
        try {
            await this.pg?.stop("immediate", 15_000);
        } catch {
            /* killed below */
        }
        try {
            if (this.opts.storage) {
                if (process.env.TERNENT_LAB_KEEP !== "1") await this.minio.mc(["rb", "--force", `lab/${this.bucket}`]);
            } else {
                await this.minio?.stop();
            }
        } catch {
            /* killed below */
        }
        removeTempDir(this.root);
    }
}
