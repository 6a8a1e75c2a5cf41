/**
 * Helpers shared by the fault scenarios (test/faults) and the benchmark (lab/bench.ts), on top of
 * the lab library: a continuous writer that records every acknowledged commit, a restore from the
 * bucket into a fresh directory (restore.sh, read-only key), and S3 object helpers.
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { Lab, PG_BIN, RunResult, labSkipReason, run } from "../../lab";

export { labSkipReason };

export interface Ack {
    id: number;
    /** clock_timestamp() of the row, UTC, microseconds: the commit is acknowledged right after it. */
    ts: string;
}

/**
 * One psql session that inserts a row every `intervalMs` (autocommit) and records each row the
 * server acknowledged. Survives a dead server (counts errors) until stopped.
 */
export class Writer {
    readonly acks: Ack[] = [];
    errors = 0;
    stderr = "";
    private proc?: ChildProcess;
    private timer?: NodeJS.Timeout;
    private buf = "";
    private closed?: Promise<void>;

    private constructor(private readonly lab: Lab, readonly table: string, private readonly intervalMs: number, private readonly padBytes: number) {}

    static async start(lab: Lab, opts: { table?: string; intervalMs?: number; padBytes?: number } = {}): Promise<Writer> {
        const w = new Writer(lab, opts.table ?? "fault_writes", opts.intervalMs ?? 200, opts.padBytes ?? 0);
        await lab.psql(`CREATE TABLE IF NOT EXISTS ${w.table} (id bigserial PRIMARY KEY, ts timestamptz NOT NULL DEFAULT clock_timestamp(), pad text)`);
        w.spawn();
        return w;
    }

    private spawn(): void {
        const pg = this.lab.pg;
        this.proc = spawn(
            path.join(PG_BIN, "psql"),
            ["-X", "-q", "-A", "-t", "-h", pg.opts.socketDir, "-p", String(pg.port), "-U", this.lab.dbUser, "-d", this.lab.database],
            { stdio: ["pipe", "pipe", "pipe"], env: { PATH: process.env.PATH, PGCONNECT_TIMEOUT: "5" } },
        );
        this.closed = new Promise((r) => this.proc!.once("close", () => r()));
        this.proc.stdin!.on("error", () => undefined);
        this.proc.stdout!.on("data", (d: Buffer) => {
            this.buf += d.toString();
            let nl: number;
            while ((nl = this.buf.indexOf("\n")) >= 0) {
                const line = this.buf.slice(0, nl).trim();
                this.buf = this.buf.slice(nl + 1);
                const m = /^(\d+)\|(\S+)$/.exec(line);
                if (m) this.acks.push({ id: Number(m[1]), ts: m[2] });
            }
        });
        this.proc.stderr!.on("data", (d: Buffer) => {
            this.errors++;
            this.stderr = (this.stderr + d.toString()).slice(-2000);
        });
        const pad = this.padBytes ? `repeat(md5(random()::text), ${Math.ceil(this.padBytes / 32)})` : "NULL";
        const sql = `INSERT INTO ${this.table}(pad) VALUES (${pad}) RETURNING id, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');\n`;
        this.timer = setInterval(() => {
            if (this.proc?.stdin?.writable) this.proc.stdin.write(sql);
        }, this.intervalMs);
    }

    get lastAck(): Ack | undefined {
        return this.acks[this.acks.length - 1];
    }

    /** Acks received since `since` (an index into acks). */
    countSince(since: number): number {
        return this.acks.length - since;
    }

    async stop(): Promise<void> {
        if (this.timer) clearInterval(this.timer);
        this.timer = undefined;
        if (!this.proc) return;
        this.proc.stdin?.end();
        const killer = setTimeout(() => this.proc?.kill("SIGKILL"), 10_000);
        await this.closed;
        clearTimeout(killer);
        this.proc = undefined;
    }
}

export interface Restored {
    r: RunResult;
    pgdata: string;
    socketDir: string;
    query(sql: string): Promise<string>;
    stop(): Promise<void>;
}

/** restore.sh (the recovery Job's and the drills' core) into a fresh directory, read-only key. */
export async function restoreFromBucket(lab: Lab, tag: string, target = "latest", env: NodeJS.ProcessEnv = {}): Promise<Restored> {
    const work = lab.mkdirForPostgres(path.join(lab.root, `work-${tag}`));
    const pgdata = path.join(lab.root, `restore-${tag}`);
    const socketDir = path.join(work, "sock");
    const r = await lab.runScript("restore.sh", {
        role: "ro",
        env: {
            PGDATA: pgdata,
            TERNENT_WORKDIR: work,
            TERNENT_RESTORE_TARGET: target,
            TERNENT_RESTORE_KEEP_RUNNING: "true",
            TERNENT_RESTORE_TIMEOUT_SECONDS: "900",
            ...env,
        },
        leaveGroup: true,
        timeoutMs: 1_000_000,
    });
    const query = async (sql: string): Promise<string> => {
        const q = await run(path.join(PG_BIN, "psql"), ["-X", "-A", "-t", "-h", socketDir, "-p", "5432", "-U", lab.dbUser, "-d", lab.database, "-c", sql], {
            user: lab.osUser,
            env: { PATH: process.env.PATH },
        });
        if (q.code !== 0) throw new Error(`psql on the restored server failed: ${q.stderr}`);
        return q.stdout.trim();
    };
    const stop = async (): Promise<void> => {
        await run(path.join(PG_BIN, "pg_ctl"), ["-D", pgdata, "stop", "-m", "immediate", "-s"], { user: lab.osUser, env: { PATH: process.env.PATH } });
    };
    return { r, pgdata, socketDir, query, stop };
}

/** Keys under the lab's generation-0 prefix (relative to it), e.g. "wal_005/0000…0003.br". */
export async function objectKeys(lab: Lab, under = ""): Promise<string[]> {
    return (await lab.minio.listObjects(lab.bucket, `${lab.prefix}/${under}`)).map((o) => o.key.slice(lab.prefix.length + 1));
}

/** Total bytes stored under the lab's generation-0 prefix. */
export async function storedBytes(lab: Lab, under = ""): Promise<number> {
    return (await lab.minio.listObjects(lab.bucket, `${lab.prefix}/${under}`)).reduce((n, o) => n + o.size, 0);
}

export const secondsBetween = (a: string, b: string): number => (Date.parse(b) - Date.parse(a)) / 1000;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
