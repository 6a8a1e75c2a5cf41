// Fault scenarios against real PostgreSQL 15, WAL-G 3.0.9 and MinIO, each on its own lab:
//   1. S3 stopped for 2 minutes while writing: archiving stalls, resumes, nothing is lost
//   2. kill -9 of PostgreSQL, data directory discarded: restore from the bucket loses at most
//      archive_timeout of commits (plus the upload of the last segment)
//   3. kill -9 during backup-push: the partial backup is never listed nor LATEST; the next one succeeds
//   4. a deleted WAL segment: the PITR drill fails naming it
//   5. a wrong libsodium key: both drills fail
//   6. the read-only drill key is denied on delete (wal-g and retention.sh)
// The 2-minute outage runs alongside the short scenarios so the whole file stays near 3-4 minutes.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Lab, RunResult, findTool, run, waitFor } from "../../lab";
import { Ack, Restored, Writer, labSkipReason, objectKeys, restoreFromBucket, secondsBetween, sleep } from "./helpers";
import { requireOrSkip } from "../setup/requirements";

const OUTAGE_SECONDS = Number(process.env.TERNENT_FAULT_OUTAGE_SECONDS ?? 120);
const CRASH_ARCHIVE_TIMEOUT = 15;
// Upload of the segment archive_timeout just closed, on a busy 2-core machine.
const UPLOAD_SLACK_SECONDS = 5;

type Settled<T> = { value?: T; error?: Error };
async function settle<T>(fn: () => Promise<T>): Promise<Settled<T>> {
    try {
        return { value: await fn() };
    } catch (e) {
        return { error: e as Error };
    }
}
function must<T>(s: Settled<T> | undefined): T {
    if (!s) throw new Error("scenario did not run");
    if (s.error) throw s.error;
    return s.value!;
}

async function archiver(lab: Lab): Promise<{ archived: number; failed: number; lastWal: string; current: string }> {
    const [archived, failed, lastWal, current] = (await lab.psql(
        "SELECT archived_count, failed_count, coalesce(last_archived_wal, ''), pg_walfile_name(pg_current_wal_lsn()) FROM pg_stat_archiver",
    )).split("|");
    return { archived: Number(archived), failed: Number(failed), lastWal, current };
}

// ---------------------------------------------------------------------------------------------------

interface OutageResult {
    outageSeconds: number;
    acksDuringOutage: number;
    writerErrors: number;
    archivedBefore: number;
    archivedAtEnd: number;
    failedDuringOutage: number;
    segmentsWrittenDuringOutage: number;
    verifyDuring: RunResult;
    resumedAfterSeconds: number;
    verifyAfter: RunResult;
    primaryRows: string;
    restored: RunResult;
    restoredRows: string;
}

async function s3Outage(): Promise<OutageResult> {
    const lab = await Lab.create({ archiveTimeoutSeconds: 10 });
    let restored: Restored | undefined;
    try {
        const b = await lab.runScript("backup.sh");
        assert.equal(b.code, 0, b.stderr);
        const w = await Writer.start(lab, { intervalMs: 200 });
        await sleep(3000);
        const before = await archiver(lab);
        const acksBefore = w.acks.length;

        await lab.minio.stop();
        const t0 = Date.now();
        await sleep(OUTAGE_SECONDS * 1000 - 15_000);
        const verifyDuring = await lab.runScript("verify.sh", { env: { TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS: "60" } });
        await sleep(Math.max(0, t0 + OUTAGE_SECONDS * 1000 - Date.now()));
        const atEnd = await archiver(lab);
        const acksDuringOutage = w.countSince(acksBefore);
        await lab.minio.start();
        const back = Date.now();

        // Archiving resumes: everything written up to now gets archived.
        await w.stop();
        const target = (await archiver(lab)).current;
        await lab.psql("SELECT pg_switch_wal()");
        await waitFor("archiving to resume", async () => (await archiver(lab)).lastWal >= target, 300_000, 1000);
        const resumedAfterSeconds = (Date.now() - back) / 1000;
        const verifyAfter = await lab.runScript("verify.sh", { env: { TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS: "60" } });
        const primaryRows = await lab.psql(`SELECT count(*) || '/' || max(id) FROM ${w.table}`);
        // Stop the primary first: restore.sh's end-of-archive check races with a primary that is
        // still archiving (see the report); here the question is only whether anything was lost.
        await lab.pg.stop("fast");

        restored = await restoreFromBucket(lab, "outage");
        const restoredRows = restored.r.code === 0 ? await restored.query(`SELECT count(*) || '/' || max(id) FROM ${w.table}`) : "";
        return {
            outageSeconds: (back - t0) / 1000,
            acksDuringOutage,
            writerErrors: w.errors,
            archivedBefore: before.archived,
            archivedAtEnd: atEnd.archived,
            failedDuringOutage: atEnd.failed - before.failed,
            segmentsWrittenDuringOutage: parseInt(atEnd.current.slice(16), 16) - parseInt(before.current.slice(16), 16),
            verifyDuring,
            resumedAfterSeconds,
            verifyAfter,
            primaryRows,
            restored: restored.r,
            restoredRows,
        };
    } finally {
        await restored?.stop();
        await lab.cleanup();
    }
}

// ---------------------------------------------------------------------------------------------------

interface CrashResult {
    archiveTimeout: number;
    lastAck: Ack;
    restored: RunResult;
    newestRestored: string;
    /** Rows restored, and the highest id among them (the writer numbers its rows 1, 2, …). */
    restoredCount: number;
    maxId: number;
    lostRows: number;
    lossSeconds: number;
}

async function crashPostgres(): Promise<CrashResult> {
    const lab = await Lab.create({ archiveTimeoutSeconds: CRASH_ARCHIVE_TIMEOUT });
    let restored: Restored | undefined;
    try {
        const b = await lab.runScript("backup.sh");
        assert.equal(b.code, 0, b.stderr);
        const w = await Writer.start(lab, { intervalMs: 100 });
        // Run long enough for several archive_timeout switches, and kill at an arbitrary moment.
        await sleep((2.5 * CRASH_ARCHIVE_TIMEOUT + Math.random() * CRASH_ARCHIVE_TIMEOUT) * 1000);
        await lab.pg.kill9();
        await w.stop();
        const lastAck = w.lastAck!;
        // The volume is lost: nothing of the data directory may help the restore.
        fs.rmSync(lab.pg.pgdata, { recursive: true, force: true });

        restored = await restoreFromBucket(lab, "crash");
        let newestRestored = "";
        let maxId = 0;
        let restoredCount = 0;
        if (restored.r.code === 0) {
            const [count, id, ts] = (await restored.query(`SELECT count(*), max(id), to_char(max(ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM ${w.table}`)).split("|");
            restoredCount = Number(count);
            maxId = Number(id);
            newestRestored = ts;
        }
        return {
            archiveTimeout: CRASH_ARCHIVE_TIMEOUT,
            lastAck,
            restored: restored.r,
            newestRestored,
            restoredCount,
            maxId,
            lostRows: lastAck.id - maxId,
            lossSeconds: newestRestored ? secondsBetween(newestRestored, lastAck.ts) : Infinity,
        };
    } finally {
        await restored?.stop();
        await lab.cleanup();
    }
}

// ---------------------------------------------------------------------------------------------------

interface BackupKillResult {
    first: string;
    partial: string;
    partialObjects: number;
    partialHasSentinel: boolean;
    listedAfterKill: string[];
    next: RunResult;
    listedAfterNext: string[];
    drill: RunResult;
}

async function killDuringBackupPush(): Promise<BackupKillResult> {
    const lab = await Lab.create({});
    try {
        const canary = await lab.runScript("canary.sh");
        assert.equal(canary.code, 0, canary.stderr);
        await lab.psql("CREATE TABLE bulk AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS v FROM generate_series(1, 600000) g");
        const first = await lab.runScript("backup.sh");
        assert.equal(first.code, 0, first.stderr);
        const firstName: string = first.json.backup;
        await lab.psql("INSERT INTO bulk SELECT g, md5(g::text) FROM generate_series(600001, 900000) g");

        // backup.sh as the CronJob pod would run it, in its own process group; small tar parts so
        // that parts of the doomed backup reach the bucket before the kill.
        const child = spawn(path.join(lab.scriptsDir, "backup.sh"), [], {
            env: lab.env("rw", { WALG_TAR_SIZE_THRESHOLD: String(4 << 20) }),
            cwd: lab.workDir,
            detached: true,
            stdio: "ignore",
            uid: lab.osUser?.uid,
            gid: lab.osUser?.gid,
        });
        const exited = new Promise<void>((r) => child.once("exit", () => r()));
        let partial = "";
        try {
            partial = await waitFor(
                "two tar parts of the new backup in the bucket",
                async () => {
                    const parts = (await objectKeys(lab, "basebackups_005/")).filter((k) => !k.includes(firstName) && k.includes("/tar_partitions/part_"));
                    return parts.length >= 2 ? parts[0].split("/")[1] : undefined;
                },
                120_000,
                250,
            );
        } finally {
            process.kill(-child.pid!, "SIGKILL");
            await exited;
        }
        const objects = await objectKeys(lab, "basebackups_005/");
        const listedAfterKill = (JSON.parse((await lab.walg(["backup-list", "--detail", "--json"])).stdout) as { backup_name: string }[]).map((b) => b.backup_name);

        const next = await lab.runScript("backup.sh");
        const listedAfterNext = (JSON.parse((await lab.walg(["backup-list", "--detail", "--json"])).stdout) as { backup_name: string }[]).map((b) => b.backup_name);
        const drill = await lab.runScript("restore-drill.sh", { role: "ro" });
        return {
            first: firstName,
            partial,
            partialObjects: objects.filter((k) => k.startsWith(`basebackups_005/${partial}/`)).length,
            partialHasSentinel: objects.includes(`basebackups_005/${partial}_backup_stop_sentinel.json`),
            listedAfterKill,
            next,
            listedAfterNext,
            drill,
        };
    } finally {
        await lab.cleanup();
    }
}

// ---------------------------------------------------------------------------------------------------

interface DamageResult {
    roMcRemove: RunResult;
    roDelete: RunResult;
    roRetention: RunResult;
    objectsBeforeRo: string[];
    objectsAfterRo: string[];
    wrongKeyRestoreDrill: RunResult;
    wrongKeyPitrDrill: RunResult;
    deletedSegment: string;
    pitrAfterDeletion: RunResult;
}

async function damagedArchive(): Promise<DamageResult> {
    const lab = await Lab.create({ archiveTimeoutSeconds: 60 });
    try {
        const b0 = await lab.runScript("backup.sh");
        assert.equal(b0.code, 0, b0.stderr);
        await lab.psql("CREATE TABLE damage_marks (n int, ts timestamptz DEFAULT clock_timestamp())");
        const segments: string[] = [];
        let target = "";
        for (let i = 1; i <= 4; i++) {
            const c = await lab.runScript("canary.sh");
            assert.equal(c.code, 0, c.stderr);
            await lab.psql(`INSERT INTO damage_marks(n) VALUES (${i})`);
            if (i === 3) {
                await sleep(1100);
                target = await lab.psql(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);
                await sleep(1100);
                await lab.psql("INSERT INTO damage_marks(n) VALUES (31)");
            }
            segments.push(await lab.switchWalAndWaitArchived());
        }
        const b1 = await lab.runScript("backup.sh");
        assert.equal(b1.code, 0, b1.stderr);

        // 6. read-only key: deleting is denied, by wal-g and by retention.sh
        const objectsBeforeRo = await objectKeys(lab);
        const mcRo = path.join(lab.root, "mc-ro");
        const roMcRemove = await run(findTool("mc"), ["rm", `ro/${lab.bucket}/${lab.prefix}/${objectsBeforeRo[0]}`], {
            env: { PATH: process.env.PATH, HOME: mcRo, MC_CONFIG_DIR: mcRo, MC_NO_COLOR: "1", MC_HOST_ro: `http://${lab.keys.ro.id}:${lab.keys.ro.secret}@127.0.0.1:${lab.minio.port}` },
            timeoutMs: 60_000,
        });
        const roDelete = await lab.walg(["delete", "before", b1.json.backup, "--confirm"], "ro");
        const roRetention = await lab.runScript("retention.sh", {
            role: "ro",
            env: { TERNENT_RETAIN_DAILY: "1", TERNENT_RETAIN_WEEKLY: "0", TERNENT_PITR_DAYS: "0", TERNENT_WEEKLY_DAY: "sunday", TERNENT_RETENTION_DRY_RUN: "false" },
        });
        const objectsAfterRo = await objectKeys(lab);

        // 5. wrong libsodium key: both drills fail. backup-fetch takes a wrong key's "corrupted chunk"
        // for a download error and retries it like one (the rendered walg.retries bound that to 520 s,
        // WAL-G's own defaults to about an hour); no retries and one stream fail at once.
        const wrongKey = { WALG_LIBSODIUM_KEY: crypto.randomBytes(32).toString("hex"), WALG_DOWNLOAD_FILE_RETRIES: "0", WALG_DOWNLOAD_CONCURRENCY: "1" };
        const wrongKeyRestoreDrill = await lab.runScript("restore-drill.sh", { role: "ro", env: wrongKey, timeoutMs: 180_000 });
        const wrongKeyPitrDrill = await lab.runScript("pitr-drill.sh", { role: "ro", env: { ...wrongKey, TERNENT_PITR_TARGET: target }, timeoutMs: 180_000 });

        // 4. a WAL segment between the base backup and T disappears: the PITR drill names it
        const deletedSegment = segments[1];
        const key = (await objectKeys(lab, "wal_005/")).find((k) => k.startsWith(`wal_005/${deletedSegment}`) && !k.includes(".backup"));
        assert.ok(key, `no object for ${deletedSegment}`);
        await lab.minio.mc(["rm", `lab/${lab.bucket}/${lab.prefix}/${key}`]);
        const pitrAfterDeletion = await lab.runScript("pitr-drill.sh", { role: "ro", env: { TERNENT_PITR_TARGET: target } });
        return { roMcRemove, roDelete, roRetention, objectsBeforeRo, objectsAfterRo, wrongKeyRestoreDrill, wrongKeyPitrDrill, deletedSegment, pitrAfterDeletion };
    } finally {
        await lab.cleanup();
    }
}

// ---------------------------------------------------------------------------------------------------

describe("fault scenarios (real PostgreSQL, WAL-G, MinIO)", function () {
    this.timeout(25 * 60_000);
    const skip = labSkipReason();
    let outage: Settled<OutageResult> | undefined;
    let crash: Settled<CrashResult> | undefined;
    let backupKill: Settled<BackupKillResult> | undefined;
    let damage: Settled<DamageResult> | undefined;

    before(async function () {
        requireOrSkip(this, skip);
        const short = (async () => {
            crash = await settle(crashPostgres);
            backupKill = await settle(killDuringBackupPush);
            damage = await settle(damagedArchive);
        })();
        [outage] = await Promise.all([settle(s3Outage), short]);
        if (process.env.TERNENT_TEST_VERBOSE) {
            const brief = (r?: RunResult) => r && { code: r.code, json: r.json, stderr: r.stderr.slice(-1500) };
            console.log(JSON.stringify({
                outage: outage.value && { ...outage.value, verifyDuring: brief(outage.value.verifyDuring), verifyAfter: brief(outage.value.verifyAfter), restored: brief(outage.value.restored) },
                outageError: outage.error?.message,
                crash: crash?.value && { ...crash.value, restored: brief(crash.value.restored) },
                crashError: crash?.error?.message,
                backupKill: backupKill?.value && { ...backupKill.value, next: brief(backupKill.value.next), drill: brief(backupKill.value.drill) },
                backupKillError: backupKill?.error?.message,
                damage: damage?.value && {
                    deletedSegment: damage.value.deletedSegment, roMcRemove: brief(damage.value.roMcRemove), roDelete: brief(damage.value.roDelete), roRetention: brief(damage.value.roRetention),
                    wrongKeyRestoreDrill: brief(damage.value.wrongKeyRestoreDrill), wrongKeyPitrDrill: brief(damage.value.wrongKeyPitrDrill), pitrAfterDeletion: brief(damage.value.pitrAfterDeletion),
                },
                damageError: damage?.error?.message,
            }, null, 2));
        }
    });

    describe(`S3 stopped for ${OUTAGE_SECONDS} s while writing`, () => {
        it("keeps the database writable during the outage", () => {
            const r = must(outage);
            assert.ok(r.outageSeconds >= OUTAGE_SECONDS, `outage lasted ${r.outageSeconds}s`);
            assert.equal(r.writerErrors, 0);
            assert.ok(r.acksDuringOutage >= OUTAGE_SECONDS * 2, `only ${r.acksDuringOutage} commits during the outage`);
        });

        it("archives nothing during the outage while WAL segments pile up", () => {
            const r = must(outage);
            assert.equal(r.archivedAtEnd, r.archivedBefore);
            assert.ok(r.segmentsWrittenDuringOutage >= 3, `${r.segmentsWrittenDuringOutage} segments`);
        });

        it("is reported unhealthy by verify.sh during the outage", () => {
            const r = must(outage);
            assert.equal(r.verifyDuring.code, 1, r.verifyDuring.stderr);
            assert.equal(r.verifyDuring.json.healthy, false);
            assert.match(r.verifyDuring.json.problems.join(" "), /last archived WAL .* s old|archiving is failing/);
        });

        it("resumes archiving by itself once S3 is back, and verify.sh is healthy again", () => {
            const r = must(outage);
            assert.ok(r.resumedAfterSeconds < 300);
            assert.equal(r.verifyAfter.code, 0, r.verifyAfter.stdout + r.verifyAfter.stderr);
        });

        it("loses nothing: a restore from the bucket holds every committed row", () => {
            const r = must(outage);
            assert.equal(r.restored.code, 0, r.restored.stderr);
            assert.equal(r.restoredRows, r.primaryRows);
        });
    });

    describe("kill -9 of PostgreSQL, data directory discarded, restore from the bucket", () => {
        it("restores the newest backup and replays the archive to its end", () => {
            const r = must(crash);
            assert.equal(r.restored.code, 0, r.restored.stderr);
            assert.equal(r.restored.json.ok, true);
        });

        it(`loses at most archive_timeout (${CRASH_ARCHIVE_TIMEOUT} s) of commits, plus ${UPLOAD_SLACK_SECONDS} s for the last upload`, () => {
            const r = must(crash);
            assert.ok(r.lossSeconds <= r.archiveTimeout + UPLOAD_SLACK_SECONDS, `lost ${r.lossSeconds}s (${r.lostRows} rows)`);
        });

        it("restores an unbroken prefix of the acknowledged rows: none missing before the newest restored one", () => {
            const r = must(crash);
            assert.ok(r.maxId > 0, "no row restored");
            assert.ok(r.maxId <= r.lastAck.id, `restored row ${r.maxId} was never acknowledged (last ack ${r.lastAck.id})`);
            assert.equal(r.restoredCount, r.maxId, `${r.maxId - r.restoredCount} acknowledged row(s) missing below id ${r.maxId}`);
        });
    });

    describe("kill -9 during backup-push", () => {
        it("leaves parts of the killed backup in the bucket but no sentinel", () => {
            const r = must(backupKill);
            assert.ok(r.partialObjects >= 2, `${r.partialObjects} objects`);
            assert.equal(r.partialHasSentinel, false);
        });

        it("never lists the partial backup, so it never becomes LATEST", () => {
            const r = must(backupKill);
            assert.deepEqual(r.listedAfterKill, [r.first]);
        });

        it("takes the next backup successfully and the restore drill restores it as LATEST", () => {
            const r = must(backupKill);
            assert.equal(r.next.code, 0, r.next.stderr);
            assert.deepEqual(r.listedAfterNext, [r.first, r.next.json.backup]);
            assert.equal(r.drill.code, 0, r.drill.stdout + r.drill.stderr);
            assert.equal(r.drill.json.backup, r.next.json.backup);
        });
    });

    describe("a deleted WAL segment", () => {
        it("fails the PITR drill, naming the missing segment", () => {
            const r = must(damage);
            const v = r.pitrAfterDeletion;
            assert.equal(v.code, 1, v.stdout + v.stderr);
            assert.equal(v.json.ok, false);
            const named = [v.json.missingSegment, ...(v.json.lostSegments ?? []), v.json.reason].join(" ");
            assert.ok(named.includes(r.deletedSegment), `verdict does not name ${r.deletedSegment}: ${JSON.stringify(v.json)}`);
        });
    });

    describe("a wrong libsodium key", () => {
        it("fails the restore drill, naming the failed fetch (fetch retries shortened for the test)", () => {
            const r = must(damage).wrongKeyRestoreDrill;
            assert.equal(r.code, 1, r.stdout + r.stderr);
            assert.equal(r.json.ok, false);
            assert.match(r.json.reason, /backup-fetch .* failed/);
        });

        it("fails the PITR drill, naming the failed fetch (fetch retries shortened for the test)", () => {
            const r = must(damage).wrongKeyPitrDrill;
            assert.equal(r.code, 1, r.stdout + r.stderr);
            assert.equal(r.json.ok, false);
            assert.match(r.json.reason, /backup-fetch .* failed/);
        });
    });

    describe("the read-only drill key", () => {
        it("is denied by S3 on delete", () => {
            const r = must(damage).roMcRemove;
            assert.notEqual(r.code, 0);
            assert.match(r.stderr + r.stdout, /Access Denied/i);
        });

        it("deletes nothing through `wal-g delete … --confirm` (which still exits 0: WAL-G ignores per-object errors)", () => {
            const d = must(damage);
            assert.match(d.roDelete.stderr, /Object marked for deletion/);
            assert.deepEqual(d.objectsAfterRo, d.objectsBeforeRo);
        });

        it("makes retention.sh fail loudly instead of reporting success", () => {
            const d = must(damage);
            assert.equal(d.roRetention.code, 1, d.roRetention.stderr);
            assert.equal(d.roRetention.json.status, "failed");
            assert.match(d.roRetention.json.message, /still listed/);
        });
    });
});
