// Point-in-time recovery to a chosen T through pitr-drill.sh on the read-only key: exactly the rows
// committed before T, the canary accuracy check, and a loud failure naming a segment lost before T.
import { strict as assert } from "assert";
import { sleep } from "../../lab/lab";
import { useLab } from "./helpers";

describe("lab: PITR drill to a chosen time T", function () {
    this.timeout(180_000);
    const lab = useLab({ archiveTimeoutSeconds: 2, canaryIntervalSeconds: 2 });
    let T = "";
    let canaryBeforeT = "";
    let segmentOfRow2 = "";
    let backupName = "";

    before(async function () {
        this.timeout(180_000);
        const l = lab();
        await l.psql("CREATE TABLE t (x int PRIMARY KEY)");
        backupName = (await l.runScript("backup.sh")).json.backup;
        await l.psql("INSERT INTO t VALUES (1)");
        await l.switchWalAndWaitArchived();
        await l.psql("INSERT INTO t VALUES (2)");
        segmentOfRow2 = await l.switchWalAndWaitArchived();
        await l.psql("INSERT INTO t VALUES (3)");
        canaryBeforeT = (await l.runScript("canary.sh")).json.ts;
        await sleep(1200);
        T = new Date().toISOString();
        await sleep(1200);
        await l.psql("INSERT INTO t VALUES (4)");
        await l.runScript("canary.sh");
        await l.psql("INSERT INTO t VALUES (5)");
        await l.switchWalAndWaitArchived();
    });

    const drill = (extra: NodeJS.ProcessEnv = {}) =>
        lab().runScript("pitr-drill.sh", {
            role: "ro",
            env: {
                TERNENT_PITR_TARGET: T,
                TERNENT_PITR_SLACK_SECONDS: "5",
                // Fails (division by zero) unless exactly rows 1..3 are there.
                TERNENT_SMOKE_SQL: "SELECT 1 / (string_agg(x::text, ',' ORDER BY x) = '1,2,3')::int FROM t",
                ...extra,
            },
        });

    it("restores exactly the rows committed before T (later ones absent) and the canary check passes", async function () {
        const r = await drill();
        assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
        assert.equal(r.json.ok, true);
        assert.deepEqual(r.json.checks, {
            restore: "pass", connect: "pass", catalog: "pass", canary: "pass", smokeSql: "pass", canaryAccuracy: "pass", walIntegrity: "pass",
        });
        assert.equal(r.json.backup, backupName);
        assert.equal(r.json.newestCanary, canaryBeforeT, "the newest canary row is the last one before T");
        assert.ok(r.json.canaryLagSeconds >= 1.2 && r.json.canaryLagSeconds <= r.json.maxCanaryLagSeconds, String(r.json.canaryLagSeconds));
        assert.equal(r.json.restore.backupInfo.target_time.slice(-3), "+00", "recovery_target_time written with an explicit +00");
        assert.match(r.json.restore.recovery.stopped, /^recovery stopping before commit of transaction \d+/);
    });

    it("fails loudly, naming the segment, when WAL before T is missing (wal-verify reports it MISSING_LOST)", async function () {
        const l = lab();
        await l.minio.mcOk(["rm", `lab/${l.bucket}/${l.walKey(segmentOfRow2)}`]);
        const r = await drill();
        assert.equal(r.code, 1, r.stdout);
        assert.equal(r.json.ok, false);
        assert.equal(r.json.missingSegment, segmentOfRow2);
        assert.match(r.json.reason, new RegExp(`recovery ended before the target .* was reached: WAL segment ${segmentOfRow2} is missing`));
        assert.deepEqual(r.json.lostSegments, [segmentOfRow2]);
        assert.equal(r.json.checks.walIntegrity, "fail");
        assert.match(r.stderr, /PITR drill FAILED/);
    });
});
