/**
 * Peer benchmark (not a test): WAL-G as this project configures it vs pgBackRest vs barman-cloud vs the
 * physical floor, side by side in ONE run, on the same PostgreSQL 15 database (pgbench), the same MinIO
 * (TLS, loopback) and the same machine.
 *
 *   npm run bench -- --peers [--json FILE] [--scale N] [--rounds N] [--wal-segments N]
 *                    [--archive-timeout S] [--tools walg,pgbackrest,barman,floor]
 *                    [--variant LABEL:KEY=VALUE[,KEY=VALUE]] [--no-curve] [--curve-scale N]
 *                    [--no-delta] [--delta-days N] [--delta-steps N] [--no-breakdown] [--keep]
 *
 * Every round runs every tool once (the order rotates from round to round), each from the same copy of
 * one pgbench database (a "golden" data directory, cleanly shut down), each into its own fresh
 * repository in the same bucket:
 *   1. base backup: wall time of the tool's backup command; bytes of the base backup
 *   2. WAL archiving under pgbench load: a pgbench script of range UPDATEs runs until --wal-segments
 *      segments of WAL were written, then the segment is switched; segments per second = segments ÷
 *      (load start → last one archived); lag = end of the load → last one archived; the most segments
 *      waiting (.ready) at once
 *   3. RPO: once the load is archived, a writer commits a row every 100 ms for U[0.25, 1.25) ×
 *      archive_timeout (same length for every tool in a round: the kill falls anywhere in the
 *      archive_timeout cycle), then kill -9 of PostgreSQL and the data directory is deleted;
 *      RPO = newest acknowledged commit − newest restored one
 *   4. restore to first query: the tool's restore (fetch) + replay of every segment written since the
 *      backup + promote + SELECT 1; the replay part alone in segments per second; the restored database
 *      is checked (pgbench_accounts rows, sum(abalance) as after the load, the writer's rows an unbroken
 *      prefix); stored bytes (everything in the repository) and a raw read of the stored objects
 *   The floor is this machine's physical limit: pg_basebackup -Fp + archive_command cp to local disk,
 *   restore = cp -a + restore_command cp from the local directory.
 * Then: backup time and stored bytes at a database 4x smaller (--curve-scale, default scale/4: the cost
 * curve), and WAL-G full vs delta backups (WALG_DELTA_MAX_STEPS) over --delta-days simulated days of
 * pgbench changes.
 * Prints the exact settings of every tool and a table of medians with min–max; --json writes
 * {"peers": {...}} with every run.
 */
import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    LocalPostgres, PG_BIN, REPO_ROOT, chownTree, findWalg, freePort, killEverything, makeTempDir, postgresOsUser, removeTempDir,
    renderedSettings, run, sleep, track,
} from ".";
import type { Lab } from ".";
import { Writer } from "../test/faults/helpers";
import { walgBreakdown } from "./bench/breakdown";
import { BarmanTool, BenchContext, FloorTool, PgBackRestTool, Restored, Tool, WalgTool, ensureOk } from "./bench/tools";
import { TlsMinio } from "./bench/tls-minio";

export type PeerToolName = "walg" | "pgbackrest" | "barman" | "floor";

export interface PeersOptions {
    scale: number;
    rounds: number;
    walSegments: number;
    archiveTimeout?: number;
    tools: PeerToolName[];
    /** Extra WAL-G tools: name walg-<label> with these settings on top of the rendered ones. */
    variants: { label: string; env: Record<string, string> }[];
    curve: boolean;
    curveScale?: number;
    delta: boolean;
    deltaDays: number;
    deltaSteps: number;
    /** Where WAL-G's time per segment goes (lab/bench/breakdown.ts); needs the floor in the rounds. */
    breakdown: boolean;
    /** Rows per UPDATE of the load script. */
    updateRows: number;
    json?: string;
    keep: boolean;
    log?: (msg: string) => void;
    /** Print the table on stdout (default true). */
    print?: boolean;
}

export const DEFAULT_PEERS: PeersOptions = {
    scale: 75,
    rounds: 3,
    walSegments: 64,
    tools: ["walg", "pgbackrest", "barman", "floor"],
    variants: [],
    curve: true,
    delta: true,
    deltaDays: 7,
    deltaSteps: 6,
    breakdown: true,
    updateRows: 5000,
    keep: false,
};

const SEGMENT = 16 * 1024 * 1024;
const now = (): number => performance.now() / 1000;
const r3 = (n: number): number => Math.round(n * 1000) / 1000;

export function parsePeersArgs(argv: string[]): PeersOptions {
    const o: PeersOptions = { ...DEFAULT_PEERS, tools: [...DEFAULT_PEERS.tools], variants: [] };
    const num = (name: string, v: string | undefined, min = 1): number => {
        const n = Number(v);
        if (!v || !Number.isInteger(n) || n < min) throw new Error(`bench --peers: ${name} needs an integer >= ${min}, got '${v ?? ""}'`);
        return n;
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const v = argv[i + 1];
        switch (a) {
            case "--peers": break;
            case "--json": o.json = v; i++; break;
            case "--scale": o.scale = num(a, v); i++; break;
            case "--rounds": o.rounds = num(a, v); i++; break;
            case "--wal-segments": o.walSegments = num(a, v); i++; break;
            case "--archive-timeout": o.archiveTimeout = num(a, v); i++; break;
            case "--update-rows": o.updateRows = num(a, v); i++; break;
            case "--tools": {
                const names = (v ?? "").split(",").filter(Boolean);
                const bad = names.filter((n) => !DEFAULT_PEERS.tools.includes(n as PeerToolName));
                if (!names.length || bad.length) throw new Error(`bench --peers: --tools '${v ?? ""}': allowed are ${DEFAULT_PEERS.tools.join(", ")} (comma-separated)`);
                o.tools = names as PeerToolName[];
                i++;
                break;
            }
            case "--variant": {
                const m = /^([a-z0-9-]+):(.+)$/.exec(v ?? "");
                const pairs = m ? m[2].split(",").map((p) => /^([A-Z0-9_]+)=(.*)$/.exec(p)) : [];
                if (!m || pairs.some((p) => !p)) throw new Error(`bench --peers: --variant '${v ?? ""}' must be LABEL:KEY=VALUE[,KEY=VALUE] (label a-z0-9-)`);
                o.variants.push({ label: m[1], env: Object.fromEntries(pairs.map((p) => [p![1], p![2]])) });
                i++;
                break;
            }
            case "--no-curve": o.curve = false; break;
            case "--curve-scale": o.curveScale = num(a, v); i++; break;
            case "--no-delta": o.delta = false; break;
            case "--delta-days": o.deltaDays = num(a, v, 2); i++; break;
            case "--delta-steps": o.deltaSteps = num(a, v); i++; break;
            case "--no-breakdown": o.breakdown = false; break;
            case "--keep": o.keep = true; break;
            default:
                throw new Error(`bench --peers: unknown option '${a}' (--json FILE, --scale N, --rounds N, --wal-segments N, --archive-timeout S, ` +
                    "--tools LIST, --variant LABEL:K=V[,K=V], --update-rows N, --no-curve, --curve-scale N, --no-delta, --delta-days N, --delta-steps N, --no-breakdown, --keep)");
        }
    }
    return o;
}

/** median, min, max and every run. */
export interface Stat {
    median: number;
    min: number;
    max: number;
    runs: number[];
}

export function stat(values: number[]): Stat {
    const v = values.filter((x) => Number.isFinite(x));
    const s = [...v].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    const median = s.length === 0 ? NaN : s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
    return { median: r3(median), min: r3(s[0] ?? NaN), max: r3(s[s.length - 1] ?? NaN), runs: v.map(r3) };
}

export interface SlotResult {
    tool: string;
    round: number;
    order: number;
    loadavg: number[];
    backup: { seconds: number; baseBytes: number; detail?: unknown };
    archiving: { segments: number; loadSeconds: number; archivedSeconds: number; segmentsPerSecond: number; lagSeconds: number; maxReady: number; failedCount: number };
    rpo: { writerSeconds: number; lastAck: string; lastAckRow: number; newestRestored: string; newestRestoredRow: number; rowsLost: number; seconds: number };
    restore: {
        toFirstQuerySeconds: number; fetchSeconds: number; replaySeconds: number; segmentsReplayed: number; replaySegmentsPerSecond: number;
        filesRestored: number; detail?: unknown;
    };
    verified: { accounts: number; expectedAccounts: number; abalanceSum: string; expectedAbalanceSum: string; writerRows: number; writerRowsUnbroken: boolean };
    storedBytes: number;
    rawRead?: { seconds: number; bytes: number };
}

/** "00000001000000020000003A" → 2 * 256 + 0x3A (16 MiB segments). */
function segNo(walFile: string): number {
    return parseInt(walFile.slice(8, 16), 16) * 256 + parseInt(walFile.slice(16, 24), 16);
}

const say = (o: PeersOptions) => (msg: string): void => (o.log ?? ((m: string) => console.error(`bench peers: ${m}`)))(msg);

/** Set up the shared pieces: TLS MinIO and users, scripts, WAL-G, the rendered config. */
async function context(o: PeersOptions, root: string): Promise<BenchContext> {
    const log = say(o);
    const w = findWalg();
    if ("reason" in w) throw new Error(w.reason);
    const osUser = postgresOsUser();
    log("starting MinIO with TLS (throwaway CA, certificate for localhost)");
    const minio = await TlsMinio.start(path.join(root, "minio"));
    const bucket = "ternent-bench-peers";
    await minio.mc(["mb", `lab/${bucket}`]);
    const keys = {
        rw: { id: `rw${crypto.randomBytes(6).toString("hex")}`, secret: crypto.randomBytes(16).toString("hex") },
        ro: { id: `ro${crypto.randomBytes(6).toString("hex")}`, secret: crypto.randomBytes(16).toString("hex") },
    };
    await minio.addUser(keys.rw, "rw", bucket);
    await minio.addUser(keys.ro, "ro", bucket);

    const ternent = path.join(root, "ternent");
    const scriptsDir = path.join(ternent, "scripts");
    const binDir = path.join(ternent, "bin");
    fs.mkdirSync(scriptsDir, { recursive: true });
    fs.mkdirSync(binDir, { recursive: true });
    for (const f of fs.readdirSync(path.join(REPO_ROOT, "scripts"))) {
        fs.copyFileSync(path.join(REPO_ROOT, "scripts", f), path.join(scriptsDir, f));
        fs.chmodSync(path.join(scriptsDir, f), 0o555);
    }
    fs.copyFileSync(w.bin, path.join(binDir, "wal-g"));
    fs.chmodSync(path.join(binDir, "wal-g"), 0o755);

    const rendered = await renderedSettings();
    const confFile = path.join(ternent, "postgresql.conf");
    const conf = rendered.conf.split("/ternent/").join(`${ternent}/`);
    fs.writeFileSync(confFile, conf);
    // The hba_file the rendered postgresql.conf names (/ternent/conf/pg_hba.conf), as the ConfigMap carries it.
    fs.mkdirSync(path.join(ternent, "conf"), { recursive: true });
    fs.writeFileSync(path.join(ternent, "conf", "pg_hba.conf"), rendered.hba);
    const m = /^\s*archive_timeout\s*=\s*'?(\d+)/m.exec(conf);
    const archiveTimeoutSeconds = o.archiveTimeout ?? (m ? Number(m[1]) : 60);
    chownTree(root, osUser);

    let sockN = 0;
    const c: BenchContext = {
        root, osUser, minio, bucket, keys, scriptsDir, binDir, confFile,
        walgSettings: { ...rendered.walg },
        libsodiumKey: crypto.randomBytes(32).toString("hex"),
        archiveTimeoutSeconds,
        dbUser: "ternent",
        database: "ternent",
        cores: os.cpus().length,
        log,
        postgres: async (pgdata, settings, env, logFile) => {
            const socketDir = path.join(root, `s${++sockN}`);
            fs.mkdirSync(socketDir, { recursive: true });
            chownTree(socketDir, osUser);
            return new LocalPostgres({
                pgdata, socketDir, port: await freePort(), configFile: confFile,
                settings: { archive_timeout: String(archiveTimeoutSeconds), ...settings },
                env, user: osUser, logFile, database: "ternent", superuser: "ternent",
            });
        },
    };
    return c;
}

function pgEnv(c: BenchContext, pg: LocalPostgres): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, PGHOST: pg.opts.socketDir, PGPORT: String(pg.port), PGUSER: c.dbUser, PGDATABASE: c.database };
}

/** A pgbench database in a cleanly stopped data directory every slot starts from. */
async function golden(c: BenchContext, scale: number, name: string): Promise<{ dir: string; dbBytes: number; loadSeconds: number }> {
    const dir = path.join(c.root, `golden-${name}`);
    const pg = await c.postgres(dir, { archive_mode: "on", archive_command: "/bin/true" }, { PATH: process.env.PATH }, path.join(c.root, `golden-${name}.log`));
    await pg.initdb(c.dbUser, crypto.randomBytes(12).toString("hex"));
    await pg.start();
    await pg.psql(`CREATE DATABASE ${c.database}`, { database: "postgres" });
    c.log(`pgbench -i -s ${scale} (${name} database)`);
    const t = now();
    ensureOk("pgbench -i", await run(path.join(PG_BIN, "pgbench"), ["-i", "-q", "-s", String(scale)], { env: pgEnv(c, pg), timeoutMs: 3_600_000 }));
    const loadSeconds = now() - t;
    // the RPO writer's table (test/faults/helpers Writer), so every restore has it even when no row of it was archived
    await pg.psql("CREATE TABLE bench_writes (id bigserial PRIMARY KEY, ts timestamptz NOT NULL DEFAULT clock_timestamp(), pad text)");
    await pg.psql("VACUUM ANALYZE");
    await pg.psql("CHECKPOINT");
    const dbBytes = Number(await pg.psql(`SELECT pg_database_size('${c.database}')`));
    await pg.stop("fast");
    c.log(`${name} database: ${(dbBytes / 1e9).toFixed(2)} GB (pgbench scale ${scale}, loaded in ${loadSeconds.toFixed(0)} s)`);
    return { dir, dbBytes, loadSeconds: r3(loadSeconds) };
}

async function copyDir(from: string, to: string): Promise<void> {
    ensureOk("cp -a", await run("cp", ["-a", from, to], { timeoutMs: 3_600_000 }));
}

/** The load: range UPDATEs through pgbench until `segments` segments of WAL were written; archiving measured. */
async function load(c: BenchContext, pg: LocalPostgres, o: PeersOptions, scale: number): Promise<SlotResult["archiving"]> {
    const script = path.join(c.root, "load.sql");
    fs.writeFileSync(script, [
        `\\set aid random(1, 100000 * :scale - :rows)`,
        `UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid BETWEEN :aid AND :aid + :rows - 1;`,
        "",
    ].join("\n"));
    const q = (sql: string): Promise<string> => pg.psql(sql);
    const lsn0 = await q("SELECT pg_current_wal_lsn()");
    const startSeg = segNo(await q("SELECT pg_walfile_name(pg_current_wal_lsn())"));
    const ready = async (): Promise<number> => Number(await q("SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'"));
    let maxReady = 0;
    const bench: ChildProcess = spawn(path.join(PG_BIN, "pgbench"), ["-n", "-c", "2", "-j", "2", "-T", "3600", "-f", script, "-D", `scale=${scale}`, "-D", `rows=${o.updateRows}`], {
        env: pgEnv(c, pg), detached: true, stdio: "ignore",
    });
    track(bench);
    const t0 = now();
    try {
        for (;;) {
            await sleep(250);
            const written = Number(await q(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${lsn0}')`));
            maxReady = Math.max(maxReady, await ready());
            if (written >= o.walSegments * SEGMENT) break;
            if (bench.exitCode !== null) throw new Error(`pgbench exited ${bench.exitCode} before ${o.walSegments} segments were written`);
            if (now() - t0 > 3600) throw new Error("load: no progress within an hour");
        }
    } finally {
        try {
            process.kill(-bench.pid!, "SIGKILL");
        } catch {
            /* gone */
        }
    }
    const t1 = now();
    for (let i = 0; i < 100 && Number(await q("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgbench'")) > 0; i++) await sleep(100);
    const last = await q("SELECT pg_walfile_name(pg_current_wal_lsn()) FROM (SELECT pg_switch_wal()) s");
    let failedCount: number;
    for (;;) {
        const [archived, failed] = (await q("SELECT coalesce(last_archived_wal, ''), failed_count FROM pg_stat_archiver")).split("|");
        failedCount = Number(failed);
        if (archived >= last) break;
        maxReady = Math.max(maxReady, await ready());
        if (now() - t1 > 3600) throw new Error(`archiving of ${last} did not finish within an hour`);
        await sleep(250);
    }
    const t2 = now();
    const segments = segNo(last) - startSeg + 1;
    return {
        segments,
        loadSeconds: r3(t1 - t0),
        archivedSeconds: r3(t2 - t0),
        segmentsPerSecond: r3(segments / (t2 - t0)),
        lagSeconds: r3(t2 - t1),
        maxReady,
        failedCount,
    };
}

/** One tool, one round: backup, load, writer + kill -9, restore, checks. */
async function slot(c: BenchContext, o: PeersOptions, tool: Tool, round: number, order: number, gold: { dir: string }, writerSeconds: number): Promise<SlotResult> {
    const tag = `${tool.name}-r${round}`;
    const dir = path.join(c.root, `slot-${tag}`);
    fs.mkdirSync(dir, { recursive: true });
    chownTree(dir, c.osUser);
    const log = (m: string): void => c.log(`[round ${round} ${tool.name}] ${m}`);
    const loadavg = os.loadavg().map((x) => Math.round(x * 100) / 100);
    const pgdata = path.join(dir, "pgdata");
    await copyDir(gold.dir, pgdata);
    tool.setup(`r${round}`, dir);
    const pg = await c.postgres(pgdata, { archive_command: tool.archiveCommand() }, tool.postmasterEnv(), path.join(dir, "primary.log"));
    let restored: Restored | undefined;
    let writer: Writer | undefined;
    try {
        await pg.start();
        await tool.prepare(pg);
        await pg.psql("CHECKPOINT");
        const startSeg = segNo(await pg.psql("SELECT pg_walfile_name(pg_current_wal_lsn())"));

        let t = now();
        const b = await tool.backup(pg);
        const backupSeconds = now() - t;
        const baseBytes = await tool.baseBytes();
        log(`backup ${backupSeconds.toFixed(2)} s, ${(baseBytes / 1e6).toFixed(1)} MB`);

        const archiving = await load(c, pg, o, o.scale);
        log(`load: ${archiving.segments} segments in ${archiving.loadSeconds} s, archived after ${archiving.archivedSeconds} s (lag ${archiving.lagSeconds} s, max ${archiving.maxReady} waiting)`);
        const expectedSum = await pg.psql("SELECT sum(abalance) FROM pgbench_accounts");
        const expectedAccounts = Number(await pg.psql("SELECT count(*) FROM pgbench_accounts"));

        const shim = { pg, dbUser: c.dbUser, database: c.database, psql: (sql: string) => pg.psql(sql) } as unknown as Lab;
        const writerStart = new Date().toISOString();
        writer = await Writer.start(shim, { intervalMs: 100, table: "bench_writes" });
        await sleep(writerSeconds * 1000);
        await pg.kill9();
        await writer.stop();
        const lastAck = writer.lastAck;
        if (!lastAck) throw new Error(`the writer got no acknowledgement (${writer.stderr})`);
        writer = undefined;
        fs.rmSync(pgdata, { recursive: true, force: true });
        log(`kill -9 after ${writerSeconds.toFixed(0)} s of writes (last ack row ${lastAck.id}); data directory deleted; restoring`);

        const rdir = path.join(dir, "restored");
        fs.mkdirSync(rdir, { recursive: true });
        chownTree(rdir, c.osUser);
        t = now();
        restored = await tool.restore(rdir);
        await restored.query("SELECT 1");
        const toFirstQuery = now() - t;
        const endSeg = segNo(await restored.query("SELECT pg_walfile_name(pg_current_wal_lsn())"));
        const segmentsReplayed = endSeg - startSeg + 1;
        const accounts = Number(await restored.query("SELECT count(*) FROM pgbench_accounts"));
        const sum = await restored.query("SELECT sum(abalance) FROM pgbench_accounts");
        const [maxId, cnt, newestTs] = (await restored.query(
            `SELECT coalesce(max(id), 0), count(*), coalesce(to_char(max(ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '') FROM bench_writes`)).split("|");
        await restored.stop();
        const calls = (fs.readFileSync(restored.logFile, "utf8").match(/restored log file/g) ?? []).length;
        const restore = {
            toFirstQuerySeconds: r3(toFirstQuery),
            fetchSeconds: r3(restored.fetchSeconds),
            replaySeconds: r3(restored.replaySeconds),
            segmentsReplayed,
            replaySegmentsPerSecond: r3(segmentsReplayed / restored.replaySeconds),
            filesRestored: calls,
            detail: restored.detail,
        };
        log(`restore to first query ${restore.toFirstQuerySeconds} s (fetch ${restore.fetchSeconds} s, replay ${restore.replaySeconds} s of ${segmentsReplayed} segments)`);
        const verified = {
            accounts, expectedAccounts, abalanceSum: sum, expectedAbalanceSum: expectedSum,
            writerRows: Number(cnt), writerRowsUnbroken: Number(cnt) === Number(maxId) && Number(maxId) <= lastAck.id,
        };
        if (accounts !== expectedAccounts || sum !== expectedSum || !verified.writerRowsUnbroken) {
            throw new Error(`${tool.name} round ${round}: the restored database is not what was written: ${JSON.stringify(verified)}`);
        }
        // no writer row restored: everything since the writer started is lost
        const rpoSeconds = (Date.parse(lastAck.ts) - Date.parse(newestTs || writerStart)) / 1000;
        const storedBytes = await tool.storedBytes();
        const rawRead = await tool.rawRead(dir);
        // real segments of the load for the per-segment breakdown (once)
        const segDir = path.join(c.root, "breakdown-segments");
        if (tool instanceof FloorTool && o.breakdown && !fs.existsSync(segDir)) {
            fs.mkdirSync(segDir);
            for (const f of fs.readdirSync(tool.archive).filter((x) => /^[0-9A-F]{24}$/.test(x)).sort().slice(1, 17)) {
                fs.copyFileSync(path.join(tool.archive, f), path.join(segDir, f));
            }
        }
        return {
            tool: tool.name, round, order, loadavg,
            backup: { seconds: r3(backupSeconds), baseBytes, detail: b.json ?? undefined },
            archiving,
            rpo: { writerSeconds: r3(writerSeconds), lastAck: lastAck.ts, lastAckRow: lastAck.id, newestRestored: newestTs, newestRestoredRow: Number(maxId), rowsLost: lastAck.id - Number(maxId), seconds: r3(rpoSeconds) },
            restore,
            verified,
            storedBytes,
            rawRead: rawRead && { seconds: r3(rawRead.seconds), bytes: rawRead.bytes },
        };
    } finally {
        await writer?.stop();
        await pg.kill9();
        if (restored) await restored.stop().catch(() => undefined);
        if (!o.keep) {
            await tool.cleanup().catch((e: Error) => log(`cleanup: ${e.message}`));
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }
}

/** Backup only, on the curve's database: time and bytes. */
async function curveSlot(c: BenchContext, tool: Tool, round: number, gold: { dir: string }, keep: boolean): Promise<{ tool: string; round: number; seconds: number; baseBytes: number }> {
    const dir = path.join(c.root, `curve-${tool.name}-r${round}`);
    fs.mkdirSync(dir, { recursive: true });
    chownTree(dir, c.osUser);
    await copyDir(gold.dir, path.join(dir, "pgdata"));
    tool.setup(`c${round}`, dir);
    const pg = await c.postgres(path.join(dir, "pgdata"), { archive_command: tool.archiveCommand() }, tool.postmasterEnv(), path.join(dir, "primary.log"));
    try {
        await pg.start();
        await tool.prepare(pg);
        await pg.psql("CHECKPOINT");
        const t = now();
        await tool.backup(pg);
        const seconds = now() - t;
        const baseBytes = await tool.baseBytes();
        c.log(`[curve round ${round} ${tool.name}] backup ${seconds.toFixed(2)} s, ${(baseBytes / 1e6).toFixed(1)} MB`);
        return { tool: tool.name, round, seconds: r3(seconds), baseBytes };
    } finally {
        await pg.stop("fast").catch(() => pg.kill9());
        if (!keep) {
            await tool.cleanup().catch(() => undefined);
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }
}

/**
 * WAL-G full vs delta backups over simulated days: one database archiving to two prefixes; each day
 * pgbench changes it, then a full backup (to one prefix) and a delta backup (WALG_DELTA_MAX_STEPS, to
 * the other) are taken back to back, the order alternating; finally the last backup of each is restored.
 */
async function deltaWeek(c: BenchContext, o: PeersOptions, gold: { dir: string }, scale: number) {
    const dir = path.join(c.root, "delta-week");
    fs.mkdirSync(dir, { recursive: true });
    chownTree(dir, c.osUser);
    const pgdata = path.join(dir, "pgdata");
    await copyDir(gold.dir, pgdata);
    const full = new WalgTool(c, "walg-full");
    const delta = new WalgTool(c, "walg-delta", { WALG_DELTA_MAX_STEPS: String(o.deltaSteps) });
    full.setup("week", dir);
    delta.setup("week", dir);
    // archive_command: push every segment to both prefixes (only this experiment does that)
    const both = path.join(dir, "archive-both.sh");
    fs.writeFileSync(both, [
        "#!/bin/sh",
        "set -e",
        `WALG_S3_PREFIX='s3://${c.bucket}/${full.prefix}' '${c.scriptsDir}/archive-command.sh' "$1"`,
        `WALG_S3_PREFIX='s3://${c.bucket}/${delta.prefix}' '${c.scriptsDir}/archive-command.sh' "$1"`,
        "",
    ].join("\n"), { mode: 0o755 });
    const pg = await c.postgres(pgdata, { archive_command: `${both} %p` }, full.postmasterEnv(), path.join(dir, "primary.log"));
    const days: { day: number; full: { seconds: number; bytes: number; name: string }; delta: { seconds: number; bytes: number; name: string }; changedTx: number }[] = [];
    const txPerDay = 100 * scale;
    const restoreOf: Record<string, unknown> = {};
    try {
        await pg.start();
        await full.prepare();
        let prevFull = 0;
        let prevDelta = 0;
        for (let day = 0; day < o.deltaDays; day++) {
            if (day > 0) {
                ensureOk("pgbench (a day of changes)", await run(path.join(PG_BIN, "pgbench"), ["-n", "-c", "2", "-j", "2", "-t", String(txPerDay / 2)], { env: pgEnv(c, pg), timeoutMs: 3_600_000 }));
            }
            await pg.psql("CHECKPOINT");
            const one = async (tool: WalgTool, prev: number): Promise<{ seconds: number; bytes: number; name: string }> => {
                const t = now();
                const r = await tool.backup(pg);
                const seconds = now() - t;
                const total = await tool.baseBytes();
                return { seconds: r3(seconds), bytes: total - prev, name: r.json?.backup };
            };
            let f: { seconds: number; bytes: number; name: string };
            let d: { seconds: number; bytes: number; name: string };
            if (day % 2 === 0) {
                f = await one(full, prevFull);
                d = await one(delta, prevDelta);
            } else {
                d = await one(delta, prevDelta);
                f = await one(full, prevFull);
            }
            prevFull += f.bytes;
            prevDelta += d.bytes;
            days.push({ day, full: f, delta: d, changedTx: day > 0 ? txPerDay : 0 });
            c.log(`[delta day ${day}] full ${f.seconds} s ${(f.bytes / 1e6).toFixed(1)} MB; delta ${d.seconds} s ${(d.bytes / 1e6).toFixed(1)} MB (${d.name})`);
        }
        await pg.switchWalAndWaitArchived({}, 600_000);
        await pg.stop("fast");
        // restore the last backup of each (its own end point): a delta chain is fetched base + deltas
        for (const tool of [full, delta]) {
            const rdir = path.join(dir, `restore-${tool.name}`);
            fs.mkdirSync(rdir, { recursive: true });
            chownTree(rdir, c.osUser);
            const name = tool === full ? days[days.length - 1].full.name : days[days.length - 1].delta.name;
            const t = now();
            const r = await tool.restore(rdir, name);
            await r.query("SELECT 1");
            const seconds = now() - t;
            const accounts = Number(await r.query("SELECT count(*) FROM pgbench_accounts"));
            await r.stop();
            restoreOf[tool.name] = { toFirstQuerySeconds: r3(seconds), fetchSeconds: r.fetchSeconds, accounts };
            fs.rmSync(rdir, { recursive: true, force: true });
        }
        const sum = (k: "full" | "delta", f: "seconds" | "bytes"): number => days.reduce((n, d) => n + d[k][f], 0);
        return {
            scale, days: o.deltaDays, deltaMaxSteps: o.deltaSteps, pgbenchTransactionsPerDay: txPerDay,
            perDay: days,
            week: { full: { seconds: r3(sum("full", "seconds")), bytes: sum("full", "bytes") }, delta: { seconds: r3(sum("delta", "seconds")), bytes: sum("delta", "bytes") } },
            laterDays: {
                full: { seconds: stat(days.slice(1).map((d) => d.full.seconds)), bytes: stat(days.slice(1).map((d) => d.full.bytes)) },
                delta: { seconds: stat(days.slice(1).map((d) => d.delta.seconds)), bytes: stat(days.slice(1).map((d) => d.delta.bytes)) },
            },
            restoreLast: restoreOf,
        };
    } finally {
        await pg.kill9();
        if (!o.keep) {
            await full.cleanup().catch(() => undefined);
            await delta.cleanup().catch(() => undefined);
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }
}

function makeTools(c: BenchContext, o: PeersOptions): Tool[] {
    const tools: Tool[] = [];
    for (const name of o.tools) {
        if (name === "walg") tools.push(new WalgTool(c, "walg"));
        if (name === "pgbackrest") tools.push(new PgBackRestTool(c));
        if (name === "barman") tools.push(new BarmanTool(c));
        if (name === "floor") tools.push(new FloorTool(c));
    }
    for (const v of o.variants) tools.push(new WalgTool(c, `walg-${v.label}`, v.env));
    return tools;
}

function summarize(slots: SlotResult[], tools: Tool[]) {
    const by = (name: string): SlotResult[] => slots.filter((s) => s.tool === name);
    return Object.fromEntries(tools.map((t) => {
        const s = by(t.name);
        return [t.name, {
            backupSeconds: stat(s.map((x) => x.backup.seconds)),
            baseBackupBytes: stat(s.map((x) => x.backup.baseBytes)),
            storedBytes: stat(s.map((x) => x.storedBytes)),
            restoreToFirstQuerySeconds: stat(s.map((x) => x.restore.toFirstQuerySeconds)),
            fetchSeconds: stat(s.map((x) => x.restore.fetchSeconds)),
            replaySeconds: stat(s.map((x) => x.restore.replaySeconds)),
            segmentsReplayed: stat(s.map((x) => x.restore.segmentsReplayed)),
            replaySegmentsPerSecond: stat(s.map((x) => x.restore.replaySegmentsPerSecond)),
            archiveSegmentsPerSecond: stat(s.map((x) => x.archiving.segmentsPerSecond)),
            archiveLagSeconds: stat(s.map((x) => x.archiving.lagSeconds)),
            archiveMaxWaiting: stat(s.map((x) => x.archiving.maxReady)),
            rpoSeconds: stat(s.map((x) => x.rpo.seconds)),
            rawReadSeconds: stat(s.map((x) => x.rawRead?.seconds ?? NaN)),
        }];
    }));
}

type Summary = ReturnType<typeof summarize>;

/** The issue's goals as ratios of WAL-G (as configured) to the best peer, from this run's medians. */
function goals(sum: Summary, archiveTimeout: number, walgName = "walg") {
    const w = sum[walgName];
    const peers = ["pgbackrest", "barman"].filter((p) => sum[p]);
    if (!w || !peers.length) return undefined;
    const best = (k: keyof Summary[string], higherIsBetter = false): { peer: string; value: number } => {
        const vals = peers.map((p) => ({ peer: p, value: sum[p][k].median }));
        return vals.sort((a, b) => (higherIsBetter ? b.value - a.value : a.value - b.value))[0];
    };
    const g = (k: keyof Summary[string], goal: number, higherIsBetter = false) => {
        const b = best(k, higherIsBetter);
        const ratio = r3(w[k].median / b.value);
        return { walg: w[k].median, bestPeer: b.peer, peer: b.value, ratio, goal: `${higherIsBetter ? ">=" : "<="} ${goal}`, met: higherIsBetter ? ratio >= goal : ratio <= goal };
    };
    const out: Record<string, unknown> = {
        backupTime: g("backupSeconds", 1),
        restoreToFirstQuery: g("restoreToFirstQuerySeconds", 1),
        storedBytes: g("storedBytes", 1),
        archiveThroughput: g("archiveSegmentsPerSecond", 1, true),
        rpo: { walgMax: w.rpoSeconds.max, archiveTimeout, met: w.rpoSeconds.max <= archiveTimeout },
    };
    if (sum.floor) {
        const ratio = r3(w.restoreToFirstQuerySeconds.median / sum.floor.restoreToFirstQuerySeconds.median);
        out.restoreVsFloor = { walg: w.restoreToFirstQuerySeconds.median, floor: sum.floor.restoreToFirstQuerySeconds.median, ratio, goal: "<= 2", met: ratio <= 2 };
    }
    return out;
}

/** Where WAL-G's restore time goes compared with the floor (medians of this run). */
function whereTimeGoes(sum: Summary, breakdown?: Awaited<ReturnType<typeof walgBreakdown>>, walgName = "walg") {
    const w = sum[walgName];
    const f = sum.floor;
    if (!w || !f) return undefined;
    const n = w.segmentsReplayed.median;
    const per = breakdown?.perSegmentMs;
    const est = per && {
        note: `estimate for the ${n} segments of the median restore, from the per-segment breakdown (ms per segment x segments)`,
        processStartSeconds: r3((per.processStart * n) / 1000),
        transferTlsSeconds: r3((per.transferTls * n) / 1000),
        decompressionSeconds: r3((per.decompression * n) / 1000),
        decryptionSeconds: r3((per.decryption * n) / 1000),
    };
    const other = (s: Summary[string]): number => s.restoreToFirstQuerySeconds.median - s.fetchSeconds.median - s.replaySeconds.median;
    return {
        fetchVsCopy: { walg: w.fetchSeconds.median, floor: f.fetchSeconds.median, extra: r3(w.fetchSeconds.median - f.fetchSeconds.median) },
        replayVsLocal: { walg: w.replaySeconds.median, floor: f.replaySeconds.median, extra: r3(w.replaySeconds.median - f.replaySeconds.median) },
        restoreShOverhead: { walg: r3(other(w)), floor: r3(other(f)), note: "restore.sh: backup-list, wal-show, checks; floor: SELECT 1" },
        rawReadSeconds: w.rawReadSeconds.median,
        replayExtraEstimate: est,
        breakdown,
    };
}

const mb = (n: number): string => (n / 1e6).toFixed(0);
const fmt = (s: Stat, digits = 2): string => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

function table(sum: Summary): string {
    const names = Object.keys(sum);
    const rows: [string, (s: Summary[string]) => string][] = [
        ["base backup, s", (s) => fmt(s.backupSeconds)],
        ["base backup, MB stored", (s) => `${mb(s.baseBackupBytes.median)} (${mb(s.baseBackupBytes.min)}–${mb(s.baseBackupBytes.max)})`],
        ["stored after the WAL, MB", (s) => `${mb(s.storedBytes.median)} (${mb(s.storedBytes.min)}–${mb(s.storedBytes.max)})`],
        ["restore to first query, s", (s) => fmt(s.restoreToFirstQuerySeconds)],
        ["  fetch, s", (s) => fmt(s.fetchSeconds)],
        ["  replay + promote, s", (s) => fmt(s.replaySeconds)],
        ["  segments replayed", (s) => fmt(s.segmentsReplayed, 0)],
        ["replay, segments/s", (s) => fmt(s.replaySegmentsPerSecond, 1)],
        ["archiving, segments/s", (s) => fmt(s.archiveSegmentsPerSecond, 2)],
        ["archiver lag after load, s", (s) => fmt(s.archiveLagSeconds, 1)],
        ["most segments waiting", (s) => fmt(s.archiveMaxWaiting, 0)],
        ["RPO (kill -9, volume lost), s", (s) => fmt(s.rpoSeconds, 1)],
        ["raw read of stored objects, s", (s) => (Number.isFinite(s.rawReadSeconds.median) ? fmt(s.rawReadSeconds) : "–")],
    ];
    const w0 = 32;
    const w = 24;
    const lines = [`${"".padEnd(w0)}${names.map((n) => n.padStart(w)).join("")}`];
    for (const [label, f] of rows) lines.push(`${label.padEnd(w0)}${names.map((n) => f(sum[n]).padStart(w)).join("")}`);
    return lines.join("\n");
}

export async function runPeers(o: PeersOptions) {
    const log = say(o);
    if (o.keep) process.env.TERNENT_LAB_KEEP = "1";
    const root = makeTempDir("tpgp-");
    const loads: { at: string; what: string; loadavg: number[] }[] = [];
    const sample = (what: string): void => {
        loads.push({ at: new Date().toISOString(), what, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100) });
    };
    sample("start");
    let minio: TlsMinio | undefined;
    try {
        const c = await context(o, root);
        minio = c.minio;
        const tools = makeTools(c, o);
        const versions = {
            postgres: (await run(path.join(PG_BIN, "postgres"), ["--version"])).stdout.trim(),
            walg: (await run(path.join(c.binDir, "wal-g"), ["--version"])).stdout.trim(),
            pgbackrest: (await run("pgbackrest", ["version"])).stdout.trim(),
            barmanCloud: (await run("barman-cloud-backup", ["--version"])).stdout.trim() || (await run("barman-cloud-backup", ["--version"])).stderr.trim(),
        };
        const settings = Object.fromEntries(tools.map((t) => [t.name, t.settings()]));
        for (const t of tools) log(`${t.name} settings: ${Object.entries(t.settings()).map(([k, v]) => `${k}=${v}`).join("; ")}`);

        const gold = await golden(c, o.scale, "main");
        const slots: SlotResult[] = [];
        for (let round = 1; round <= o.rounds; round++) {
            // the same writer length for every tool of a round; the order rotates
            const writerSeconds = (0.25 + Math.random()) * c.archiveTimeoutSeconds;
            const order = tools.map((_, i) => tools[(i + round - 1) % tools.length]);
            for (let i = 0; i < order.length; i++) {
                slots.push(await slot(c, o, order[i], round, i, gold, writerSeconds));
                sample(`round ${round} ${order[i].name}`);
                // a partial report after every slot: a long run stopped early still leaves its figures
                if (o.json) {
                    const summary = summarize(slots, tools);
                    fs.writeFileSync(o.json, JSON.stringify({ peers: {
                        partial: `after round ${round} ${order[i].name}`, command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
                        machine: { cores: c.cores, loadAverages: loads }, versions, database: { pgbenchScale: o.scale, bytes: gold.dbBytes },
                        archiveTimeoutSeconds: c.archiveTimeoutSeconds, settings, summary, goals: goals(summary, c.archiveTimeoutSeconds),
                        whereTimeGoes: whereTimeGoes(summary), slots,
                    } }, null, 2) + "\n");
                }
            }
        }
        const summary = summarize(slots, tools);
        let breakdown: Awaited<ReturnType<typeof walgBreakdown>> | undefined;
        if (o.breakdown && fs.existsSync(path.join(root, "breakdown-segments"))) {
            log("breakdown: where a WAL-G segment's restore time goes");
            breakdown = await walgBreakdown(c, path.join(root, "breakdown-segments"), o.rounds, stat);
            sample("breakdown");
        }

        let curve: unknown;
        if (o.curve) {
            const curveScale = o.curveScale ?? Math.max(1, Math.round(o.scale / 4));
            const small = await golden(c, curveScale, "curve");
            const runs: Awaited<ReturnType<typeof curveSlot>>[] = [];
            // the peers and WAL-G as configured (not the floor, not the variants)
            const backupTools = tools.filter((t) => ["walg", "pgbackrest", "barman"].includes(t.name));
            for (let round = 1; round <= o.rounds; round++) {
                const order = backupTools.map((_, i) => backupTools[(i + round - 1) % backupTools.length]);
                for (const t of order) runs.push(await curveSlot(c, t, round, small, o.keep));
            }
            sample("curve");
            curve = {
                small: { pgbenchScale: curveScale, databaseBytes: small.dbBytes },
                large: { pgbenchScale: o.scale, databaseBytes: gold.dbBytes },
                tools: Object.fromEntries(backupTools.map((t) => {
                    const s = runs.filter((x) => x.tool === t.name);
                    const smallSeconds = stat(s.map((x) => x.seconds));
                    const smallBytes = stat(s.map((x) => x.baseBytes));
                    return [t.name, {
                        small: { backupSeconds: smallSeconds, baseBackupBytes: smallBytes },
                        large: { backupSeconds: summary[t.name].backupSeconds, baseBackupBytes: summary[t.name].baseBackupBytes },
                        growth: { seconds: r3(summary[t.name].backupSeconds.median / smallSeconds.median), bytes: r3(summary[t.name].baseBackupBytes.median / smallBytes.median) },
                    }];
                })),
            };
            if (!o.keep) fs.rmSync(small.dir, { recursive: true, force: true });
        }

        let delta: unknown;
        if (o.delta && tools.some((t) => t.name === "walg")) {
            const curveScale = o.curveScale ?? Math.max(1, Math.round(o.scale / 4));
            const small = await golden(c, curveScale, "delta");
            delta = await deltaWeek(c, o, small, curveScale);
            sample("delta");
        }
        sample("end");

        const peers = {
            measuredAt: new Date().toISOString(),
            command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
            machine: { cores: c.cores, memoryGiB: Math.round(os.totalmem() / 2 ** 30), loadAverages: loads },
            versions,
            database: { pgbenchScale: o.scale, bytes: gold.dbBytes, loadSeconds: gold.loadSeconds },
            archiveTimeoutSeconds: c.archiveTimeoutSeconds,
            postgresqlConf: "the program's render (lab/rendered.ts), archive_command per tool",
            load: { walSegments: o.walSegments, script: `pgbench -c 2 -j 2: UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid BETWEEN :aid AND :aid + ${o.updateRows - 1}` },
            minio: { endpoint: c.minio.endpoint, tls: true },
            settings,
            rounds: o.rounds,
            summary,
            goals: goals(summary, c.archiveTimeoutSeconds),
            whereTimeGoes: whereTimeGoes(summary, breakdown),
            curve,
            delta,
            slots,
        };
        if (o.print !== false) printReport(o, c.archiveTimeoutSeconds, gold.dbBytes, summary, peers.goals, loads);
        if (o.json) {
            fs.writeFileSync(o.json, JSON.stringify({ peers }, null, 2) + "\n");
            log(`wrote ${o.json}`);
        }
        return peers;
    } finally {
        await minio?.stop().catch(() => undefined);
        if (!o.keep) removeTempDir(root);
        else log(`kept ${root}`);
    }
}

function printReport(o: PeersOptions, archiveTimeout: number, dbBytes: number, summary: Summary, g: unknown, loads: { what: string; loadavg: number[] }[]): void {
    console.log(`\npgbench scale ${o.scale}: ${(dbBytes / 1e9).toFixed(2)} GB; ${o.walSegments} segments of load; archive_timeout ${archiveTimeout} s; ` +
        `${o.rounds} interleaved rounds; medians (min–max)\n`);
    console.log(table(summary));
    if (g) console.log(`\ngoals (WAL-G ÷ best peer): ${JSON.stringify(g)}`);
    console.log(`load averages: ${loads.map((l) => `${l.what} ${l.loadavg.join("/")}`).join("; ")}`);
}

if (require.main === module) {
    runPeers(parsePeersArgs(process.argv.slice(2)))
        .then(() => {
            killEverything();
            process.exit(0);
        })
        .catch((e: Error) => {
            console.error(`bench peers: FAILED: ${e.stack ?? e.message}`);
            killEverything();
            process.exit(1);
        });
}
