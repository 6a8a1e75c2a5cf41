// Point-in-time recovery to a chosen T through pitr-drill.sh on the read-only key: exactly the rows
// committed before T, the canary accuracy check, the proof of where replay stopped (a restore that
// overshoots T by 3 s fails the drill although no canary row shows it), and a loud failure naming a
// segment lost before T.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { sleep } from "../../lab";
import { useLab } from "./helpers";

/** Seconds between two RFC 3339 / PostgreSQL times (b - a). */
const secondsBetween = (a: string, b: string) => (Date.parse(b.replace(" ", "T").replace(/\+00$/, "Z")) - Date.parse(a.replace(" ", "T").replace(/\+00$/, "Z"))) / 1000;

describe("lab: PITR drill to a chosen time T", function () {
    this.timeout(180_000);
    const lab = useLab({ archiveTimeoutSeconds: 2, canaryIntervalSeconds: 2 });
    let T = "";
    let canaryBeforeT = "";
    let segmentOfRow2 = "";
    let backupName = "";
    let row4At = "";

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
        row4At = await l.psql("INSERT INTO t VALUES (4) RETURNING to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        // No canary row until well after T + 3 s: the canary cannot see an overshoot of 3 s (in prod it
        // writes every 5 minutes).
        await sleep(5000);
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
            restore: "pass", backupReadable: "pass", connect: "pass", catalog: "pass", canary: "pass", smokeSql: "pass", canaryAccuracy: "pass",
            replayStop: "pass", walIntegrity: "pass",
        });
        assert.equal(r.json.backup, backupName);
        assert.equal(r.json.newestCanary, canaryBeforeT, "the newest canary row is the last one before T");
        assert.ok(r.json.canaryLagSeconds >= 1.2 && r.json.canaryLagSeconds <= r.json.maxCanaryLagSeconds, String(r.json.canaryLagSeconds));
        assert.equal(r.json.restore.backupInfo.target_time.slice(-3), "+00", "recovery_target_time written with an explicit +00");
        assert.match(r.json.restore.recovery.stopped, /^recovery stopping before commit of transaction \d+/);
        // Replay proven to stop at T: the last replayed commit is at or before T, the first skipped one after it.
        assert.ok(secondsBetween(r.json.lastReplayedCommit, T) >= 0, `last replayed commit ${r.json.lastReplayedCommit} after T ${T}`);
        assert.ok(secondsBetween(T, r.json.replayStoppedBefore) > 0, `stopped before ${r.json.replayStoppedBefore}, not after T ${T}`);
        assert.equal(r.json.replayStoppedBefore, r.json.restore.replay.stopped_at, "restore.sh proved the same stop against its target");
    });

    it("fails when the restore replays 3 s past T, though the canary check passes (no canary row in those 3 s)", async function () {
        const l = lab();
        // A restore.sh that overshoots: the real one, given T + 3 s (the drill itself asks for T).
        const scripts = l.mkdirForPostgres(path.join(l.root, "scripts-overshoot"), 0o755);
        for (const f of fs.readdirSync(l.scriptsDir)) {
            fs.copyFileSync(path.join(l.scriptsDir, f), path.join(scripts, f));
            fs.chmodSync(path.join(scripts, f), 0o555);
        }
        fs.rmSync(path.join(scripts, "restore.sh"));
        fs.writeFileSync(path.join(scripts, "restore.sh"), [
            "#!/usr/bin/env bash",
            "set -euo pipefail",
            `e=$(perl ${l.scriptsDir}/plan.pl time "$TERNENT_RESTORE_TARGET" | perl -MJSON::PP -e 'print decode_json(<STDIN>)->{epoch} + 3')`,
            "TERNENT_RESTORE_TARGET=$(date -u -d \"@$e\" +%Y-%m-%dT%H:%M:%S.%6NZ) exec \"$TERNENT_SCRIPTS/restore-real.sh\"",
            "",
        ].join("\n"), { mode: 0o555 });
        fs.copyFileSync(path.join(l.scriptsDir, "restore.sh"), path.join(scripts, "restore-real.sh"));
        fs.chmodSync(path.join(scripts, "restore-real.sh"), 0o555);
        // Only the canary as yardstick (no smoke SQL that checks the rows).
        const r = await drill({ TERNENT_SCRIPTS: scripts, TERNENT_SMOKE_SQL: "SELECT 1" });
        assert.equal(r.code, 1, `${r.stderr}\n${r.stdout}`);
        assert.equal(r.json.ok, false);
        assert.equal(r.json.checks.restore, "pass", "restore.sh reached the target it was given");
        assert.equal(r.json.checks.canaryAccuracy, "pass", "no canary row between T and T + 3 s");
        assert.equal(r.json.newestCanary, canaryBeforeT);
        assert.equal(r.json.checks.replayStop, "fail");
        // The commit of row 4 (1.2 s after T) was replayed: its commit record comes just after the row's clock_timestamp().
        const past = secondsBetween(row4At, r.json.lastReplayedCommit);
        assert.ok(past >= 0 && past < 1, `last replayed commit ${r.json.lastReplayedCommit}, row 4 written at ${row4At}`);
        assert.match(r.json.reason, /^replay: replay went past the target: the last replayed commit is at .* after /);
        assert.match(r.stderr, /PITR drill FAILED: replay: replay went past the target/);
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
