// Issue 13 in the lab: the newest base backup is corrupted in the bucket (bytes of its tar part flipped,
// so libsodium refuses it). The recovery Job's restore.sh gives up on it after WAL-G's bounded retries,
// names the object, and falls back to the older backup whose WAL reaches the newest one unbroken; the
// restore drill restores too but fails, naming the object; a named target and a broken WAL chain have
// no fallback. WAL-G's retries are shortened for the test (fileRetries 0, one download stream: one
// attempt); `npm run lab` figures in the report were measured with the rendered policy.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { Lab, PG_BIN, run } from "../../lab";
import { useLab } from "./helpers";

const FAST = { WALG_DOWNLOAD_FILE_RETRIES: "0", WALG_DOWNLOAD_CONCURRENCY: "1" };

/** Flips 64 bytes in the middle of an object (an encrypted part then fails to decrypt). */
async function corrupt(l: Lab, key: string): Promise<void> {
    const file = path.join(l.root, `corrupt-${path.basename(key)}`);
    await l.minio.mcOk(["cp", `lab/${l.bucket}/${key}`, file]);
    const buf = fs.readFileSync(file);
    const at = Math.floor(buf.length / 2);
    for (let i = at; i < at + 64; i++) buf[i] ^= 0xff;
    fs.writeFileSync(file, buf);
    await l.minio.mcOk(["cp", file, `lab/${l.bucket}/${key}`]);
}

describe("lab: a corrupted newest base backup", function () {
    this.timeout(300_000);
    const lab = useLab({ archiveTimeoutSeconds: 2 });
    let older = "";
    let newest = "";
    let part = "";
    let segmentBetween = "";

    before(async function () {
        this.timeout(180_000);
        const l = lab();
        await l.psql("CREATE TABLE t (x int PRIMARY KEY)");
        older = (await l.runScript("backup.sh")).json.backup;
        await l.psql("INSERT INTO t VALUES (1)");
        segmentBetween = await l.switchWalAndWaitArchived();
        newest = (await l.runScript("backup.sh")).json.backup;
        await l.psql("INSERT INTO t VALUES (2)");
        assert.equal((await l.runScript("canary.sh")).code, 0);
        await l.switchWalAndWaitArchived();
        // The database is gone; what is left is the bucket.
        await l.pg.stop("fast");
        const objects = await l.minio.listObjects(l.bucket, `${l.prefix}/basebackups_005/${newest}/tar_partitions/`);
        part = objects.find((o) => /\/part_\d+\.tar/.test(o.key))!.key;
        await corrupt(l, part);
    });

    const restore = (name: string, env: NodeJS.ProcessEnv) => {
        const l = lab();
        const work = l.mkdirForPostgres(path.join(l.root, `work-${name}`));
        const pgdata = path.join(l.mkdirForPostgres(path.join(l.root, `data-${name}`), 0o755), "pgdata");
        return l.runScript("restore.sh", { role: "ro", env: { PGDATA: pgdata, TERNENT_WORKDIR: work, ...FAST, ...env } }).then((r) => ({ r, pgdata, work }));
    };

    it("the recovery Job gives up on the corrupted backup, names the object and falls back to the older one: all rows restored", async function () {
        const { r, pgdata } = await restore("job", { TERNENT_RESTORE_TARGET: "latest", TERNENT_RESTORE_GENERATION: "1" });
        if (process.env.TERNENT_TEST_VERBOSE) console.log(JSON.stringify({ fetchFailures: r.json?.fetchFailures, fallback: r.json?.fallback, totalSeconds: r.json?.totalSeconds }));
        assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
        assert.equal(r.json.ok, true);
        assert.equal(r.json.backup, older);
        assert.equal(r.json.fallback.from, newest);
        assert.equal(r.json.fallback.to, older);
        const url = `s3://${lab().bucket}/${part}`;
        assert.deepEqual(r.json.fetchFailures.map((f: { backup: string; objects: string[] }) => [f.backup, f.objects]), [[newest, [url]]]);
        assert.match(r.json.fallback.reason, new RegExp(`wal-g backup-fetch ${newest} failed after [0-9.]+ s on ${url.replace(/[.]/g, "\\.")}: .*corrupted chunk \\(retry bound 600 s\\)`));
        assert.equal(r.json.retryBoundSeconds, 600, "the bound of the rendered walg.retries");
        assert.match(r.stderr, new RegExp(`FALLBACK: ${newest} cannot be read; restoring the older ${older} instead`));
        // Replay went from the older backup through the newest one's WAL to the end of the archive.
        const db = await run(path.join(PG_BIN, "postgres"), ["--single", "-D", pgdata, "-c", "archive_mode=off", lab().database], {
            input: "SELECT string_agg(x::text, ',' ORDER BY x) FROM t;\n", user: lab().osUser, env: { PATH: process.env.PATH },
        });
        assert.match(db.stdout, /string_agg = "1,2"/, db.stdout + db.stderr);
    });

    it("the restore drill restores the older backup but fails, naming LATEST's unreadable object", async function () {
        const r = await lab().runScript("restore-drill.sh", { role: "ro", env: FAST });
        assert.equal(r.code, 1, `${r.stderr}\n${r.stdout}`);
        assert.equal(r.json.ok, false);
        assert.equal(r.json.checks.restore, "pass");
        assert.equal(r.json.checks.backupReadable, "fail");
        assert.equal(r.json.backup, older);
        assert.match(r.json.reason, new RegExp(`^LATEST could not be read, restored the older ${older} instead: wal-g backup-fetch ${newest} failed .* on s3://.*${path.basename(part).replace(/[.]/g, "\\.")}`));
    });

    it("a named target has no fallback: the restore fails at once, naming the object", async function () {
        const { r } = await restore("named", { TERNENT_RESTORE_TARGET: newest });
        assert.equal(r.code, 1, r.stdout);
        assert.equal(r.json.ok, false);
        assert.equal(r.json.fallback, null);
        assert.deepEqual(r.json.failedObjects, [`s3://${lab().bucket}/${part}`]);
        assert.match(r.json.reason, new RegExp(`the target names backup ${newest}: a restore of a named backup has no other backup to fall back to`));
    });

    it("no fallback when the WAL from the older backup to the newest is broken: fails naming the object and the missing segment", async function () {
        const l = lab();
        await l.minio.mcOk(["rm", `lab/${l.bucket}/${l.walKey(segmentBetween)}`]);
        const { r } = await restore("gap", { TERNENT_RESTORE_TARGET: "latest" });
        assert.equal(r.code, 1, r.stdout);
        assert.equal(r.json.fallback, null);
        assert.match(r.json.reason, new RegExp(`backup-fetch ${newest} failed .*; no backup to fall back to: ${older}: WAL missing between it and ${newest}: ${segmentBetween}`));
    });
});
