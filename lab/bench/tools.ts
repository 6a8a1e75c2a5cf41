/**
 * The tools the peer benchmark compares, each configured as its own users would configure it, against
 * one MinIO (TLS) and one PostgreSQL 15 data directory (lab/bench-peers.ts runs them):
 *   walg        this project: scripts/archive-command.sh, backup.sh, restore.sh (restore-command.sh)
 *               with the WAL-G environment the program renders (ConfigMap ternent-postgres-walg),
 *               client-side libsodium encryption; variants add or change WAL-G settings
 *   pgbackrest  pgBackRest 2.45, S3 repository as its user guide sets one up: compress-type=lz4,
 *               process-max = cores, archive-async (push and get, spool path), start-fast,
 *               aes-256-cbc repository encryption (client side)
 *   barman      barman-cloud 3.4 (what CloudNativePG runs): barman-cloud-wal-archive / -backup /
 *               -restore / -wal-restore with gzip (`--snappy` fails on Debian 12's python3-snappy) and
 *               `-e AES256`, which is SERVER-side encryption (MinIO's KMS key), not client side
 *   floor       the physical floor: archive_command cp into a local directory, pg_basebackup -Fp to
 *               local disk; restore = cp -a of that copy + restore_command cp from the local directory
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ChildProcess, spawn } from "child_process";
import { LocalPostgres, OsUser, PG_BIN, RunResult, run, track, waitFor } from "..";
import { TlsMinio, TlsMinioKeys } from "./tls-minio";

/** What every tool needs from the benchmark. */
export interface BenchContext {
    root: string;
    osUser?: OsUser;
    minio: TlsMinio;
    bucket: string;
    keys: { rw: TlsMinioKeys; ro: TlsMinioKeys };
    scriptsDir: string;
    binDir: string;
    /** postgresql.conf as the program renders it (paths mapped into the temp dir). */
    confFile: string;
    /** ConfigMap ternent-postgres-walg as the program renders it. */
    walgSettings: Record<string, string>;
    libsodiumKey: string;
    archiveTimeoutSeconds: number;
    dbUser: string;
    database: string;
    cores: number;
    log: (msg: string) => void;
    /** A new LocalPostgres for pgdata (not started), with the rendered conf and these -c settings. */
    postgres(pgdata: string, settings: Record<string, string>, env: NodeJS.ProcessEnv, logFile: string): Promise<LocalPostgres>;
}

/** A restored server, up and promoted. */
export interface Restored {
    fetchSeconds: number;
    replaySeconds: number;
    /** What the tool's own restore step reported (e.g. restore.sh's JSON line). */
    detail?: unknown;
    query(sql: string): Promise<string>;
    stop(): Promise<void>;
    /** The server log of the recovery. */
    logFile: string;
}

export interface Tool {
    readonly name: string;
    /** The exact settings, printed with the figures. */
    settings(): Record<string, string>;
    /** Fresh repository for this slot (prefix, stanza, config file). */
    setup(slot: string, dir: string): void;
    archiveCommand(): string;
    /** Environment of the postmaster (archive_command inherits it). */
    postmasterEnv(): NodeJS.ProcessEnv;
    /** Untimed preparation once the primary runs (stanza-create). */
    prepare(pg: LocalPostgres): Promise<void>;
    backup(pg: LocalPostgres): Promise<RunResult>;
    /** Bytes of the base backup(s) and of everything stored. */
    baseBytes(): Promise<number>;
    storedBytes(): Promise<number>;
    restore(dir: string): Promise<Restored>;
    /** Read every stored object raw (no decompression, no decryption) into dir; undefined: not applicable. */
    rawRead(dir: string): Promise<{ seconds: number; bytes: number } | undefined>;
    /** Delete what this slot stored. */
    cleanup(): Promise<void>;
}

export function ensureOk(what: string, r: RunResult): RunResult {
    if (r.code !== 0) throw new Error(`${what} exited ${r.code ?? r.signal}: ${(r.stderr + r.stdout).slice(-3000)}`);
    return r;
}

const now = (): number => performance.now() / 1000;

async function duBytes(p: string): Promise<number> {
    const r = ensureOk("du", await run("du", ["-sb", p]));
    return Number(r.stdout.split(/\s/)[0]);
}

function psqlOn(c: BenchContext, socketDir: string, port: number) {
    return async (sql: string): Promise<string> => {
        const r = await run(path.join(PG_BIN, "psql"), ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", socketDir, "-p", String(port), "-U", c.dbUser, "-d", c.database, "-c", sql], {
            env: { PATH: process.env.PATH },
            timeoutMs: 600_000,
        });
        if (r.code !== 0) throw new Error(`psql on the restored server failed: ${r.stderr}`);
        return r.stdout.trim();
    };
}

/** Start a restored data directory with restore_command and wait until it is promoted (hot_standby off). */
async function recover(c: BenchContext, pgdata: string, restoreCommand: string, env: NodeJS.ProcessEnv, logFile: string): Promise<{ seconds: number; pg: LocalPostgres }> {
    fs.writeFileSync(path.join(pgdata, "recovery.signal"), "");
    if (c.osUser) fs.chownSync(path.join(pgdata, "recovery.signal"), c.osUser.uid, c.osUser.gid);
    const pg = await c.postgres(pgdata, {
        hot_standby: "off",
        archive_mode: "off",
        restore_command: restoreCommand,
        recovery_target_timeline: "latest",
        recovery_target_action: "promote",
    }, env, logFile);
    const t = now();
    await pg.start(3_600_000);
    return { seconds: now() - t, pg };
}

async function mcRaw(c: BenchContext, prefix: string, dir: string): Promise<{ seconds: number; bytes: number }> {
    const dst = path.join(dir, "raw-read");
    const t = now();
    await c.minio.mc(["cp", "--recursive", "--quiet", `lab/${c.bucket}/${prefix}/`, `${dst}/`], 3_600_000);
    const seconds = now() - t;
    const bytes = await duBytes(dst);
    fs.rmSync(dst, { recursive: true, force: true });
    return { seconds, bytes };
}

// --- WAL-G as configured here ---------------------------------------------------------------------

export class WalgTool implements Tool {
    prefix = "";
    private slotDir = "";
    private readonly daemon: boolean;
    private readonly overrides: Record<string, string>;
    private daemons: ChildProcess[] = [];
    constructor(private readonly c: BenchContext, readonly name: string, overrides: Record<string, string> = {}) {
        // BENCH_DAEMON=1: archive_command goes through a `wal-g daemon` (one process for the archiver)
        // instead of one wal-g process per segment. restore.sh serves restore_command through its own
        // daemon unless TERNENT_RESTORE_WALG_DAEMON=false (a --variant setting).
        const { BENCH_DAEMON, ...rest } = overrides;
        this.daemon = BENCH_DAEMON === "1";
        this.overrides = rest;
    }

    walgEnv(): Record<string, string> {
        return { ...this.c.walgSettings, ...this.overrides };
    }

    private get client(): string {
        return path.join(this.c.scriptsDir, "walg-daemon-client.pl");
    }

    /** Start `wal-g daemon SOCKET` for a data directory; returns the socket path once it listens. */
    private async startDaemon(name: string, env: NodeJS.ProcessEnv): Promise<string> {
        const sock = path.join(this.slotDir, `${name}.sock`);
        const logFd = fs.openSync(path.join(this.slotDir, `${name}.log`), "a");
        if (this.c.osUser) fs.fchownSync(logFd, this.c.osUser.uid, this.c.osUser.gid);
        const p = spawn(path.join(this.c.binDir, "wal-g"), ["daemon", sock], {
            env, detached: true, stdio: ["ignore", logFd, logFd], uid: this.c.osUser?.uid, gid: this.c.osUser?.gid, cwd: this.slotDir,
        });
        fs.closeSync(logFd);
        track(p);
        this.daemons.push(p);
        await waitFor(`wal-g daemon ${sock}`, async () => {
            if (p.exitCode !== null) throw new Error(`wal-g daemon exited: ${fs.readFileSync(path.join(this.slotDir, `${name}.log`), "utf8").slice(-1000)}`);
            return fs.existsSync(sock);
        }, 30_000, 50);
        return sock;
    }

    private stopDaemons(): void {
        for (const p of this.daemons) {
            try {
                process.kill(-p.pid!, "SIGTERM");
            } catch {
                /* gone */
            }
        }
        this.daemons = [];
    }

    settings(): Record<string, string> {
        return {
            scripts: `${this.daemon ? "archive_command through `wal-g daemon` (walg-daemon-client.pl F %f)" : "archive-command.sh %p"}, backup.sh, restore.sh ` +
                `(${this.walgEnv().TERNENT_RESTORE_WALG_DAEMON === "false" ? "restore-command.sh %f %p: one wal-g process per file" : "restore_command through one wal-g daemon: walg-daemon-client.pl f %f %p"})`,
            ...this.walgEnv(),
            WALG_LIBSODIUM_KEY: "(32 random bytes, hex: client-side encryption)",
            endpoint: this.c.minio.endpoint,
        };
    }

    setup(slot: string, dir: string): void {
        this.prefix = `${this.name}-${slot}`;
        this.slotDir = dir;
    }

    env(role: "rw" | "ro", extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
        const key = this.c.keys[role];
        return {
            PATH: `${PG_BIN}:/usr/local/bin:/usr/bin:/bin`,
            LANG: "C.UTF-8",
            HOME: this.slotDir,
            TZ: "UTC",
            WALG_S3_PREFIX: `s3://${this.c.bucket}/${this.prefix}`,
            AWS_ENDPOINT: this.c.minio.endpoint,
            AWS_REGION: "us-east-1",
            AWS_ACCESS_KEY_ID: key.id,
            AWS_SECRET_ACCESS_KEY: key.secret,
            ...this.walgEnv(),
            AWS_S3_FORCE_PATH_STYLE: "true",
            WALG_S3_CA_CERT_FILE: this.c.minio.ca,
            WALG_LIBSODIUM_KEY: this.c.libsodiumKey,
            WALG_LIBSODIUM_KEY_TRANSFORM: "hex",
            TERNENT_DATA_GENERATION: "0",
            TERNENT_BIN: this.c.binDir,
            TERNENT_SCRIPTS: this.c.scriptsDir,
            TERNENT_WORKDIR: path.join(this.slotDir, "work"),
            TERNENT_ARCHIVE_TIMEOUT_SECONDS: String(this.c.archiveTimeoutSeconds),
            PGUSER: this.c.dbUser,
            PGDATABASE: this.c.database,
            ...extra,
        };
    }

    archiveCommand(): string {
        if (this.daemon) return `perl ${this.client} ${path.join(this.slotDir, "archive.sock")} F %f`;
        return `${this.c.scriptsDir}/archive-command.sh %p`;
    }

    postmasterEnv(): NodeJS.ProcessEnv {
        return this.env("rw");
    }

    async prepare(pg?: LocalPostgres): Promise<void> {
        fs.mkdirSync(path.join(this.slotDir, "work"), { recursive: true });
        if (this.c.osUser) fs.chownSync(path.join(this.slotDir, "work"), this.c.osUser.uid, this.c.osUser.gid);
        if (this.daemon && pg) await this.startDaemon("archive", this.env("rw", { PGDATA: pg.pgdata }));
    }

    async backup(pg: LocalPostgres): Promise<RunResult> {
        return ensureOk("backup.sh", await run(path.join(this.c.scriptsDir, "backup.sh"), [], {
            env: this.env("rw", { PGDATA: pg.pgdata, PGHOST: pg.opts.socketDir, PGPORT: String(pg.port) }),
            user: this.c.osUser,
            cwd: path.join(this.slotDir, "work"),
            timeoutMs: 3_600_000,
        }));
    }

    async baseBytes(): Promise<number> {
        return (await this.c.minio.usage(this.c.bucket, `${this.prefix}/basebackups_005/`)).bytes;
    }

    async storedBytes(): Promise<number> {
        return (await this.c.minio.usage(this.c.bucket, `${this.prefix}/`)).bytes;
    }

    /** restore.sh LATEST into dir (read-only key), server left running; as the recovery Job and the drills. */
    async restore(dir: string, target = "latest"): Promise<Restored> {
        const work = path.join(dir, "work");
        fs.mkdirSync(work, { recursive: true });
        if (this.c.osUser) fs.chownSync(work, this.c.osUser.uid, this.c.osUser.gid);
        const pgdata = path.join(dir, "pgdata");
        // the daemon of the archiver belongs to the dead primary
        this.stopDaemons();
        const r = await run(path.join(this.c.scriptsDir, "restore.sh"), [], {
            env: this.env("ro", {
                PGDATA: pgdata,
                TERNENT_WORKDIR: work,
                TERNENT_RESTORE_TARGET: target,
                TERNENT_RESTORE_KEEP_RUNNING: "true",
                TERNENT_RESTORE_TIMEOUT_SECONDS: "3600",
            }),
            user: this.c.osUser,
            cwd: work,
            leaveGroup: true,
            timeoutMs: 3_700_000,
        });
        this.stopDaemons();
        ensureOk("restore.sh", r);
        return {
            fetchSeconds: Number(r.json?.fetchSeconds),
            replaySeconds: Number(r.json?.replaySeconds),
            detail: { totalSeconds: r.json?.totalSeconds, recovery: r.json?.recovery },
            query: psqlOn(this.c, path.join(work, "sock"), 5432),
            stop: async () => {
                await run(path.join(PG_BIN, "pg_ctl"), ["-D", pgdata, "stop", "-m", "immediate", "-s"], { user: this.c.osUser, env: { PATH: process.env.PATH } });
            },
            logFile: path.join(work, "postgres.log"),
        };
    }

    rawRead(dir: string): Promise<{ seconds: number; bytes: number }> {
        return mcRaw(this.c, this.prefix, dir);
    }

    async cleanup(): Promise<void> {
        this.stopDaemons();
        await this.c.minio.mc(["rm", "--recursive", "--force", `lab/${this.c.bucket}/${this.prefix}/`]);
    }
}

// --- pgBackRest ------------------------------------------------------------------------------------

export class PgBackRestTool implements Tool {
    readonly name = "pgbackrest";
    private conf = "";
    private repoPath = "";
    private readonly cipherPass = crypto.randomBytes(24).toString("base64");
    private pgdata = "";
    constructor(private readonly c: BenchContext) {}

    private options(): [string, string][] {
        return [
            ["repo1-type", "s3"],
            ["repo1-s3-bucket", this.c.bucket],
            ["repo1-s3-endpoint", "localhost"],
            ["repo1-storage-port", String(this.c.minio.port)],
            ["repo1-s3-region", "us-east-1"],
            ["repo1-s3-uri-style", "path"],
            ["repo1-storage-ca-file", this.c.minio.ca],
            ["repo1-path", this.repoPath],
            ["repo1-cipher-type", "aes-256-cbc"],
            ["repo1-retention-full", "2"],
            ["compress-type", "lz4"],
            ["process-max", String(this.c.cores)],
            ["archive-async", "y"],
            ["start-fast", "y"],
        ];
    }

    settings(): Record<string, string> {
        return {
            ...Object.fromEntries(this.options().map(([k, v]) => [k, k === "repo1-path" ? "/pgbackrest-<slot>" : v])),
            "repo1-cipher-pass": "(random: client-side encryption)",
            "spool-path": "(slot directory)",
            archive_command: "pgbackrest --stanza=bench archive-push %p",
            restore_command: "pgbackrest --stanza=bench archive-get %f \"%p\" (async, archive-get-queue-max default)",
        };
    }

    setup(slot: string, dir: string): void {
        this.repoPath = `/pgbackrest-${slot}`;
        const base = path.join(dir, "pgbackrest");
        for (const d of ["spool", "log", "lock"]) fs.mkdirSync(path.join(base, d), { recursive: true });
        this.conf = path.join(base, "pgbackrest.conf");
        this.pgdata = path.join(dir, "pgdata");
        fs.writeFileSync(this.conf, [
            "[global]",
            ...this.options().map(([k, v]) => `${k}=${v}`),
            `repo1-s3-key=${this.c.keys.rw.id}`,
            `repo1-s3-key-secret=${this.c.keys.rw.secret}`,
            `repo1-cipher-pass=${this.cipherPass}`,
            `spool-path=${path.join(base, "spool")}`,
            `log-path=${path.join(base, "log")}`,
            `lock-path=${path.join(base, "lock")}`,
            "log-level-console=warn",
            "log-level-file=info",
            "",
            "[bench]",
            `pg1-path=${this.pgdata}`,
            `pg1-user=${this.c.dbUser}`,
            "",
        ].join("\n"), { mode: 0o600 });
        if (this.c.osUser) {
            for (const p of [base, ...["spool", "log", "lock"].map((d) => path.join(base, d)), this.conf]) fs.chownSync(p, this.c.osUser.uid, this.c.osUser.gid);
        }
    }

    private pgbr(args: string[], extra: string[] = [], timeoutMs = 3_600_000): Promise<RunResult> {
        return run("pgbackrest", [`--config=${this.conf}`, "--stanza=bench", ...extra, ...args], {
            user: this.c.osUser,
            env: { PATH: `${PG_BIN}:/usr/bin:/bin`, HOME: path.dirname(this.conf) },
            timeoutMs,
        });
    }

    archiveCommand(): string {
        return `pgbackrest --config=${this.conf} --stanza=bench archive-push %p`;
    }

    postmasterEnv(): NodeJS.ProcessEnv {
        return { PATH: `${PG_BIN}:/usr/bin:/bin`, HOME: path.dirname(this.conf) };
    }

    async prepare(pg: LocalPostgres): Promise<void> {
        const pgOpts = [`--pg1-socket-path=${pg.opts.socketDir}`, `--pg1-port=${pg.port}`];
        this.sockOpts = pgOpts;
        ensureOk("pgbackrest stanza-create", await this.pgbr(["stanza-create"], pgOpts, 300_000));
    }
    private sockOpts: string[] = [];

    async backup(): Promise<RunResult> {
        return ensureOk("pgbackrest backup", await this.pgbr(["backup"], [...this.sockOpts, "--type=full"]));
    }

    async baseBytes(): Promise<number> {
        return (await this.c.minio.usage(this.c.bucket, `${this.repoPath.slice(1)}/backup/`)).bytes;
    }

    async storedBytes(): Promise<number> {
        return (await this.c.minio.usage(this.c.bucket, `${this.repoPath.slice(1)}/`)).bytes;
    }

    async restore(dir: string): Promise<Restored> {
        const pgdata = path.join(dir, "pgdata");
        const t = now();
        ensureOk("pgbackrest restore", await this.pgbr(["restore"], [`--pg1-path=${pgdata}`]));
        const fetchSeconds = now() - t;
        const restoreCommand = `pgbackrest --config=${this.conf} --stanza=bench --pg1-path=${pgdata} archive-get %f "%p"`;
        const logFile = path.join(dir, "recovery.log");
        const { seconds, pg } = await recover(this.c, pgdata, restoreCommand, this.postmasterEnv(), logFile);
        return { fetchSeconds, replaySeconds: seconds, query: psqlOn(this.c, pg.opts.socketDir, pg.port), stop: () => pg.stop("immediate"), logFile };
    }

    rawRead(dir: string): Promise<{ seconds: number; bytes: number }> {
        return mcRaw(this.c, this.repoPath.slice(1), dir);
    }

    async cleanup(): Promise<void> {
        await this.c.minio.mc(["rm", "--recursive", "--force", `lab/${this.c.bucket}${this.repoPath}/`]);
    }
}

// --- barman-cloud ----------------------------------------------------------------------------------

export class BarmanTool implements Tool {
    readonly name = "barman";
    private url = "";
    private backupName = "";
    private home = "";
    constructor(private readonly c: BenchContext) {}

    private common(): string[] {
        return ["--cloud-provider", "aws-s3", "--endpoint-url", this.c.minio.endpoint];
    }

    settings(): Record<string, string> {
        return {
            archive_command: "barman-cloud-wal-archive --cloud-provider aws-s3 --endpoint-url URL --gzip -e AES256 s3://BUCKET/barman-<slot> bench %p",
            backup: `barman-cloud-backup --cloud-provider aws-s3 --endpoint-url URL --gzip -e AES256 --jobs ${this.c.cores} --immediate-checkpoint -h SOCKET -p PORT -U USER -d DB -n NAME s3://BUCKET/barman-<slot> bench`,
            restore: "barman-cloud-restore ... s3://BUCKET/barman-<slot> bench NAME PGDATA",
            restore_command: "barman-cloud-wal-restore --cloud-provider aws-s3 --endpoint-url URL s3://BUCKET/barman-<slot> bench %f %p",
            compression: "gzip (--snappy fails with Debian 12's python3-snappy)",
            encryption: "-e AES256 = S3 server-side encryption with MinIO's KMS key (not client side like WAL-G and pgBackRest)",
            AWS_CA_BUNDLE: "(the throwaway CA)",
        };
    }

    setup(slot: string, dir: string): void {
        this.url = `s3://${this.c.bucket}/barman-${slot}`;
        this.backupName = `bench-${slot}`;
        this.home = dir;
    }

    private env(): NodeJS.ProcessEnv {
        return {
            PATH: `${PG_BIN}:/usr/bin:/bin`,
            HOME: this.home,
            AWS_ACCESS_KEY_ID: this.c.keys.rw.id,
            AWS_SECRET_ACCESS_KEY: this.c.keys.rw.secret,
            AWS_DEFAULT_REGION: "us-east-1",
            AWS_CA_BUNDLE: this.c.minio.ca,
        };
    }

    archiveCommand(): string {
        return `barman-cloud-wal-archive ${this.common().join(" ")} --gzip -e AES256 ${this.url} bench %p`;
    }

    postmasterEnv(): NodeJS.ProcessEnv {
        return this.env();
    }

    async prepare(): Promise<void> {
        // nothing: barman-cloud needs no repository set-up
    }

    async backup(pg: LocalPostgres): Promise<RunResult> {
        return ensureOk("barman-cloud-backup", await run("barman-cloud-backup", [
            ...this.common(), "--gzip", "-e", "AES256", "--jobs", String(this.c.cores), "--immediate-checkpoint",
            "-h", pg.opts.socketDir, "-p", String(pg.port), "-U", this.c.dbUser, "-d", this.c.database, "-n", this.backupName, this.url, "bench",
        ], { user: this.c.osUser, env: this.env(), timeoutMs: 3_600_000 }));
    }

    private get key(): string {
        return this.url.slice(`s3://${this.c.bucket}/`.length);
    }

    async baseBytes(): Promise<number> {
        return (await this.c.minio.usage(this.c.bucket, `${this.key}/bench/base/`)).bytes;
    }

    async storedBytes(): Promise<number> {
        return (await this.c.minio.usage(this.c.bucket, `${this.key}/`)).bytes;
    }

    async restore(dir: string): Promise<Restored> {
        const pgdata = path.join(dir, "pgdata");
        const t = now();
        ensureOk("barman-cloud-restore", await run("barman-cloud-restore", [...this.common(), this.url, "bench", this.backupName, pgdata], {
            user: this.c.osUser, env: this.env(), timeoutMs: 3_600_000,
        }));
        const fetchSeconds = now() - t;
        const restoreCommand = `barman-cloud-wal-restore ${this.common().join(" ")} ${this.url} bench %f %p`;
        const logFile = path.join(dir, "recovery.log");
        const { seconds, pg } = await recover(this.c, pgdata, restoreCommand, this.env(), logFile);
        return { fetchSeconds, replaySeconds: seconds, query: psqlOn(this.c, pg.opts.socketDir, pg.port), stop: () => pg.stop("immediate"), logFile };
    }

    rawRead(dir: string): Promise<{ seconds: number; bytes: number }> {
        return mcRaw(this.c, this.key, dir);
    }

    async cleanup(): Promise<void> {
        await this.c.minio.mc(["rm", "--recursive", "--force", `lab/${this.c.bucket}/${this.key}/`]);
    }
}

// --- the physical floor --------------------------------------------------------------------------

export class FloorTool implements Tool {
    readonly name = "floor";
    archive = "";
    private base = "";
    constructor(private readonly c: BenchContext) {}

    settings(): Record<string, string> {
        return {
            archive_command: "test ! -f ARCHIVE/%f && cp %p ARCHIVE/%f (local disk)",
            backup: "pg_basebackup -D COPY -Fp -X none -c fast (local disk)",
            restore: "cp -a COPY PGDATA; restore_command = 'cp ARCHIVE/%f %p'",
        };
    }

    setup(_slot: string, dir: string): void {
        this.archive = path.join(dir, "floor-archive");
        this.base = path.join(dir, "floor-base");
        fs.mkdirSync(this.archive, { recursive: true });
        if (this.c.osUser) fs.chownSync(this.archive, this.c.osUser.uid, this.c.osUser.gid);
    }

    archiveCommand(): string {
        return `test ! -f ${this.archive}/%f && cp %p ${this.archive}/%f`;
    }

    postmasterEnv(): NodeJS.ProcessEnv {
        return { PATH: `${PG_BIN}:/usr/bin:/bin` };
    }

    async prepare(): Promise<void> {
        // nothing
    }

    async backup(pg: LocalPostgres): Promise<RunResult> {
        return ensureOk("pg_basebackup", await run(path.join(PG_BIN, "pg_basebackup"), [
            "-D", this.base, "-Fp", "-X", "none", "-c", "fast", "-h", pg.opts.socketDir, "-p", String(pg.port), "-U", this.c.dbUser,
        ], { user: this.c.osUser, env: { PATH: process.env.PATH }, timeoutMs: 3_600_000 }));
    }

    baseBytes(): Promise<number> {
        return duBytes(this.base);
    }

    async storedBytes(): Promise<number> {
        return (await duBytes(this.base)) + (await duBytes(this.archive));
    }

    async restore(dir: string): Promise<Restored> {
        const pgdata = path.join(dir, "pgdata");
        const t = now();
        ensureOk("cp -a", await run("cp", ["-a", this.base, pgdata], { timeoutMs: 3_600_000 }));
        const fetchSeconds = now() - t;
        const logFile = path.join(dir, "recovery.log");
        const { seconds, pg } = await recover(this.c, pgdata, `cp ${this.archive}/%f %p`, this.postmasterEnv(), logFile);
        return { fetchSeconds, replaySeconds: seconds, query: psqlOn(this.c, pg.opts.socketDir, pg.port), stop: () => pg.stop("immediate"), logFile };
    }

    async rawRead(): Promise<undefined> {
        return undefined;
    }

    async cleanup(): Promise<void> {
        fs.rmSync(this.base, { recursive: true, force: true });
        fs.rmSync(this.archive, { recursive: true, force: true });
    }
}
