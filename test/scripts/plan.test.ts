// scripts/plan.pl (restore subcommands): the restore/PITR decisions without a database, on fixture JSON. The files
// under fixtures/ are real WAL-G 3.0.9 output from the lab (a segment deleted from MinIO for the gap).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT, run, RunResult } from "../../lab";

const PLAN = path.join(REPO_ROOT, "scripts", "plan.pl");
const fixture = (name: string) => fs.readFileSync(path.join(__dirname, "fixtures", name), "utf8");

function plan(args: string[], input = ""): Promise<RunResult> {
    return run("perl", [PLAN, ...args], { input, env: { PATH: process.env.PATH }, timeoutMs: 10_000 });
}

function backup(name: string, start: string, finish: string, extra: Record<string, unknown> = {}) {
    return { backup_name: name, start_time: start, finish_time: finish, wal_file_name: name.slice(5, 29), is_permanent: false, ...extra };
}

// A started 01:00 finished 01:10; B started 02:00 but only finished 02:30; C never recorded its finish.
const LIST = JSON.stringify([
    backup("base_000000010000000000000002", "2026-01-10T01:00:00.000001Z", "2026-01-10T01:10:00.5Z"),
    backup("base_000000010000000000000009", "2026-01-10T02:00:00Z", "2026-01-10T02:30:00Z"),
    backup("base_00000001000000000000000F", "2026-01-10T03:00:00Z", "0001-01-01T00:00:00Z"),
]);

describe("plan.pl choose (which base backup a restore uses)", function () {
    it("latest picks the backup that finished last, ignoring one without a finish time", async function () {
        const r = await plan(["choose", "latest"], LIST);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.backup_name, "base_000000010000000000000009");
        assert.equal(r.json.target_kind, "latest");
    });

    it("for a time T picks the newest backup that FINISHED before T, not one that only started before T", async function () {
        const r = await plan(["choose", "2026-01-10T02:15:00Z"], LIST);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.backup_name, "base_000000010000000000000002");
        assert.equal(r.json.target_kind, "time");
    });

    it("writes the target time as UTC with an explicit +00 offset, microseconds kept, other offsets converted", async function () {
        const a = await plan(["choose", "2026-01-10T03:45:00.123456+01:00"], LIST);
        assert.equal(a.json.target_time, "2026-01-10 02:45:00.123456+00");
        assert.equal(a.json.backup_name, "base_000000010000000000000009");
        const b = await plan(["choose", "2026-01-10T02:30:00Z"], LIST);
        assert.equal(b.json.target_time, "2026-01-10 02:30:00+00");
        assert.equal(b.json.backup_name, "base_000000010000000000000002", "a backup finishing exactly at T is not before T");
    });

    it("compares finish times to the microsecond", async function () {
        const r = await plan(["choose", "2026-01-10T01:10:00.500001Z"], LIST);
        assert.equal(r.json.backup_name, "base_000000010000000000000002");
        const before = await plan(["choose", "2026-01-10T01:10:00.5Z"], LIST);
        assert.equal(before.code, 1);
    });

    it("fails (exit 1) naming the oldest finish when no backup finished before T", async function () {
        const r = await plan(["choose", "2026-01-10T01:05:00Z"], LIST);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /no backup finished before 2026-01-10T01:05:00Z \(oldest finished at 2026-01-10 01:10:00\.500000\+00\)/);
    });

    it("picks a named backup, and fails (exit 1) listing what exists for an unknown name", async function () {
        const r = await plan(["choose", "base_000000010000000000000002"], LIST);
        assert.equal(r.json.backup_name, "base_000000010000000000000002");
        assert.equal(r.json.target_kind, "name");
        const unknown = await plan(["choose", "base_0000000100000000000000AA"], LIST);
        assert.equal(unknown.code, 1);
        assert.match(unknown.stderr, /base_0000000100000000000000AA is not in storage \(have: base_000000010000000000000002, /);
    });

    it("rejects a time without a zone (WAL-G would read it as a name prefix) with exit 2", async function () {
        const r = await plan(["choose", "2026-01-10T02:15:00"], LIST);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /target '2026-01-10T02:15:00' is neither latest, a backup name/);
    });

    it("fails (exit 1) on an empty backup list and (exit 2) on input that is not JSON", async function () {
        assert.equal((await plan(["choose", "latest"], "[]")).code, 1);
        assert.equal((await plan(["choose", "latest"], "INFO: not json")).code, 2);
    });

    it("reads real backup-list --detail --json output", async function () {
        const r = await plan(["choose", "latest"], fixture("backup-list-one.json"));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.backup_name, JSON.parse(fixture("backup-list-one.json"))[0].backup_name);
    });
});

describe("plan.pl window (PITR window and random target)", function () {
    // Timeline 1 with backups at segments 2 and 8 and segment 6 missing: only the second is continuous.
    const SHOW = JSON.stringify([
        {
            id: 1, start_segment: "000000010000000000000001", end_segment: "00000001000000000000000C",
            missing_segments: ["000000010000000000000006"], status: "LOST_SEGMENTS",
            backups: [
                backup("base_000000010000000000000002", "2026-01-10T01:00:00Z", "2026-01-10T01:10:00Z"),
                backup("base_000000010000000000000008", "2026-01-10T02:00:00Z", "2026-01-10T02:10:00Z"),
            ],
        },
    ]);

    it("starts at the oldest backup whose WAL is continuous and ends at now - (canary + archive_timeout + slack)", async function () {
        const r = await plan(["window", "2026-01-10T03:00:00Z", "300", "60", "60", "0"], SHOW);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.backup_name, "base_000000010000000000000008");
        assert.equal(r.json.from, "2026-01-10 02:10:00+00");
        assert.equal(r.json.to, "2026-01-10 02:53:00+00");
        assert.equal(r.json.target, r.json.from);
        const end = await plan(["window", "2026-01-10T03:00:00Z", "300", "60", "60", "1"], SHOW);
        assert.equal(end.json.target, "2026-01-10 02:53:00+00");
    });

    it("draws a random target inside the window when no fraction is given", async function () {
        for (let i = 0; i < 5; i++) {
            const r = await plan(["window", "2026-01-10T03:00:00Z", "300", "60", "60"], SHOW);
            assert.ok(r.json.target >= r.json.from && r.json.target <= r.json.to, JSON.stringify(r.json));
        }
    });

    it("is empty (exit 1) when the window would end before the usable backup finished", async function () {
        const r = await plan(["window", "2026-01-10T02:15:00Z", "300", "60", "60", "0.5"], SHOW);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /PITR window empty: oldest usable backup base_000000010000000000000008 finished at 2026-01-10 02:10:00\+00/);
    });

    it("is empty (exit 1) naming the missing segment when no backup has continuous WAL (real wal-show output)", async function () {
        const r = await plan(["window", "2030-01-01T00:00:00Z", "300", "60", "60", "0.5"], fixture("wal-show-gap.json"));
        assert.equal(r.code, 1);
        assert.match(r.stderr, /no base backup with continuous WAL on timeline 1 \(missing: 000000010000000000000006\)/);
    });

    it("rejects non-numeric intervals with exit 2 naming the argument", async function () {
        const r = await plan(["window", "2026-01-10T03:00:00Z", "5m", "60", "60"], SHOW);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /CANARY_INTERVAL='5m'/);
    });
});

describe("plan.pl wal-verify (parse, never trust the exit code)", function () {
    it("fails (exit 1) and names the MISSING_LOST segments of real FAILURE output", async function () {
        const r = await plan(["wal-verify"], fixture("wal-verify-lost.json"));
        assert.equal(r.code, 1);
        assert.deepEqual(r.json, { integrity: "FAILURE", timeline: "OK", lost: ["000000010000000000000006"], lost_segments: 1, ok: false });
    });

    it("passes OK output, where WAL-G prints details as null", async function () {
        const ok = '{"integrity":{"status":"OK","details":null},"timeline":{"status":"OK","details":{"current_timeline_id":1,"highest_storage_timeline_id":1}}}';
        const r = await plan(["wal-verify"], ok);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.ok, true);
        assert.deepEqual(r.json.lost, []);
    });

    it("reports a range of lost segments as start..end", async function () {
        const v = { integrity: { status: "FAILURE", details: [{ timeline_id: 1, start_segment: "000000010000000000000003", end_segment: "000000010000000000000005", segments_count: 3, status: "MISSING_LOST" }] }, timeline: { status: "OK" } };
        const r = await plan(["wal-verify"], JSON.stringify(v));
        assert.deepEqual(r.json.lost, ["000000010000000000000003..000000010000000000000005"]);
        assert.equal(r.json.lost_segments, 3);
    });

    it("treats segments still uploading as no failure", async function () {
        const v = { integrity: { status: "WARNING", details: [{ timeline_id: 1, start_segment: "000000010000000000000009", end_segment: "000000010000000000000009", segments_count: 1, status: "MISSING_UPLOADING" }] }, timeline: { status: "OK" } };
        const r = await plan(["wal-verify"], JSON.stringify(v));
        assert.equal(r.code, 0);
        assert.equal(r.json.integrity, "WARNING");
    });
});

describe("plan.pl canary (PITR accuracy)", function () {
    it("passes when the newest canary row is at or before T and within the allowed lag", async function () {
        const r = await plan(["canary", "2026-01-10T02:00:00Z", "2026-01-10T01:57:00.25Z", "420"]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.lag_seconds, 179.75);
    });

    it("fails when the newest canary row is after T (recovery went past the target)", async function () {
        const r = await plan(["canary", "2026-01-10T02:00:00Z", "2026-01-10T02:00:00.000001Z", "420"]);
        assert.equal(r.code, 1);
        assert.match(r.json.reason, /after the target/);
    });

    it("fails when the newest canary row is older than T - max lag (WAL before T missing)", async function () {
        const r = await plan(["canary", "2026-01-10T02:00:00Z", "2026-01-10T01:52:59Z", "420"]);
        assert.equal(r.code, 1);
        assert.match(r.json.reason, /421 s before the target, more than 420 s/);
    });

    it("fails when the restored database has no canary row", async function () {
        const r = await plan(["canary", "2026-01-10T02:00:00Z", "", "420"]);
        assert.equal(r.code, 1);
        assert.equal(r.json.reason, "no canary row");
    });
});

describe("plan.pl gap (did replay without a target reach the end of the archive?)", function () {
    it("reports a gap (exit 1) when replay stopped at a segment the archive has later segments after", async function () {
        const r = await plan(["gap", "000000010000000000000006"], fixture("wal-show-gap.json"));
        assert.equal(r.code, 1);
        assert.deepEqual(r.json, { gap: true, end_segment: "000000010000000000000006", archive_end_segment: "00000001000000000000000C", missing: ["000000010000000000000006"] });
    });

    it("reports no gap when replay stopped right after the newest archived segment", async function () {
        const r = await plan(["gap", "00000001000000000000000D"], fixture("wal-show-gap.json"));
        assert.equal(r.code, 0);
        assert.equal(r.json.gap, false);
    });

    it("converts a segment to the LSN just past it for wal-verify --lsn", async function () {
        const r = await plan(["lsn-after", "000000010000000100000002"]);
        assert.deepEqual(r.json, { lsn: "1/3000000", timeline: 1 });
        const further = await plan(["lsn-after", "0000000200000000000000FF", "1"]);
        assert.deepEqual(further.json, { lsn: "1/1000000", timeline: 2 });
    });
});

describe("plan.pl fallback (an older backup when the chosen one cannot be read)", function () {
    // A (02) and B (09) finished; C (0F) is the newest. wal-show: segment 05 lost between A and B, 0C between B and C.
    const FALLBACK_LIST = JSON.stringify([
        backup("base_000000010000000000000002", "2026-01-10T01:00:00Z", "2026-01-10T01:10:00Z"),
        backup("base_000000010000000000000009", "2026-01-10T02:00:00Z", "2026-01-10T02:30:00Z"),
        backup("base_00000001000000000000000F", "2026-01-10T03:00:00Z", "2026-01-10T03:30:00Z"),
    ]);
    let dir = "";
    const show = (missing: string[], id = 1) => {
        const file = path.join(dir, `wal-show-${id}-${missing.join("-") || "none"}.json`);
        fs.writeFileSync(file, JSON.stringify([{ id, start_segment: "000000010000000000000001", end_segment: "000000010000000000000020", missing_segments: missing }]));
        return file;
    };
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-fallback-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("falls back from the newest to the next older backup whose WAL reaches it unbroken", async function () {
        const r = await plan(["fallback", "latest", "base_00000001000000000000000F", show([])], FALLBACK_LIST);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.backup_name, "base_000000010000000000000009");
        assert.equal(r.json.fallback_from, "base_00000001000000000000000F");
        assert.equal(r.json.target_kind, "latest");
    });

    it("skips an older backup whose WAL up to the failed one has a gap, naming the segment, and takes the next", async function () {
        const r = await plan(["fallback", "latest", "base_00000001000000000000000F", show(["00000001000000000000000C"])], FALLBACK_LIST);
        assert.equal(r.code, 1, "every older backup needs segment 0C");
        assert.match(r.stderr, /no backup to fall back to: base_000000010000000000000009: WAL missing between it and base_00000001000000000000000F: 00000001000000000000000C; base_000000010000000000000002: WAL missing/);
        // A gap after the failed backup's start is the failed backup's own problem, not the fallback's.
        const later = await plan(["fallback", "latest", "base_00000001000000000000000F", show(["000000010000000000000010"])], FALLBACK_LIST);
        assert.equal(later.json.backup_name, "base_000000010000000000000009");
        const early = await plan(["fallback", "latest", "base_00000001000000000000000F", show(["000000010000000000000005"])], FALLBACK_LIST);
        assert.equal(early.json.backup_name, "base_000000010000000000000009", "05 lies before B");
    });

    it("for a time T only takes a backup finished before T, older than every failed one", async function () {
        const r = await plan(["fallback", "2026-01-10T03:45:00Z", "base_00000001000000000000000F,base_000000010000000000000009", show([])], FALLBACK_LIST);
        assert.equal(r.json.backup_name, "base_000000010000000000000002");
        assert.equal(r.json.target_time, "2026-01-10 03:45:00+00");
        assert.equal(r.json.fallback_from, "base_00000001000000000000000F");
        const none = await plan(["fallback", "2026-01-10T02:00:00Z", "base_000000010000000000000002", show([])], FALLBACK_LIST);
        assert.equal(none.code, 1);
        assert.match(none.stderr, /no finished backup is older than base_000000010000000000000002 and finished before 2026-01-10T02:00:00Z/);
    });

    it("has no fallback for a named backup, nor across timelines", async function () {
        const named = await plan(["fallback", "base_00000001000000000000000F", "base_00000001000000000000000F", show([])], FALLBACK_LIST);
        assert.equal(named.code, 1);
        assert.match(named.stderr, /the target names backup base_00000001000000000000000F: a restore of a named backup has no other backup to fall back to/);
        const list = JSON.stringify([...JSON.parse(FALLBACK_LIST), backup("base_000000020000000000000011", "2026-01-10T04:00:00Z", "2026-01-10T04:10:00Z")]);
        const tl = await plan(["fallback", "latest", "base_000000020000000000000011", show([], 2)], list);
        assert.equal(tl.code, 1);
        assert.match(tl.stderr, /base_00000001000000000000000F: timeline 1, the failed backup is on timeline 2/);
    });

    it("rejects a failed backup that is not listed, and missing arguments, with exit 2", async function () {
        assert.equal((await plan(["fallback", "latest", "base_000000010000000000000077", show([])], FALLBACK_LIST)).code, 2);
        assert.equal((await plan(["fallback", "latest"], FALLBACK_LIST)).code, 2);
    });
});

describe("plan.pl replay (where PITR replay stopped, proven against T)", function () {
    const T = "2026-01-10T03:00:00Z";
    const stop = (time: string, how = "before") => `recovery stopping ${how} commit of transaction 745, time ${time}`;

    it("passes when the last replayed commit is at or before T and replay stopped before the first commit after T", async function () {
        const r = await plan(["replay", T, "2026-01-10 02:59:59.999999+00", stop("2026-01-10 03:00:00.000001+00")]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json.ok, true);
        assert.equal(r.json.last_replayed_commit, "2026-01-10 02:59:59.999999+00");
        assert.equal(r.json.stopped_at, "2026-01-10 03:00:00.000001+00");
        const none = await plan(["replay", T, "", stop("2026-01-10 03:00:05+00")]);
        assert.equal(none.code, 0, "no commit between the backup and T");
    });

    it("fails when the last replayed commit is after T (replay went past the target)", async function () {
        const r = await plan(["replay", T, "2026-01-10T03:00:03.2Z", stop("2026-01-10 03:00:09+00")]);
        assert.equal(r.code, 1);
        assert.equal(r.json.ok, false);
        assert.match(r.json.reason, /^replay went past the target: the last replayed commit is at 2026-01-10 03:00:03\.200000\+00, after 2026-01-10 03:00:00\+00/);
    });

    it("fails when replay stopped before a commit at or before T (it stopped early)", async function () {
        const r = await plan(["replay", T, "2026-01-10 02:50:00+00", stop("2026-01-10 02:55:00+00")]);
        assert.equal(r.code, 1);
        assert.match(r.json.reason, /replay stopped before a commit at 2026-01-10 02:55:00\+00, not after the target/);
    });

    it("accepts a stop after a commit exactly at T, and fails without a stop line", async function () {
        assert.equal((await plan(["replay", T, "2026-01-10 03:00:00+00", stop("2026-01-10 03:00:00+00", "after")])).code, 0);
        const r = await plan(["replay", T, "2026-01-10 02:50:00+00", ""]);
        assert.equal(r.code, 1);
        assert.match(r.json.reason, /logged no "recovery stopping before\|after commit \.\.\. time \.\.\." line/);
    });

    it("rejects times that are not RFC 3339 with exit 2", async function () {
        assert.equal((await plan(["replay", "yesterday", "", ""])).code, 2);
        assert.equal((await plan(["replay", T, "03:00", ""])).code, 2);
    });
});
