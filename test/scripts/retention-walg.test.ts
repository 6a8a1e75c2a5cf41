// retention.sh against real WAL-G 3.0.9, MinIO and PostgreSQL 15: the commands and flags the
// simulation assumes (backup-list --detail --json, backup-mark, backup-mark -i, delete before NAME
// [--confirm]) really behave that way, and PITR into the kept window still works after deletion.
// Backups are taken seconds apart and aged to days apart by rewriting their metadata.json (wal-g st
// cat / st put --no-compress --no-encrypt, as WAL-G's docker/pg_tests do); `delete before NAME`
// orders by name, so the ages only steer the plan.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { Lab, PG_BIN, labSkipReason, run, RunResult } from "../../lab";
import { requireOrSkip } from "../setup/requirements";

const DAY = 24 * 3600_000;
const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

interface Meta { start_time: string; finish_time: string; is_permanent: boolean; start_lsn: number; finish_lsn: number }
interface Listed { backup_name: string; start_time: string; finish_time: string; is_permanent?: boolean; start_lsn: number; finish_lsn: number }

const walSeg = (lsn: number): number => Math.floor(lsn / 0x1000000);
const segOfName = (n: string): number => parseInt(n.slice(13, 21), 16) * 256 + parseInt(n.slice(21, 29), 16);

describe("retention.sh against real WAL-G, MinIO and PostgreSQL", function () {
    this.timeout(900_000);
    const skip = labSkipReason();
    let lab: Lab;
    const names: string[] = [];          // B0..B5, oldest first
    const original = new Map<string, Meta>();
    let pitrInWindow = "";               // between B3 (kept) and B4
    let pitrInDeletedRange = "";         // between B2 (deleted) and B3
    let objectsBefore: string[] = [];
    let retention: RunResult;
    const claims: Record<string, RunResult> = {};

    async function mark(label: string): Promise<void> {
        await lab.psql(`INSERT INTO retention_marks(label) VALUES ('${label}')`);
    }
    async function dbNow(): Promise<string> {
        return lab.psql(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);
    }
    const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

    async function list(detail = true): Promise<Listed[]> {
        const r = await lab.walg(detail ? ["backup-list", "--detail", "--json"] : ["backup-list", "--json"]);
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout) as Listed[];
    }
    async function readMeta(name: string): Promise<Meta> {
        const r = await lab.walg(["st", "cat", `basebackups_005/${name}/metadata.json`]);
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout) as Meta;
    }
    async function writeMeta(name: string, meta: Meta): Promise<void> {
        const file = path.join(lab.workDir, `${name}-metadata.json`);
        fs.writeFileSync(file, JSON.stringify(meta));
        fs.chmodSync(file, 0o644);
        const r = await lab.walg(["st", "put", "--no-compress", "--no-encrypt", "-f", file, `basebackups_005/${name}/metadata.json`]);
        assert.equal(r.code, 0, r.stderr);
    }
    async function keys(prefix: string): Promise<string[]> {
        return (await lab.minio.listObjects(lab.bucket, `${lab.prefix}/${prefix}`)).map((o) => o.key.slice(lab.prefix.length + 1));
    }
    /** restore.sh into a fresh directory with the read-only key; leaves the server running. */
    async function restore(target: string, tag: string): Promise<{ r: RunResult; query: (sql: string) => Promise<string>; stop: () => Promise<void> }> {
        const work = lab.mkdirForPostgres(path.join(lab.root, `work-${tag}`));
        const pgdata = path.join(lab.root, `restore-${tag}`);
        const r = await lab.runScript("restore.sh", {
            role: "ro",
            env: { PGDATA: pgdata, TERNENT_WORKDIR: work, TERNENT_RESTORE_TARGET: target, TERNENT_RESTORE_KEEP_RUNNING: "true", TERNENT_RESTORE_TIMEOUT_SECONDS: "300" },
            leaveGroup: true,
        });
        const query = async (sql: string): Promise<string> => {
            const q = await run(path.join(PG_BIN, "psql"), ["-X", "-A", "-t", "-h", path.join(work, "sock"), "-p", "5432", "-U", lab.dbUser, "-d", lab.database, "-c", sql], { user: lab.osUser });
            assert.equal(q.code, 0, q.stderr);
            return q.stdout.trim();
        };
        const stop = async (): Promise<void> => {
            await run(path.join(PG_BIN, "pg_ctl"), ["-D", pgdata, "stop", "-m", "immediate", "-s"], { user: lab.osUser });
        };
        return { r, query, stop };
    }

    before(async function () {
        requireOrSkip(this, skip);
        lab = await Lab.create({ archiveTimeoutSeconds: 60 });
        await lab.psql("CREATE TABLE retention_marks (label text PRIMARY KEY, ts timestamptz NOT NULL DEFAULT clock_timestamp())");
        claims.emptyList = await lab.walg(["backup-list", "--detail", "--json"]);

        // Six backups B0..B5 with committed marks between them.
        for (let i = 0; i < 6; i++) {
            await mark(`before-b${i}`);
            const b = await lab.runScript("backup.sh");
            assert.equal(b.code, 0, b.stderr);
            names.push(b.json.backup);
            await mark(`after-b${i}-1`);
            if (i === 2 || i === 3) {
                await pause(1100);
                const t = await dbNow();
                if (i === 2) pitrInDeletedRange = t;
                else pitrInWindow = t;
                await pause(1100);
            }
            await mark(`after-b${i}-2`);
        }
        await lab.switchWalAndWaitArchived();

        // Age B_i by (5 - i) days: B5 is today, B0 five days ago.
        for (const [i, name] of names.entries()) {
            const meta = await readMeta(name);
            original.set(name, meta);
            const age = (5 - i) * DAY;
            await writeMeta(name, {
                ...meta,
                start_time: new Date(Date.parse(meta.start_time) - age).toISOString(),
                finish_time: new Date(Date.parse(meta.finish_time) - age).toISOString(),
            });
        }
        // B0 plays an old weekly that is already permanent.
        const m = await lab.walg(["backup-mark", names[0]]);
        assert.equal(m.code, 0, m.stderr);

        // WALG-NOTES claims, dry runs only.
        claims.dryRun = await lab.walg(["delete", "before", names[3]]);
        const agedB4 = Date.parse((await list()).find((b) => b.backup_name === names[4])!.start_time);
        const justAfterB4 = new Date(agedB4 + 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
        claims.timeWithSentinel = await lab.walg(["delete", "before", justAfterB4, "--use-sentinel-time"]);
        claims.timeWithoutSentinel = await lab.walg(["delete", "before", justAfterB4]);
        claims.timeWithoutZone = await lab.walg(["delete", "before", justAfterB4.replace(/Z$/, "")]);
        claims.plainList = await lab.walg(["backup-list", "--json"]);
        claims.deleteTargetPermanent = await lab.walg(["delete", "target", names[0]]);
        objectsBefore = await keys("");

        // The weekly day is the (aged) day of B1, so B1 is the first backup of the newest week and B0
        // (permanent) lies in the week before: with N = 1 it must be released and deleted.
        const weeklyDay = WEEKDAYS[new Date(Date.parse(original.get(names[1])!.start_time) - 4 * DAY).getUTCDay()];
        retention = await lab.runScript("retention.sh", {
            env: { TERNENT_RETAIN_DAILY: "2", TERNENT_RETAIN_WEEKLY: "1", TERNENT_PITR_DAYS: "2", TERNENT_WEEKLY_DAY: weeklyDay, TERNENT_RETENTION_DRY_RUN: "false" },
        });

        if (process.env.TERNENT_TEST_VERBOSE) {
            console.log(retention.stderr, retention.stdout);
            for (const [k, v] of Object.entries(claims)) console.log(`--- ${k}: exit ${v.code}\n${v.stderr.split("\n").filter((l) => !/wal_005/.test(l)).join("\n")}`);
        }

        // Give the kept backups their real times back so PITR chooses by the real clock.
        for (const b of await list()) {
            const meta = await readMeta(b.backup_name);
            const o = original.get(b.backup_name)!;
            await writeMeta(b.backup_name, { ...meta, start_time: o.start_time, finish_time: o.finish_time });
        }
    });

    after(async () => {
        await lab?.cleanup();
    });

    it("lists an empty prefix as [] (backup-list --detail --json)", () => {
        assert.equal(claims.emptyList.code, 0);
        assert.equal(claims.emptyList.stdout.trim(), "[]");
    });

    it("changes nothing with `delete before NAME` without --confirm", () => {
        assert.equal(claims.dryRun.code, 0, claims.dryRun.stderr);
        assert.match(claims.dryRun.stderr, new RegExp(`Object marked for deletion: basebackups_005/${names[1]}`));
        assert.ok(objectsBefore.some((k) => k.startsWith(`basebackups_005/${names[1]}`)), "dry run deleted B1");
    });

    it("runs the plan with real WAL-G and exits 0 with status ok", () => {
        assert.equal(retention.code, 0, retention.stderr);
        assert.equal(retention.json.status, "ok");
        assert.equal(retention.json.plan.keepFrom, names[3]);
        assert.equal(retention.json.plan.keepFromReason, "pitr");
    });

    it("logs WAL-G's dry run before marking and deleting", () => {
        const err = retention.stderr;
        const dry = err.indexOf(`dry run: wal-g delete before ${names[3]}`);
        const markAt = err.indexOf(`marking weekly ${names[1]} permanent`);
        const confirm = err.indexOf(`deleting: wal-g delete before ${names[3]} --confirm`);
        assert.ok(dry >= 0 && markAt > dry && confirm > markAt, err);
    });

    it("deletes the non-permanent backups before the PITR anchor and the released old weekly", async () => {
        assert.deepEqual([...retention.json.deleted].sort(), [names[0], names[2]].sort());
        assert.deepEqual((await list()).map((b) => b.backup_name), [names[1], names[3], names[4], names[5]]);
        const left = await keys("basebackups_005/");
        for (const gone of [names[0], names[2]]) assert.ok(!left.some((k) => k.includes(gone)), `objects of ${gone} remain`);
    });

    it("keeps the newest weekly as a permanent backup and unmarks the older one", async () => {
        assert.deepEqual(retention.json.marked, [names[1]]);
        assert.deepEqual(retention.json.unmarked, [names[0]]);
        const b1 = (await list()).find((b) => b.backup_name === names[1])!;
        assert.equal(b1.is_permanent, true);
    });

    it("keeps WAL from the oldest kept backup on, and before it only the permanent backup's own range", async () => {
        const b1 = original.get(names[1])!;
        const from = segOfName(names[3]);
        const wal = (await keys("wal_005/")).map((k) => k.slice("wal_005/".length));
        const segs = wal.filter((f) => /^[0-9A-F]{24}/.test(f)).map((f) => parseInt(f.slice(8, 16), 16) * 256 + parseInt(f.slice(16, 24), 16));
        const older = segs.filter((s) => s < from);
        assert.ok(older.length > 0, "the permanent backup lost its WAL");
        for (const s of older) assert.ok(s >= walSeg(b1.start_lsn - 1) && s <= walSeg(b1.finish_lsn - 1), `stray WAL segment ${s}`);
        const newest = Math.max(...segs);
        for (let s = from; s <= newest; s++) assert.ok(segs.includes(s), `WAL segment ${s} after the kept backup is missing`);
    });

    it("restores a point in time inside the kept window from the oldest kept backup", async () => {
        const { r, query, stop } = await restore(pitrInWindow, "window");
        try {
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.json.backup, names[3]);
            assert.deepEqual((await query("SELECT label FROM retention_marks WHERE label LIKE '%b3%' OR label LIKE '%b4%' ORDER BY ts")).split("\n"), ["before-b3", "after-b3-1"]);
        } finally {
            await stop();
        }
    });

    it("restores the permanent weekly to its own end point", async () => {
        const { r, query, stop } = await restore(names[1], "weekly");
        try {
            assert.equal(r.code, 0, r.stderr);
            assert.equal(await query("SELECT string_agg(label, ',' ORDER BY ts) FROM retention_marks"), "before-b0,after-b0-1,after-b0-2,before-b1");
        } finally {
            await stop();
        }
    });

    it("cannot restore a point in the deleted range: replay from the weekly stops at the first deleted segment", async () => {
        const { r, stop } = await restore(pitrInDeletedRange, "deleted");
        await stop();
        assert.equal(r.code, 1);
        assert.equal(r.json.backup, names[1]);
        assert.match(r.json.missingSegment, /^[0-9A-F]{24}$/);
        assert.ok(segOfName(`base_${r.json.missingSegment}`) > walSeg(original.get(names[1])!.finish_lsn - 1));
    });

    it("shows the time-based trap: `delete before T --use-sentinel-time` also deletes the backup just before T", () => {
        assert.equal(claims.timeWithSentinel.code, 0, claims.timeWithSentinel.stderr);
        assert.match(claims.timeWithSentinel.stderr, new RegExp(`Object marked for deletion: basebackups_005/${names[4]}_backup_stop_sentinel`));
        assert.doesNotMatch(claims.timeWithSentinel.stderr, new RegExp(`basebackups_005/${names[5]}`));
    });

    it("orders by sentinel upload time without --use-sentinel-time, so aged metadata does not count", () => {
        assert.equal(claims.timeWithoutSentinel.code, 0, claims.timeWithoutSentinel.stderr);
        assert.doesNotMatch(claims.timeWithoutSentinel.stderr, /Object marked for deletion: basebackups_005/);
    });

    it("treats a time without a zone as a backup-name prefix and finds no backup", () => {
        assert.notEqual(claims.timeWithoutZone.code, 0);
        assert.doesNotMatch(claims.timeWithoutZone.stderr, /Object marked for deletion/);
    });

    it("shows why retention never uses `delete target`: its dry run would delete a permanent backup", () => {
        // names[0] was marked permanent before this dry run (WALG-NOTES: upstream #1768)
        assert.equal(claims.deleteTargetPermanent.code, 0, claims.deleteTargetPermanent.stderr);
        assert.match(claims.deleteTargetPermanent.stderr, new RegExp(`Object marked for deletion: .*${names[0]}`));
    });

    it("has no is_permanent in the plain backup-list --json", () => {
        const plain = JSON.parse(claims.plainList.stdout) as Record<string, unknown>[];
        assert.ok(plain.length > 0);
        assert.ok(plain.every((b) => !("is_permanent" in b)));
    });
});

describe("retention.sh with a key that cannot delete (real WAL-G, MinIO and PostgreSQL)", function () {
    this.timeout(300_000);
    const env = { TERNENT_RETAIN_DAILY: "1", TERNENT_RETAIN_WEEKLY: "0", TERNENT_PITR_DAYS: "0", TERNENT_WEEKLY_DAY: "sunday", TERNENT_RETENTION_DRY_RUN: "false" };
    let lab: Lab;
    let walBefore: string[] = [];
    let ro: RunResult;
    let walAfterRo: string[] = [];
    let rw: RunResult;
    let walAfterRw: string[] = [];
    const walKeys = async (): Promise<string[]> =>
        (await lab.minio.listObjects(lab.bucket, `${lab.prefix}/wal_005/`)).map((o) => o.key.slice(lab.prefix.length + 1)).sort();

    before(async function () {
        requireOrSkip(this, labSkipReason());
        lab = await Lab.create({ archiveTimeoutSeconds: 60 });
        // WAL archived before the only backup: the plan deletes no backup, only these WAL objects.
        await lab.psql("CREATE TABLE ro_marks (n int)");
        await lab.switchWalAndWaitArchived();
        await lab.psql("INSERT INTO ro_marks VALUES (1)");
        await lab.switchWalAndWaitArchived();
        const b = await lab.runScript("backup.sh");
        assert.equal(b.code, 0, b.stderr);
        walBefore = await walKeys();
        ro = await lab.runScript("retention.sh", { role: "ro", env });
        walAfterRo = await walKeys();
        rw = await lab.runScript("retention.sh", { role: "rw", env });
        walAfterRw = await walKeys();
    });
    after(async function () {
        this.timeout(60_000);
        await lab?.cleanup();
    });

    it("plans to delete no backup but the WAL objects before it", () => {
        assert.deepEqual(JSON.parse(JSON.stringify(rw.json.plan.delete)), []);
        assert.ok(walAfterRw.length < walBefore.length, `rw run deleted no WAL object: ${walBefore.length} before, ${walAfterRw.length} after`);
    });

    it("fails loudly with the read-only key although WAL-G reports success, and nothing is deleted", () => {
        assert.match(ro.stderr, /Objects deleted successfully|Object marked for deletion/);
        assert.equal(ro.code, 1, ro.stderr);
        assert.equal(ro.json.status, "failed");
        assert.match(ro.json.message, /WAL object\(s\) planned for deletion are still listed/);
        assert.deepEqual(walAfterRo, walBefore);
    });

    it("succeeds with the read-write key and verifies the WAL objects are gone", () => {
        assert.equal(rw.code, 0, rw.stderr);
        assert.equal(rw.json.status, "ok");
        assert.ok(rw.json.deletedWal > 0, JSON.stringify(rw.json));
        assert.equal(walBefore.length - walAfterRw.length, rw.json.deletedWal);
    });
});
