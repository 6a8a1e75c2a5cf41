// Continuous WAL archiving through archive-command.sh and verify.sh, against real PostgreSQL 15,
// WAL-G and MinIO. archive_timeout is 3 s here (60 s in prod) to keep the test short.
import { strict as assert } from "assert";
import { sleep, waitFor } from "../../lab";
import { useLab } from "./helpers";

const ARCHIVE_TIMEOUT = 3;

describe("lab: WAL archiving (archive_timeout 3 s)", function () {
    this.timeout(120_000);
    const lab = useLab({ archiveTimeoutSeconds: ARCHIVE_TIMEOUT });

    const archiver = async () => {
        const [archived, failed, last] = (await lab().psql("SELECT archived_count, failed_count, coalesce(last_archived_wal, '') FROM pg_stat_archiver")).split("|");
        return { archived: Number(archived), failed: Number(failed), last };
    };
    const walObjects = async () => (await lab().minio.listObjects(lab().bucket, `${lab().prefix}/wal_005/`)).map((o) => o.key);

    it("runs the rendered archive_command (archive-command.sh %p) with archive_timeout applied", async function () {
        assert.equal(await lab().psql("SHOW archive_mode"), "on");
        assert.equal(await lab().psql("SHOW archive_command"), `${lab().scriptsDir}/archive-command.sh %p`);
        assert.equal(await lab().psql("SHOW archive_timeout"), `${ARCHIVE_TIMEOUT}s`);
    });

    it("archives every completed segment: archived_count grows, failed_count stays 0, objects land in the bucket", async function () {
        const before = await archiver();
        await lab().psql("CREATE TABLE t (x int)");
        const segments: string[] = [];
        for (let i = 0; i < 3; i++) {
            await lab().psql(`INSERT INTO t VALUES (${i})`);
            segments.push(await lab().switchWalAndWaitArchived());
        }
        const after = await archiver();
        assert.ok(after.archived >= before.archived + 3, `archived_count ${before.archived} -> ${after.archived}`);
        assert.equal(after.failed, 0);
        const objects = await walObjects();
        for (const s of segments) assert.ok(objects.includes(lab().walKey(s)), `${lab().walKey(s)} in ${objects.join(", ")}`);
    });

    it("canary.sh creates ternent_canary, adds one timestamp row per run and arms archive_timeout on a young server", async function () {
        const first = await lab().runScript("canary.sh");
        assert.equal(first.code, 0, first.stderr);
        const second = await lab().runScript("canary.sh");
        assert.equal(second.json.canaryId, first.json.canaryId + 1);
        assert.ok(Date.parse(second.json.ts) >= Date.parse(first.json.ts));
        assert.equal(second.json.armedArchiveTimeout, true);
        const rows = await lab().psql("SELECT id || ' ' || to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM ternent_canary ORDER BY id DESC LIMIT 1");
        assert.equal(rows, `${second.json.canaryId} ${second.json.ts}`);
    });

    it("ships an idle database's last write within archive_timeout (3 s here) without pg_switch_wal", async function () {
        await sleep(ARCHIVE_TIMEOUT * 1000); // let the previous switch age, as on an idle primary
        await lab().psql("INSERT INTO t VALUES (100)");
        const segment = await lab().psql("SELECT pg_walfile_name(pg_current_wal_lsn())");
        const written = Date.now();
        await waitFor(`archiving of ${segment}`, async () => (await archiver()).last >= segment, 60_000, 100);
        const seconds = (Date.now() - written) / 1000;
        // archive_timeout forces the switch; the upload itself takes a moment on a loaded machine.
        assert.ok(seconds <= ARCHIVE_TIMEOUT + 5, `shipped after ${seconds} s, archive_timeout is ${ARCHIVE_TIMEOUT} s`);
        assert.ok((await walObjects()).includes(lab().walKey(segment)));
    });

    it("verify.sh reports healthy archiving with exit 0 and one JSON line", async function () {
        const r = await lab().runScript("verify.sh");
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.healthy, true);
        assert.deepEqual(r.json.problems, []);
        assert.equal(r.json.failed_count, 0);
    });

    it("verify.sh exits 1 naming the failure while the archive refuses uploads, and recovers after", async function () {
        const l = lab();
        await l.minio.mcOk(["admin", "policy", "detach", "lab", l.policyName("rw"), "--user", l.keys.rw.id]);
        try {
            await l.psql("INSERT INTO t VALUES (200)");
            await l.psql("SELECT pg_switch_wal()");
            await waitFor("an archiver failure", async () => (await archiver()).failed > 0, 60_000);
            const r = await l.runScript("verify.sh");
            assert.equal(r.code, 1);
            assert.equal(r.json.healthy, false);
            assert.ok(r.json.problems.some((p: string) => p.startsWith("archiving is failing")), r.json.problems.join("; "));
            assert.match(r.stderr, /archiving UNHEALTHY/);
        } finally {
            await l.minio.mcOk(["admin", "policy", "attach", "lab", l.policyName("rw"), "--user", l.keys.rw.id]);
        }
        await l.switchWalAndWaitArchived();
        const healed = await l.runScript("verify.sh");
        assert.equal(healed.code, 0, healed.stdout);
    });

    it("verify.sh exits 1 when the last archived WAL is older than TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS", async function () {
        await sleep(2000);
        const r = await lab().runScript("verify.sh", { env: { TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS: "1" } });
        assert.equal(r.code, 1);
        assert.ok(r.json.problems.some((p: string) => /is [\d.]+ s old \(limit 1 s\)/.test(p)), r.json.problems.join("; "));
    });

    it("verify.sh rejects a threshold that is not a positive number with exit 2", async function () {
        const r = await lab().runScript("verify.sh", { env: { TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS: "10m" } });
        assert.equal(r.code, 2);
        assert.match(r.stderr, /TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS='10m'/);
    });
});
