// Issue 7 in the lab: the recovery Job's script (restore.sh) restores to T into a fresh directory with the
// read-only key; PostgreSQL comes up on it with exactly the rows committed up to T; it then archives and
// backs up to the next generation's prefix while nothing under the old prefix changes.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { Lab, PG_BIN, LocalPostgres, freePort, run, sleep } from "../../lab";
import { column, useLab } from "./helpers";

describe("lab: recovery to T into a new volume and a new WAL-G generation", function () {
    this.timeout(180_000);
    const lab = useLab({ archiveTimeoutSeconds: 2 });
    let T = "";
    let oldListing: string[] = [];
    let pgdata = "";
    let restored: LocalPostgres | undefined;
    const oldPrefix = () => `${lab().prefix}/`;
    const newPrefix = () => `${lab().prefixFor(1)}/`;
    const listing = async (l: Lab, prefix: string) => (await l.minio.listObjects(l.bucket, prefix)).map((o) => `${o.key} ${o.size} ${o.etag}`);

    before(async function () {
        this.timeout(180_000);
        const l = lab();
        await l.psql("CREATE TABLE orders (id int PRIMARY KEY)");
        await l.runScript("backup.sh");
        await l.psql("INSERT INTO orders VALUES (1); INSERT INTO orders VALUES (2)");
        await sleep(1200);
        T = new Date().toISOString();
        await sleep(1200);
        await l.psql("INSERT INTO orders VALUES (3)"); // the "bad" change recovery undoes
        await l.switchWalAndWaitArchived();
        // The old primary goes away before the restore (the StatefulSet is switched to the new claim).
        await l.pg.stop("fast");
        oldListing = await listing(l, oldPrefix());
    });
    after(async function () {
        await restored?.stop("immediate");
    });

    it("restore.sh restores to T into a fresh directory on the read-only key and shuts PostgreSQL down cleanly", async function () {
        const l = lab();
        const volume = l.mkdirForPostgres(path.join(l.root, "data-g1"), 0o755);
        pgdata = path.join(volume, "pgdata");
        const work = l.mkdirForPostgres(path.join(l.root, "work-g1"));
        const r = await l.runScript("restore.sh", {
            role: "ro",
            env: { PGDATA: pgdata, TERNENT_WORKDIR: work, TERNENT_RESTORE_TARGET: T, TERNENT_RESTORE_GENERATION: "1" },
        });
        assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
        assert.equal(fs.readFileSync(path.join(pgdata, "ternent-generation"), "utf8"), "1\n", "restore.sh marks the new generation");
        assert.equal(r.json.ok, true);
        assert.equal(r.json.running, false);
        // Where replay stopped, proven (issue 13): the last replayed commit (row 2) is before T, the first one
        // skipped (row 3) after it.
        assert.equal(r.json.replay.ok, true, JSON.stringify(r.json.replay));
        assert.ok(Date.parse(r.json.recovery.last_replayed_commit) <= Date.parse(T), `${r.json.recovery.last_replayed_commit} > ${T}`);
        assert.ok(Date.parse(r.json.replay.stopped_at.replace(" ", "T").replace("+00", "Z")) > Date.parse(T), `${r.json.replay.stopped_at} <= ${T}`);
        const control = await run(path.join(PG_BIN, "pg_controldata"), [pgdata], { env: { PATH: process.env.PATH, LANG: "C" } });
        assert.match(control.stdout, /Database cluster state:\s+shut down$/m);
        assert.ok(!fs.existsSync(path.join(pgdata, "recovery.signal")), "promoted: no recovery.signal left");
    });

    it("PostgreSQL comes up on the restored directory with exactly the rows committed up to T", async function () {
        const l = lab();
        const port = await freePort();
        restored = new LocalPostgres({
            pgdata,
            socketDir: path.join(l.root, "sock-g1"),
            port,
            configFile: l.confFile,
            settings: { archive_timeout: "2" },
            // As the StatefulSet after recovery: the read-write key on the generation-1 prefix.
            env: l.env("rw", { PGDATA: pgdata, PGPORT: String(port) }, 1),
            user: l.osUser,
            logFile: path.join(l.root, "log", "postgres-g1.log"),
            superuser: l.dbUser,
            database: l.database,
        });
        await restored.start();
        assert.deepEqual(await column(l, "SELECT 1").catch(() => []), [], "the old primary is down");
        assert.equal(await restored.psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM orders"), "1,2");
        assert.equal(await restored.psql("SELECT pg_is_in_recovery()"), "f");
    });

    it("archives and backs up to the new generation prefix while nothing under the old prefix changes", async function () {
        const l = lab();
        const db = restored!;
        await db.psql("INSERT INTO orders VALUES (10)");
        const segment = await db.switchWalAndWaitArchived();
        const backup = await l.runScript("backup.sh", { generation: 1, env: { PGDATA: pgdata, PGPORT: String(db.port) } });
        assert.equal(backup.code, 0, backup.stderr);

        const fresh = await listing(l, newPrefix());
        assert.ok(fresh.some((o) => o.startsWith(`${l.walKey(segment, 1)} `)), fresh.join("\n"));
        assert.ok(fresh.some((o) => o.startsWith(`${newPrefix()}basebackups_005/${backup.json.backup}_backup_stop_sentinel.json `)), fresh.join("\n"));
        await sleep(3000); // an archive_timeout more: anything that would still go to the old prefix would show
        assert.deepEqual(await listing(l, oldPrefix()), oldListing);
    });

    it("refuses to back the generation-1 database up into the generation-0 prefix (a Secret that switched first)", async function () {
        const l = lab();
        const before = await listing(l, oldPrefix());
        const r = await l.runScript("backup.sh", { generation: 0, env: { PGDATA: pgdata, PGPORT: String(restored!.port) } });
        assert.equal(r.code, 3, r.stderr);
        assert.match(r.stderr, /holds data generation 1 but .* belongs to generation 0: refusing to mix/);
        assert.deepEqual(await listing(l, oldPrefix()), before);
    });

    it("the restore drill follows the new generation: it restores the generation-1 backup on timeline 2", async function () {
        const l = lab();
        await restored!.psql("INSERT INTO orders VALUES (11)");
        const canary = await l.runScript("canary.sh", { generation: 1, env: { PGPORT: String(restored!.port) } });
        assert.equal(canary.code, 0, canary.stderr);
        await restored!.switchWalAndWaitArchived();
        const r = await l.runScript("restore-drill.sh", {
            role: "ro",
            generation: 1,
            env: { TERNENT_SMOKE_SQL: "SELECT 1 / (string_agg(id::text, ',' ORDER BY id) LIKE '1,2,10%')::int FROM orders" },
        });
        assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
        assert.match(r.json.backup, /^base_00000002/);
        assert.equal(r.json.newestCanary, canary.json.ts);
        assert.equal(r.json.restore.recovery.timeline, 3);
    });
});
