// backup.sh over the replication protocol (no data directory: `wal-g backup-push` streams BASE_BACKUP
// from the server), as the backup pods run it: listed, restorable by the restore drill, the generation
// guard still refusing a prefix of another generation, and marked permanent the way retention marks.
// Real PostgreSQL 15, WAL-G and MinIO; the connection is TCP with the superuser's password, as in the pod.
import { strict as assert } from "assert";
import { useLab } from "./helpers";

describe("lab: base backup over the replication protocol (backup.sh without PGDATA)", function () {
    this.timeout(180_000);
    const lab = useLab({ archiveTimeoutSeconds: 2 });
    const remote = { PGDATA: "" };
    let name = "";

    it("streams a base backup without touching the data directory: listed, with its WAL file and sizes", async function () {
        const l = lab();
        await l.psql("CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 5000)");
        const r = await l.runScript("backup.sh", { env: remote });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.mode, "remote");
        assert.match(r.stderr, /replication connection to 127\.0\.0\.1/);
        assert.match(r.stderr, /Running remote backup through Postgres connection/, "WAL-G took the BASE_BACKUP route");
        name = r.json.backup;
        assert.match(name, /^base_[0-9A-F]{24}$/);
        assert.ok(r.json.compressedSize > 0 && r.json.uncompressedSize > r.json.compressedSize);
        const list = JSON.parse((await l.walg(["backup-list", "--detail", "--json"], "ro")).stdout);
        assert.deepEqual(list.map((b: { backup_name: string }) => b.backup_name), [name]);
        assert.equal(list[0].is_permanent, false);
    });

    it("the restore drill restores it on the read-only key with every row and the newest canary", async function () {
        const l = lab();
        await l.psql("INSERT INTO t VALUES (5001)");
        const canary = (await l.runScript("canary.sh")).json.ts;
        await l.switchWalAndWaitArchived();
        const r = await l.runScript("restore-drill.sh", { role: "ro", env: { TERNENT_SMOKE_SQL: "SELECT 1 / (count(*) = 5001)::int FROM t" } });
        assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
        assert.equal(r.json.ok, true);
        assert.equal(r.json.backup, name);
        assert.equal(r.json.newestCanary, canary);
    });

    it("backup-mark makes it permanent and takes it back, as retention.sh does with weeklies", async function () {
        const l = lab();
        assert.equal((await l.walg(["backup-mark", name])).code, 0);
        const marked = JSON.parse((await l.walg(["backup-list", "--detail", "--json"], "ro")).stdout);
        assert.equal(marked[0].is_permanent, true);
        assert.equal((await l.walg(["backup-mark", "-i", name])).code, 0);
        const unmarked = JSON.parse((await l.walg(["backup-list", "--detail", "--json"], "ro")).stdout);
        assert.equal(unmarked[0].is_permanent, false);
    });

    it("refuses (exit 3) to write this data directory's backup into a prefix of another generation, read through SQL", async function () {
        const l = lab();
        const r = await l.runScript("backup.sh", { env: { ...remote, TERNENT_DATA_GENERATION: "1" } });
        assert.equal(r.code, 3, r.stderr);
        assert.match(r.stderr, /the data directory of 127\.0\.0\.1 holds data generation 0 but .* belongs to generation 1/);
        const list = JSON.parse((await l.walg(["backup-list", "--detail", "--json"], "ro")).stdout);
        assert.equal(list.length, 1, "nothing pushed");
    });
});
