/**
 * The local DR lab: real MinIO, real PostgreSQL 15 and real WAL-G on loopback, running the very script
 * files the pods run with the environment the pods get (the scenario; its parts are processes.ts,
 * tools.ts, object-store.ts, database.ts and rendered.ts, all exported by lab/index.ts).
 *   Lab.create(opts)           -> temp dirs, MinIO + bucket + rw/ro users (or a SharedStorage), scripts/ copied
 *                                 like the ConfigMap (mode 0555), WAL-G installed through scripts/walg-install.sh
 *                                 (file:// tarball + sha256), postgresql.conf and WAL-G env as the program renders
 *                                 them, PostgreSQL initialised and started (opts.startPostgres !== false)
 *   lab.env("rw" | "ro", extra)    -> the environment a pod of that role gets (clean, not process.env)
 *   lab.runScript(name, {role, env, timeoutMs}) -> RunResult (as the postgres OS user when we are root)
 *   lab.psql(sql), lab.walg(args, role), lab.prefixFor(generation), lab.walKey(segment, generation),
 *   lab.policyName(role), lab.cleanup(); lab.walgSettings = the rendered WAL-G ConfigMap
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { LocalPostgres } from "./database";
import { Minio, SharedStorage, newKeys } from "./object-store";
import { OsUser, RunResult, chownTree, freePort, makeTempDir, postgresOsUser, removeTempDir, run } from "./processes";
import { renderedSettings, walgExtension } from "./rendered";
import { PG_BIN, REPO_ROOT, WALG_VERSION, findWalg, walgTarball } from "./tools";

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
    /**
     * Give the primary its WAL-G storage settings as the StatefulSet does: the Secret's keys (WALG_SECRET_KEYS)
     * as one file per key (like a Secret volume: root-owned, group postgres, 0440), turned by walg-secret.sh
     * into TERNENT_WALG_ENV_FILE (0400, owned by postgres), and left out of the postmaster's environment.
     * Default true, as the pods run; false: the postmaster gets them in its environment (older pods).
     */
    walgSecretFile?: boolean;
}

/** The keys of Secret ternent-postgres-backup (the WAL-G storage settings the primary's archive_command reads). */
export const WALG_SECRET_KEYS: readonly string[] = [
    "WALG_S3_PREFIX", "AWS_ENDPOINT", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
    "WALG_LIBSODIUM_KEY", "WALG_LIBSODIUM_KEY_TRANSFORM", "TERNENT_DATA_GENERATION",
];

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
    walgSettings: Record<string, string> = {};
    archiveTimeoutSeconds = 60;
    minio!: Minio;
    pg!: LocalPostgres;
    pgPort = 0;
    walgInstall?: RunResult;
    /** With walgSecretFile: the Secret volume stand-in, the env file walg-secret.sh wrote and its JSON line. */
    walgSecret?: { dir: string; envFile: string; result: RunResult };
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

        const rendering = renderedSettings(); // the program run, once per process; overlaps MinIO start-up
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
        // pg_hba.conf beside it, as the ConfigMap carries it: servers started on restored data with this
        // postgresql.conf read it (the primary keeps initdb's own, see its hba_file below).
        fs.writeFileSync(path.join(path.dirname(this.confFile), "pg_hba.conf"), rendered.hba);
        const m = /^\s*archive_timeout\s*=\s*'?(\d+)/m.exec(conf);
        if (m) this.archiveTimeoutSeconds = Number(m[1]);
        if (this.opts.archiveTimeoutSeconds !== undefined) this.archiveTimeoutSeconds = this.opts.archiveTimeoutSeconds;
        chownTree(this.root, this.osUser);

        const pgdata = path.join(this.root, "pgdata");
        this.pgPort = await freePort();
        let postmasterEnv = this.env("rw");
        if (this.opts.walgSecretFile !== false) {
            const envFile = await this.writeWalgSecretFile();
            postmasterEnv = Object.fromEntries(Object.entries(postmasterEnv).filter(([k]) => !WALG_SECRET_KEYS.includes(k)));
            postmasterEnv.TERNENT_WALG_ENV_FILE = envFile;
        }
        this.pg = new LocalPostgres({
            pgdata,
            socketDir: path.join(this.root, "sock"),
            port: this.pgPort,
            configFile: this.confFile,
            // The rendered hba_file is the pod's (trust on loopback: only the pod's own containers reach it);
            // here loopback stands for the network, so the lab keeps initdb's (SCRAM on 127.0.0.1).
            settings: { archive_timeout: String(this.archiveTimeoutSeconds), hba_file: path.join(pgdata, "pg_hba.conf"), ...this.opts.settings },
            env: postmasterEnv,
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

    /** The Secret volume (one file per key, root:postgres 0440 as the kubelet leaves it with fsGroup) and walg-secret.sh on it. */
    private async writeWalgSecretFile(): Promise<string> {
        const dir = path.join(this.root, "walg-secret");
        fs.mkdirSync(dir, { mode: 0o750 });
        const env = this.env("rw");
        for (const k of WALG_SECRET_KEYS) {
            const f = path.join(dir, k);
            fs.writeFileSync(f, env[k] ?? "", { mode: 0o440 });
            if (this.osUser) fs.chownSync(f, 0, this.osUser.gid);
        }
        if (this.osUser) fs.chownSync(dir, 0, this.osUser.gid);
        const secrets = path.join(this.root, "secrets");
        fs.mkdirSync(secrets, { mode: 0o700 });
        chownTree(secrets, this.osUser);
        const envFile = path.join(secrets, "walg.env");
        const result = await run(path.join(this.scriptsDir, "walg-secret.sh"), [], {
            env: { PATH: process.env.PATH, TERNENT_WALG_SECRET_DIR: dir, TERNENT_WALG_ENV_FILE: envFile },
            user: this.osUser,
            timeoutMs: 30_000,
        });
        if (result.code !== 0) throw new Error(`walg-secret.sh exited ${result.code}: ${result.stderr}`);
        this.walgSecret = { dir, envFile, result };
        return envFile;
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
