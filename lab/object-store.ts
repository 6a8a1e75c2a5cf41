// MinIO on loopback as the lab's S3: one server, buckets, and users limited to a bucket like Spaces keys
// ("rw" like a readwrite key, "ro" like a read key).
import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { RunResult, freePort, makeTempDir, removeTempDir, run, track, waitFor } from "./processes";
import { findTool } from "./tools";

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

export function newKeys(): { rw: { id: string; secret: string }; ro: { id: string; secret: string } } {
    return {
        rw: { id: `rw${crypto.randomBytes(6).toString("hex")}`, secret: crypto.randomBytes(16).toString("hex") },
        ro: { id: `ro${crypto.randomBytes(6).toString("hex")}`, secret: crypto.randomBytes(16).toString("hex") },
    };
}
