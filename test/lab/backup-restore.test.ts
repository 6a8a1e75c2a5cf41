// backup.sh, restore.sh and the restore drill on the read-only key, read-only key enforcement, and the
// real WAL-G exit codes restore-command.sh maps; real PostgreSQL 15, WAL-G and MinIO.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { S3Object, sleep } from "../../lab";
import { useLab } from "./helpers";

describe("lab: base backup, restore drill and read-only credentials", function () {
    this.timeout(180_000);
    const lab = useLab({ archiveTimeoutSeconds: 2 });
    let backupName = "";
    let newestCanary = "";

    const snapshot = async (): Promise<S3Object[]> => (await lab().minio.listObjects(lab().bucket)).map(({ key, size, etag }) => ({ key, size, etag, lastModified: "" }));

    it("backup.sh pushes a base backup that backup-list shows, and prints its name and duration", async function () {
        await lab().psql("CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 1000)");
        const r = await lab().runScript("backup.sh");
        assert.equal(r.code, 0, r.stderr);
        backupName = r.json.backup;
        assert.match(backupName, /^base_[0-9A-F]{24}$/);
        assert.ok(r.json.durationSeconds > 0);
        const list = JSON.parse((await lab().walg(["backup-list", "--detail", "--json"], "ro")).stdout);
        assert.deepEqual(list.map((b: { backup_name: string }) => b.backup_name), [backupName]);
        assert.equal(list[0].finish_time, r.json.finishedAt);
        const keys = (await snapshot()).map((o) => o.key);
        assert.ok(keys.includes(`${lab().prefix}/basebackups_005/${backupName}_backup_stop_sentinel.json`), keys.join("\n"));
    });

    it("the restore drill restores LATEST on the read-only key, replays to the end of the archive and passes every check", async function () {
        for (let i = 0; i < 3; i++) {
            await lab().psql(`INSERT INTO t VALUES (${2000 + i})`);
            newestCanary = (await lab().runScript("canary.sh")).json.ts;
            await lab().switchWalAndWaitArchived();
        }
        const r = await lab().runScript("restore-drill.sh", { role: "ro", env: { TERNENT_SMOKE_SQL: "SELECT 1 / (count(*) = 1003)::int FROM t" } });
        assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
        assert.equal(r.json.drill, "restore");
        assert.equal(r.json.ok, true);
        assert.deepEqual(r.json.checks, { restore: "pass", backupReadable: "pass", connect: "pass", catalog: "pass", canary: "pass", smokeSql: "pass" });
        assert.equal(r.json.backup, backupName);
        assert.equal(r.json.newestCanary, newestCanary, "replay reached the newest archived canary");
        assert.ok(r.json.rtoSeconds > 0);
        assert.equal(r.json.restore.recovery.timeline, 2, "promoted");
        assert.deepEqual(fs.readdirSync(lab().workDir).filter((f) => f.startsWith("rd.")), [], "scratch directory removed");
    });

    it("the restore drill passes while the primary keeps archiving new segments (no false gap)", async function () {
        const l = lab();
        // A new segment every few seconds, slower than replay, so the drill catches up and ends; before
        // the archive was listed ahead of the replay, a segment arriving after PostgreSQL asked for it
        // looked like a gap.
        let writing = true;
        const writer = (async () => {
            while (writing) {
                await l.runScript("canary.sh");
                await l.psql("SELECT pg_switch_wal()");
                for (let i = 0; i < 30 && writing; i++) await sleep(100);
            }
        })();
        try {
            const r = await l.runScript("restore-drill.sh", { role: "ro" });
            assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
            assert.equal(r.json.ok, true);
        } finally {
            writing = false;
            await writer;
        }
        newestCanary = (await l.runScript("canary.sh")).json.ts;
    });

    it("smoke-checks.sh passes a healthy database and fails (exit 1) on failing extra SQL or an unreadable canary table", async function () {
        const l = lab();
        const env = { PGHOST: l.pg.opts.socketDir, PGPORT: String(l.pg.port) };
        const ok = await l.runScript("smoke-checks.sh", { env: { ...env, TERNENT_SMOKE_SQL: "SELECT count(*) FROM t" } });
        assert.equal(ok.code, 0, ok.stdout);
        assert.deepEqual(ok.json.checks, { connect: "pass", catalog: "pass", canary: "pass", smokeSql: "pass" });
        assert.equal(ok.json.newestCanary, newestCanary);
        const badSql = await l.runScript("smoke-checks.sh", { env: { ...env, TERNENT_SMOKE_SQL: "SELECT * FROM no_such_table" } });
        assert.equal(badSql.code, 1);
        assert.equal(badSql.json.checks.smokeSql, "fail");
        assert.match(badSql.json.errors.smokeSql, /no_such_table/);
        await l.psql("CREATE ROLE smoke LOGIN"); // may connect, may not read ternent_canary
        const noCanary = await l.runScript("smoke-checks.sh", { env: { ...env, PGUSER: "smoke" } });
        assert.equal(noCanary.code, 1);
        assert.equal(noCanary.json.checks.canary, "fail");
    });

    it("restore-command.sh maps real WAL-G exit codes: missing segment -> 1, wrong key -> 126 (fatal)", async function () {
        const dest = (name: string) => path.join(lab().workDir, name);
        const fetched = await lab().runScript("restore-command.sh", { role: "ro", args: ["000000010000000000000001", dest("a")] });
        assert.equal(fetched.code, 0, fetched.stderr);
        assert.equal(fs.statSync(dest("a")).size, 16 * 1024 * 1024);
        const missing = await lab().runScript("restore-command.sh", { role: "ro", args: ["0000000100000000000000F0", dest("b")] });
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /does not exist/, "wal-g's own message");
        assert.match(missing.stderr, /restore-command: not in archive: 0000000100000000000000F0/);
        const history = await lab().runScript("restore-command.sh", { role: "ro", args: ["00000009.history", dest("c")] });
        assert.equal(history.code, 1, "PostgreSQL probes for history files that do not exist");
        const wrongKey = await lab().runScript("restore-command.sh", { role: "ro", args: ["000000010000000000000001", dest("d")], env: { AWS_SECRET_ACCESS_KEY: "wrong-secret" } });
        assert.equal(wrongKey.code, 126);
        assert.match(wrongKey.stderr, /FATAL wal-fetch 000000010000000000000001 exited 1/);
    });

    it("read-only credentials cannot delete or overwrite backups or WAL (WAL-G's delete even exits 0: the listing is what counts)", async function () {
        const before = await snapshot();
        const wal = before.find((o) => o.key === lab().walKey("000000010000000000000002"))!;
        const rel = wal.key.slice(lab().prefix.length + 1);
        const deleteAll = await lab().walg(["delete", "everything", "FORCE", "--confirm"], "ro");
        const rm = await lab().walg(["st", "rm", rel], "ro");
        fs.writeFileSync(path.join(lab().workDir, "junk"), "junk");
        const put = await lab().walg(["st", "put", "--no-compress", "--no-encrypt", path.join(lab().workDir, "junk"), rel], "ro");
        assert.notEqual(put.code, 0, "overwrite refused");
        assert.match(put.stderr, /AccessDenied/);
        const push = await lab().runScript("archive-command.sh", { role: "ro", args: [path.join(lab().workDir, "junk")] });
        assert.notEqual(push.code, 0, "wal-push refused");
        // The primary may archive a new segment meanwhile; what existed must be untouched, nothing of ours added.
        const after = await snapshot();
        const kept = after.filter((o) => before.some((b) => b.key === o.key));
        assert.deepEqual(kept, before, `nothing deleted or overwritten (delete exited ${deleteAll.code}, st rm exited ${rm.code})`);
        assert.deepEqual(after.filter((o) => o.key.includes("junk")), [], "wal-push with the read-only key added nothing");
    });

    it("restore.sh refuses (exit 3) a data directory that is not empty and leaves it untouched", async function () {
        const dir = lab().mkdirForPostgres(path.join(lab().workDir, "occupied"));
        fs.writeFileSync(path.join(dir, "PG_VERSION"), "15\n");
        const r = await lab().runScript("restore.sh", { role: "ro", env: { PGDATA: dir, TERNENT_WORKDIR: lab().mkdirForPostgres(path.join(lab().workDir, "occupied-work")) } });
        assert.equal(r.code, 3);
        assert.match(r.json.reason, /is not empty; a restore never overwrites data/);
        assert.deepEqual(fs.readdirSync(dir), ["PG_VERSION"]);
    });

    it("the restore drill fails, naming the segment, when a WAL segment in the middle of the archive is missing", async function () {
        // Delete a segment soon after the backup's end (what a gap would look like; replay stops there).
        const [info] = JSON.parse((await lab().walg(["backup-list", "--detail", "--json"], "ro")).stdout);
        const segNo = Math.floor(info.finish_lsn / (16 * 1024 * 1024)) + 2;
        const name = `00000001${"0".repeat(8)}${segNo.toString(16).toUpperCase().padStart(8, "0")}`;
        const victim = lab().walKey(name);
        const segments = (await snapshot()).map((o) => o.key).filter((k) => /wal_005\/[0-9A-F]{24}(\.[a-z0-9]+)?$/.test(k)).sort();
        assert.ok(segments.includes(victim) && segments[segments.length - 1] > victim, `${victim} is in the middle of ${segments.join(", ")}`);
        await lab().minio.mcOk(["rm", `lab/${lab().bucket}/${victim}`]);
        const r = await lab().runScript("restore-drill.sh", { role: "ro" });
        assert.equal(r.code, 1, r.stdout);
        assert.equal(r.json.ok, false);
        assert.equal(r.json.checks.restore, "fail");
        assert.equal(r.json.restore.missingSegment, name);
        assert.match(r.json.reason, new RegExp(`replay stopped at the missing WAL segment ${name} but the archive holds later segments`));
    });
});
