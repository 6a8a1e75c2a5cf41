/**
 * Experiment (not a test): WAL-G's base backup over the replication protocol ("remote backup":
 * `wal-g backup-push` without a data directory, BASE_BACKUP on a replication connection) against the
 * backup the project takes now (backup.sh: `wal-g backup-push $PGDATA`, reading the PVC), side by side
 * in one run on one pgbench database and one MinIO, real PostgreSQL 15 and WAL-G:
 *
 *   npx ts-node --transpile-only lab/remote-backup.ts [--scale N] [--rounds N] [--json FILE]
 *
 * Per round (the order alternates): both backups' wall time, bytes stored, then a restore of each
 * (restore.sh to that backup's end point) with the restored pgbench rows and balance sum checked.
 * Then what the project relies on besides speed: the role the remote backup needs (REPLICATION, and what
 * else WAL-G asks for), `--permanent`, backup-mark, WALG_DELTA_MAX_STEPS, and retention.sh over remote
 * backups. Prints a table and the findings; --json writes everything.
 */
import * as fs from "fs";
import * as path from "path";
import { Lab, PG_BIN, RunResult, findWalg, killEverything, runOk } from ".";

interface Options {
    scale: number;
    rounds: number;
    json?: string;
}

function parseArgs(argv: string[]): Options {
    const o: Options = { scale: 20, rounds: 3 };
    for (let i = 0; i < argv.length; i++) {
        const [a, v] = [argv[i], argv[i + 1]];
        const n = Number(v);
        if (a === "--scale" || a === "--rounds") {
            if (!Number.isInteger(n) || n < 1) throw new Error(`remote-backup: ${a} needs an integer >= 1, got '${v ?? ""}'`);
            if (a === "--scale") o.scale = n;
            else o.rounds = n;
            i++;
        } else if (a === "--json") {
            o.json = v;
            i++;
        } else throw new Error(`remote-backup: unknown argument ${a}`);
    }
    return o;
}

const say = (m: string) => process.stderr.write(`[remote-backup] ${m}\n`);
const round3 = (x: number) => Math.round(x * 1000) / 1000;
const BACKUP_ROLE = "ternent_backup";
const BACKUP_PASSWORD = "backup-role-password-lab";

interface BackupRun {
    kind: "local" | "remote";
    seconds: number;
    name: string;
    compressedBytes: number;
    uncompressedBytes: number;
}

async function main(): Promise<number> {
    const o = parseArgs(process.argv.slice(2));
    const w = findWalg();
    if ("reason" in w) {
        say(w.reason);
        return 2;
    }
    const lab = await Lab.create({ log: say });
    try {
        const pgEnv = { PATH: process.env.PATH, PGHOST: lab.pg.opts.socketDir, PGPORT: String(lab.pg.port), PGUSER: lab.dbUser, PGDATABASE: lab.database };
        say(`pgbench -i -s ${o.scale}`);
        await runOk(path.join(PG_BIN, "pgbench"), ["-i", "-q", "-s", String(o.scale)], { env: pgEnv, timeoutMs: 3_600_000 });
        await lab.psql("CHECKPOINT");
        await lab.runScript("canary.sh");
        await lab.switchWalAndWaitArchived(3_600_000);
        const dbBytes = Number(await lab.psql(`SELECT pg_database_size('${lab.database}')`));
        const expected = await lab.psql("SELECT count(*) || ' ' || sum(abalance) FROM pgbench_accounts");
        say(`database ${(dbBytes / 1e6).toFixed(0)} MB; WAL-G ${lab.walgSettings.WALG_COMPRESSION_METHOD}, upload concurrency ${lab.walgSettings.WALG_UPLOAD_CONCURRENCY}`);

        // --- the role: REPLICATION only first, then what WAL-G turns out to need -------------------------
        await lab.psql(`CREATE ROLE ${BACKUP_ROLE} LOGIN REPLICATION PASSWORD '${BACKUP_PASSWORD}'`);
        const remoteEnv = { PGHOST: "127.0.0.1", PGPORT: String(lab.pgPort), PGUSER: BACKUP_ROLE, PGPASSWORD: BACKUP_PASSWORD, PGDATABASE: lab.database, PGDATA: "" };
        const roleFindings: { grants: string; code: number | null; error: string }[] = [];
        const tryRemote = async (grants: string) => {
            const r = await lab.walg(["backup-push"], "rw", remoteEnv);
            roleFindings.push({ grants, code: r.code, error: r.code === 0 ? "" : (r.stderr.match(/(ERROR|FATAL):.*$/m)?.[0] ?? r.stderr.slice(-300)) });
            say(`remote backup-push as REPLICATION role + [${grants}]: exit ${r.code} ${roleFindings[roleFindings.length - 1].error}`);
            return r;
        };
        let probe = await tryRemote("");
        const needed: string[] = [];
        for (const grant of ["pg_read_all_settings", "pg_monitor", "EXECUTE ON FUNCTION pg_control_system()", "SUPERUSER"]) {
            if (probe.code === 0) break;
            if (grant === "SUPERUSER") await lab.psql(`ALTER ROLE ${BACKUP_ROLE} SUPERUSER`);
            else if (grant.startsWith("EXECUTE")) await lab.psql(`GRANT ${grant} TO ${BACKUP_ROLE}`);
            else await lab.psql(`GRANT ${grant} TO ${BACKUP_ROLE}`);
            needed.push(grant);
            probe = await tryRemote(needed.join(", "));
        }
        if (probe.code !== 0) throw new Error(`remote backup failed even with ${needed.join(", ")}: ${probe.stderr.slice(-1500)}`);

        // --- rounds ------------------------------------------------------------------------------------
        const list = async () => JSON.parse((await lab.walg(["backup-list", "--detail", "--json"], "ro")).stdout || "[]") as Record<string, unknown>[];
        const backupOnce = async (kind: "local" | "remote"): Promise<BackupRun> => {
            await lab.runScript("canary.sh");
            const t0 = Date.now();
            const r: RunResult = kind === "local" ? await lab.runScript("backup.sh") : await lab.walg(["backup-push"], "rw", remoteEnv);
            const seconds = (Date.now() - t0) / 1000;
            if (r.code !== 0) throw new Error(`${kind} backup failed: ${r.stderr.slice(-1500)}`);
            const name = kind === "local" ? r.json.backup : (r.stderr.match(/Wrote backup with name (base_[0-9A-F_D]+)/)?.[1] ?? "");
            const b = (await list()).find((x) => x.backup_name === name);
            if (!b) throw new Error(`${kind} backup ${name} not listed`);
            return { kind, seconds: round3(seconds), name, compressedBytes: Number(b.compressed_size), uncompressedBytes: Number(b.uncompressed_size) };
        };
        const restoreOnce = async (b: BackupRun) => {
            const dir = lab.freshDir(`restore-${b.name}`);
            const work = lab.mkdirForPostgres(path.join(lab.root, `work-${b.name}`));
            const t0 = Date.now();
            const r = await lab.runScript("restore.sh", { role: "ro", env: { PGDATA: dir, TERNENT_WORKDIR: work, TERNENT_RESTORE_TARGET: b.name, TERNENT_RESTORE_KEEP_RUNNING: "true" }, leaveGroup: true });
            const seconds = (Date.now() - t0) / 1000;
            let rows: string;
            try {
                if (r.code !== 0) throw new Error(`restore of ${b.kind} ${b.name} failed: ${r.stdout}\n${r.stderr.slice(-1500)}`);
                rows = (await runOk(path.join(PG_BIN, "psql"), ["-X", "-A", "-t", "-h", path.join(work, "sock"), "-p", "5432", "-U", lab.dbUser, "-d", lab.database, "-c", "SELECT count(*) || ' ' || sum(abalance) FROM pgbench_accounts"], { env: { PATH: process.env.PATH } })).stdout.trim();
            } finally {
                await runOk(path.join(PG_BIN, "pg_ctl"), ["-D", dir, "stop", "-m", "immediate", "-s"], { user: lab.osUser }).catch(() => undefined);
                fs.rmSync(dir, { recursive: true, force: true });
                fs.rmSync(work, { recursive: true, force: true });
            }
            return { seconds: round3(seconds), fetchSeconds: r.json?.fetchSeconds, replaySeconds: r.json?.replaySeconds, rowsOk: rows === expected, rows };
        };
        const rounds: { backups: BackupRun[]; restores: Record<string, Awaited<ReturnType<typeof restoreOnce>>> }[] = [];
        for (let i = 0; i < o.rounds; i++) {
            const order: ("local" | "remote")[] = i % 2 === 0 ? ["local", "remote"] : ["remote", "local"];
            const backups: BackupRun[] = [];
            for (const k of order) {
                backups.push(await backupOnce(k));
                say(`round ${i + 1}: ${k} backup ${backups[backups.length - 1].seconds} s`);
            }
            const restores: Record<string, Awaited<ReturnType<typeof restoreOnce>>> = {};
            for (const b of backups) {
                restores[b.kind] = await restoreOnce(b);
                say(`round ${i + 1}: restore of the ${b.kind} backup ${restores[b.kind].seconds} s (fetch ${restores[b.kind].fetchSeconds} s), rows ${restores[b.kind].rowsOk ? "ok" : `WRONG ${restores[b.kind].rows}`}`);
            }
            rounds.push({ backups, restores });
        }

        // --- behaviour besides speed ---------------------------------------------------------------------
        const perm = await lab.walg(["backup-push", "--permanent"], "rw", remoteEnv);
        const permName = perm.stderr.match(/Wrote backup with name (base_[0-9A-F_D]+)/)?.[1] ?? "";
        const permListed = (await list()).find((x) => x.backup_name === permName);
        const unmark = await lab.walg(["backup-mark", "-i", permName], "rw");
        const afterUnmark = (await list()).find((x) => x.backup_name === permName);
        const delta = await lab.walg(["backup-push"], "rw", { ...remoteEnv, WALG_DELTA_MAX_STEPS: "6" });
        const deltaName = delta.stderr.match(/Wrote backup with name (base_[0-9A-F_D]+)/)?.[1] ?? "";
        const deltaLocal = await lab.runScript("backup.sh", { env: { WALG_DELTA_MAX_STEPS: "6" } });
        const mark = await lab.walg(["backup-mark", deltaName], "rw");
        const marked = (await list()).find((x) => x.backup_name === deltaName);
        await lab.walg(["backup-mark", "-i", deltaName], "rw");
        // retention.sh over a listing that holds remote and local backups: keep the 2 newest fulls.
        const fullsBefore = (await list()).filter((b) => !String(b.backup_name).includes("_D_"));
        // The local delta (if WAL-G made one) would make retention refuse: delete it first, as an operator would.
        const localDeltaName = String(deltaLocal.json?.backup ?? "");
        if (localDeltaName.includes("_D_")) await lab.walg(["delete", "target", localDeltaName, "--confirm"], "rw");
        const retention = await lab.runScript("retention.sh", { env: { TERNENT_RETAIN_DAILY: "2", TERNENT_RETAIN_WEEKLY: "0", TERNENT_PITR_DAYS: "0" } });
        const fullsAfter = (await list()).map((b) => String(b.backup_name));
        const sample = (await list()).find((x) => x.backup_name === deltaName) ?? (await list())[0];

        const mean = (xs: number[]) => round3(xs.reduce((a, b) => a + b, 0) / xs.length);
        const pick = (k: "local" | "remote") => ({
            backupSeconds: rounds.map((r) => r.backups.find((b) => b.kind === k)!.seconds),
            compressedBytes: rounds.map((r) => r.backups.find((b) => b.kind === k)!.compressedBytes),
            restoreSeconds: rounds.map((r) => r.restores[k].seconds),
            fetchSeconds: rounds.map((r) => r.restores[k].fetchSeconds),
            rowsOk: rounds.every((r) => r.restores[k].rowsOk),
        });
        const local = pick("local");
        const remote = pick("remote");
        const result = {
            database: { pgbenchScale: o.scale, bytes: dbBytes },
            walg: { compression: lab.walgSettings.WALG_COMPRESSION_METHOD, uploadConcurrency: lab.walgSettings.WALG_UPLOAD_CONCURRENCY },
            role: { needed: needed, attempts: roleFindings },
            local,
            remote,
            means: {
                local: { backup: mean(local.backupSeconds), restore: mean(local.restoreSeconds) },
                remote: { backup: mean(remote.backupSeconds), restore: mean(remote.restoreSeconds) },
                backupRatio: round3(mean(remote.backupSeconds) / mean(local.backupSeconds)),
                restoreRatio: round3(mean(remote.restoreSeconds) / mean(local.restoreSeconds)),
                sizeRatio: round3(mean(remote.compressedBytes) / mean(local.compressedBytes)),
            },
            permanent: { pushed: perm.code === 0, name: permName, listedPermanent: permListed?.is_permanent, unmarkCode: unmark.code, afterUnmark: afterUnmark?.is_permanent },
            delta: { remoteWithDeltaMaxSteps: { code: delta.code, name: deltaName, isDelta: deltaName.includes("_D_") }, localWithDeltaMaxSteps: { code: deltaLocal.code, name: localDeltaName, isDelta: localDeltaName.includes("_D_") } },
            mark: { code: mark.code, permanent: marked?.is_permanent },
            retention: { code: retention.code, status: retention.json?.status, before: fullsBefore.map((b) => b.backup_name), after: fullsAfter },
            remoteMetadataSample: sample,
        };
        console.log(JSON.stringify(result.means));
        console.log(`backup  local ${local.backupSeconds.join(" / ")} s   remote ${remote.backupSeconds.join(" / ")} s`);
        console.log(`restore local ${local.restoreSeconds.join(" / ")} s   remote ${remote.restoreSeconds.join(" / ")} s`);
        console.log(`stored  local ${local.compressedBytes.join(" / ")} B   remote ${remote.compressedBytes.join(" / ")} B`);
        console.log(`role needs: REPLICATION${needed.length ? ` + ${needed.join(", ")}` : " only"}`);
        console.log(`permanent: ${JSON.stringify(result.permanent)}\ndelta: ${JSON.stringify(result.delta)}\nretention: ${JSON.stringify(result.retention)}`);
        if (o.json) fs.writeFileSync(o.json, `${JSON.stringify(result, null, 2)}\n`);
        return 0;
    } finally {
        await lab.cleanup();
    }
}

main().then(
    (code) => process.exit(code),
    (e) => {
        console.error(`remote-backup: ${e instanceof Error ? e.stack : String(e)}`);
        killEverything();
        process.exit(1);
    },
);
