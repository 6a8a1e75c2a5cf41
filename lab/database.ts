// One local PostgreSQL 15 server (one data directory) for the lab: initdb like the postgres image,
// start/stop/kill -9, psql over the unix socket. Named LocalPostgres so it is never mistaken for the
// program's Postgres component.
import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { OsUser, RunResult, chownTree, run, runOk, tail, track, waitFor } from "./processes";
import { PG_BIN } from "./tools";

export interface LocalPostgresOptions {
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

export class LocalPostgres {
    readonly opts: LocalPostgresOptions;
    private proc?: ChildProcess;

    constructor(opts: LocalPostgresOptions) {
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
        // A server that exits (a FATAL in recovery) ends the wait at once: waitFor retries on errors.
        let exited = false;
        await waitFor(
            `PostgreSQL on port ${this.opts.port} (log ${this.opts.logFile})`,
            async () => {
                if (!this.running) return (exited = true);
                const r = await run(path.join(PG_BIN, "pg_isready"), ["-q", "-h", this.opts.socketDir, "-p", String(this.opts.port)]);
                return r.code === 0;
            },
            timeoutMs,
            100,
        );
        if (exited) throw new Error(`PostgreSQL exited; log tail:\n${tail(this.opts.logFile)}`);
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
