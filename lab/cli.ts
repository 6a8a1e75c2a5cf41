/**
 * `npm run lab`: the local DR lab end to end on loopback, with the very scripts the pods run.
 *   MinIO + bucket + read-write/read-only users -> WAL-G through walg-install.sh -> PostgreSQL 15 with
 *   the rendered postgresql.conf -> pgbench data -> canary every few seconds -> archiving check ->
 *   base backup -> load -> PITR drill (random T in the window, read-only key) -> disaster (kill -9 of
 *   the primary, its data directory is given up) -> restore drill (LATEST, read-only key) -> report:
 *   backups, archive status, verdicts, RPO (newest canary committed on the primary vs newest restored)
 *   and RTO (restore drill: start to first query on the promoted copy).
 * Options: --archive-timeout S (default: the rendered postgresql.conf), --canary-interval S (10),
 *   --scale N (pgbench, 5), --load-seconds S (20), --keep (keep the temp dirs), --json (report as JSON).
 * Exit codes: 0 both drills passed; 1 a drill or a step failed; 2 bad option; 4 blocked (no WAL-G).
 */
import * as path from "path";
import { Lab, PG_BIN, RunResult, findWalg, killEverything, run, sleep } from ".";

interface Options {
    archiveTimeout?: number;
    canaryInterval: number;
    scale: number;
    loadSeconds: number;
    keep: boolean;
    json: boolean;
}

function parseArgs(argv: string[]): Options {
    const o: Options = { canaryInterval: 10, scale: 5, loadSeconds: 20, keep: false, json: false };
    const num = (flag: string, v: string | undefined): number => {
        const n = Number(v);
        if (v === undefined || !Number.isInteger(n) || n <= 0) {
            console.error(`lab: ${flag} needs a positive whole number, got ${v === undefined ? "nothing" : `'${v}'`}`);
            process.exit(2);
        }
        return n;
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--archive-timeout") o.archiveTimeout = num(a, argv[++i]);
        else if (a === "--canary-interval") o.canaryInterval = num(a, argv[++i]);
        else if (a === "--scale") o.scale = num(a, argv[++i]);
        else if (a === "--load-seconds") o.loadSeconds = num(a, argv[++i]);
        else if (a === "--keep") o.keep = true;
        else if (a === "--json") o.json = true;
        else {
            console.error(`lab: unknown option '${a}' (--archive-timeout S, --canary-interval S, --scale N, --load-seconds S, --keep, --json)`);
            process.exit(2);
        }
    }
    return o;
}

const t0 = Date.now();
const secs = (ms: number) => (ms / 1000).toFixed(1);
const say = (msg: string) => process.stderr.write(`[lab ${secs(Date.now() - t0).padStart(6)}s] ${msg}\n`);
const durations: Record<string, number> = {};

async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    say(`${name} ...`);
    const s = Date.now();
    const ticker = setInterval(() => say(`  ... ${name} (${secs(Date.now() - s)}s)`), 15_000);
    try {
        const r = await fn();
        durations[name] = Number(secs(Date.now() - s));
        say(`${name}: done in ${secs(Date.now() - s)}s`);
        return r;
    } finally {
        clearInterval(ticker);
    }
}

function must(r: RunResult, what: string): RunResult {
    if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stderr.trim().split("\n").slice(-15).join("\n")}\n${r.stdout}`);
    return r;
}

async function main(): Promise<number> {
    const o = parseArgs(process.argv.slice(2));
    if (o.keep) process.env.TERNENT_LAB_KEEP = "1";
    const w = findWalg();
    if ("reason" in w) {
        say(`BLOCKED: ${w.reason}`);
        return 4;
    }
    const slack = 15;
    const lab = await step("start MinIO, install WAL-G (walg-install.sh), start PostgreSQL", () =>
        Lab.create({
            archiveTimeoutSeconds: o.archiveTimeout,
            canaryIntervalSeconds: o.canaryInterval,
            log: (m) => say(`  ${m}`),
        }),
    );
    // Ctrl-C / SIGTERM: lab.ts kills every process it started and removes the temp dirs.
    say(`lab directory ${lab.root}`);
    try {
        return await scenario(lab, o, slack);
    } finally {
        if (o.keep) say(`kept ${lab.root}`);
        await lab.cleanup();
    }
}

async function scenario(lab: Lab, o: Options, slack: number): Promise<number> {
    say(`postgresql.conf: ${lab.confSource}; archive_timeout ${lab.archiveTimeoutSeconds}s; canary every ${o.canaryInterval}s`);
    const rw = lab.env("rw");

    await step(`pgbench -i -s ${o.scale}`, async () =>
        must(await run(path.join(PG_BIN, "pgbench"), ["-i", "-s", String(o.scale), "-q"], { env: rw, timeoutMs: 600_000 }), "pgbench -i"),
    );

    // Canary writer, like the CronJob but every few seconds.
    const canaries: { id: number; ts: string }[] = [];
    let canaryOn = true;
    const canaryLoop = (async () => {
        while (canaryOn) {
            const r = await lab.runScript("canary.sh", { timeoutMs: 30_000 });
            if (r.code === 0 && r.json) canaries.push({ id: r.json.canaryId, ts: r.json.ts });
            else say(`  canary.sh failed (${r.code}): ${r.stderr.trim()}`);
            for (let i = 0; i < o.canaryInterval * 10 && canaryOn; i++) await sleep(100);
        }
    })();

    const archiving = await step("archiving: switch WAL and wait for the archiver", async () => {
        const seg = await lab.switchWalAndWaitArchived(120_000);
        return { seg, verify: must(await lab.runScript("verify.sh"), "verify.sh").json };
    });
    say(`  archived ${archiving.seg}; verify.sh healthy=${archiving.verify.healthy}`);

    const backup = await step("base backup (backup.sh)", async () => must(await lab.runScript("backup.sh"), "backup.sh").json);
    say(`  ${backup.backup} in ${backup.durationSeconds}s (${backup.compressedSize} bytes compressed)`);

    await step(`pgbench load for ${o.loadSeconds}s`, async () =>
        must(await run(path.join(PG_BIN, "pgbench"), ["-c", "2", "-T", String(o.loadSeconds), "-n"], { env: rw, timeoutMs: (o.loadSeconds + 120) * 1000 }), "pgbench"),
    );

    // The PITR window opens once now - (canary interval + archive_timeout + slack) is past the backup.
    const opensAt = Date.parse(backup.finishedAt) + (o.canaryInterval + lab.archiveTimeoutSeconds + slack + 2) * 1000;
    if (Date.now() < opensAt) {
        await step("wait for the PITR window to open", async () => sleep(opensAt - Date.now()));
    }
    const pitrEnv = { TERNENT_PITR_SLACK_SECONDS: String(slack), TERNENT_PITR_TARGET: "random", TERNENT_SMOKE_SQL: "SELECT count(*) FROM pgbench_accounts" };
    const pitr = await step("PITR drill (pitr-drill.sh, read-only key, random T)", async () => lab.runScript("pitr-drill.sh", { role: "ro", env: pitrEnv }));

    // Disaster: the primary dies with whatever is not archived yet.
    canaryOn = false;
    await canaryLoop;
    const archiverBefore = (await lab.psql("SELECT archived_count || ' archived, ' || failed_count || ' failed, last ' || coalesce(last_archived_wal, '-') || ' at ' || coalesce(last_archived_time::text, '-') FROM pg_stat_archiver")).trim();
    const verifyBefore = (await lab.runScript("verify.sh")).json;
    const lastCommitted = canaries[canaries.length - 1];
    await step("disaster: kill -9 the primary (its data directory is given up)", async () => lab.pg.kill9());

    const restore = await step("restore drill (restore-drill.sh, read-only key, LATEST)", async () =>
        lab.runScript("restore-drill.sh", { role: "ro", env: { TERNENT_SMOKE_SQL: "SELECT count(*) FROM pgbench_accounts" } }),
    );
    const backups = (await lab.walg(["backup-list", "--detail", "--json"], "ro")).stdout.trim();

    // RPO: committed on the primary but not in the restored copy.
    const restoredNewest: string | undefined = restore.json?.newestCanary ?? undefined;
    const lost = restoredNewest ? canaries.filter((c) => Date.parse(c.ts) > Date.parse(restoredNewest)) : canaries;
    const rpoSeconds = restoredNewest && lastCommitted ? (Date.parse(lastCommitted.ts) - Date.parse(restoredNewest)) / 1000 : undefined;
    const report = {
        postgresqlConf: lab.confSource,
        walgSettings: lab.walgSettings,
        archiveTimeoutSeconds: lab.archiveTimeoutSeconds,
        canaryIntervalSeconds: o.canaryInterval,
        backups: JSON.parse(backups || "[]").map((b: Record<string, unknown>) => ({ name: b.backup_name, finished: b.finish_time, compressedSize: b.compressed_size })),
        archiveStatusBeforeDisaster: archiverBefore,
        verifyBeforeDisaster: { healthy: verifyBefore?.healthy, problems: verifyBefore?.problems },
        pitrDrill: { ok: pitr.json?.ok ?? false, exit: pitr.code, target: pitr.json?.target, backup: pitr.json?.backup, checks: pitr.json?.checks, canaryLagSeconds: pitr.json?.canaryLagSeconds, rtoSeconds: pitr.json?.rtoSeconds, reason: pitr.json?.reason },
        restoreDrill: { ok: restore.json?.ok ?? false, exit: restore.code, backup: restore.json?.backup, checks: restore.json?.checks, rtoSeconds: restore.json?.rtoSeconds, reason: restore.json?.reason },
        rpo: { lastCommittedCanary: lastCommitted?.ts, newestRestoredCanary: restoredNewest, canariesLost: lost.length, seconds: rpoSeconds },
        rtoSeconds: restore.json?.rtoSeconds,
        durationsSeconds: durations,
        totalSeconds: Number(secs(Date.now() - t0)),
    };
    const ok = report.pitrDrill.ok && report.restoreDrill.ok;
    if (o.json) {
        console.log(JSON.stringify(report));
    } else {
        const line = (k: string, v: unknown) => console.log(`  ${k.padEnd(24)} ${v}`);
        console.log("\nternent-postgres DR lab report");
        line("postgresql.conf", report.postgresqlConf);
        line("WAL-G ConfigMap", Object.entries(report.walgSettings).map(([k, v]) => `${k}=${v}`).join(" "));
        line("archive_timeout / canary", `${report.archiveTimeoutSeconds}s / every ${report.canaryIntervalSeconds}s`);
        for (const b of report.backups) line("backup", `${b.name} finished ${b.finished} (${b.compressedSize} bytes)`);
        line("archive status", report.archiveStatusBeforeDisaster);
        line("verify.sh", report.verifyBeforeDisaster.healthy ? "healthy" : `UNHEALTHY: ${report.verifyBeforeDisaster.problems?.join("; ")}`);
        line("PITR drill", `${report.pitrDrill.ok ? "PASS" : "FAIL"} T=${report.pitrDrill.target} from ${report.pitrDrill.backup}; newest canary ${report.pitrDrill.canaryLagSeconds}s before T; RTO ${report.pitrDrill.rtoSeconds}s${report.pitrDrill.ok ? "" : `; ${report.pitrDrill.reason}`}`);
        line("restore drill", `${report.restoreDrill.ok ? "PASS" : "FAIL"} ${report.restoreDrill.backup}; checks ${JSON.stringify(report.restoreDrill.checks)}${report.restoreDrill.ok ? "" : `; ${report.restoreDrill.reason}`}`);
        line("RPO (kill -9)", `${rpoSeconds ?? "?"}s: ${lost.length} canary row(s) lost; last committed ${lastCommitted?.ts}, newest restored ${restoredNewest}`);
        line("RTO (restore drill)", `${report.rtoSeconds ?? "?"}s from drill start to the first query on the promoted copy`);
        line("steps", Object.entries(durations).map(([k, v]) => `${k.split(" (")[0]} ${v}s`).join("; "));
        line("total", `${report.totalSeconds}s`);
        console.log(ok ? "\nBoth drills PASSED." : "\nA drill FAILED: see the reasons above and the JSON verdicts (--json).");
    }
    return ok ? 0 : 1;
}

main().then(
    (code) => {
        killEverything();
        process.exit(code);
    },
    (err) => {
        say(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
        killEverything();
        process.exit(1);
    },
);
