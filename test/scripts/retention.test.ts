// GFS retention: the decision logic (plan.pl retention), the CronJob script (retention.sh) against a
// stand-in wal-g that models WAL-G 3.0.9's delete/mark semantics, and 40+ simulated days per scenario.
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startEarly } from "../setup/early";
import { PerlServer } from "./perl-server";

const ROOT = path.resolve(__dirname, "../..");
const PLAN = path.join(ROOT, "scripts/plan.pl");
const RETENTION = path.join(ROOT, "scripts/retention.sh");
const FAKE_WALG = path.join(__dirname, "retention-fake-wal-g.pl");
const SEG = 0x1000000;
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

interface ListedBackup {
    backup_name: string;
    time: string;
    start_time: string;
    finish_time: string;
    start_lsn: number;
    finish_lsn: number;
    is_permanent: boolean | number;
}

interface Plan {
    refused: boolean;
    reason: string | null;
    weeklies: string[];
    mark: string[];
    unmark: string[];
    keep: string[];
    delete: string[];
    keepFrom: string | null;
    keepFromReason: string | null;
    pitrAnchor: string | null;
    dailyAnchor: string | null;
    deleteArgs: string[] | null;
    deleteDryRunArgs: string[] | null;
    warnings: string[];
}

const iso = (t: number): string => new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
const nameOf = (seg: number, tl = 1): string =>
    "base_" + [tl, Math.floor(seg / 256), seg % 256].map((n) => n.toString(16).toUpperCase().padStart(8, "0")).join("");
const segOfLsn = (lsn: number): number => Math.floor(lsn / SEG);

/** A listed backup starting in WAL segment `seg` at `start`, running `minutes`. */
function backup(seg: number, start: string, minutes = 20, permanent = false): ListedBackup {
    const t = Date.parse(start);
    return {
        backup_name: nameOf(seg),
        time: iso(t + minutes * 60_000),
        start_time: iso(t),
        finish_time: iso(t + minutes * 60_000),
        start_lsn: seg * SEG + 40,
        finish_lsn: seg * SEG + 4096,
        is_permanent: permanent,
    };
}

/** One backup a day at 02:00 from `firstDay` for `days` days (segment = 10 × day index + 10). */
function dailyBackups(firstDay: string, days: number, skip: number[] = []): ListedBackup[] {
    const out: ListedBackup[] = [];
    for (let d = 0; d < days; d++) {
        if (skip.includes(d)) continue;
        out.push(backup(10 * d + 10, iso(Date.parse(firstDay) + d * DAY + 2 * HOUR)));
    }
    return out;
}

interface PlanRun { code: number | null; plan: Plan | null; stdout: string; stderr: string }

interface Exec { code: number | null; stdout: string; stderr: string }

function exec(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Exec> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { env: opts.env ?? process.env });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(opts.input ?? "");
    });
}

function planArgv(args: Record<string, string | number>): string[] {
    const argv = [PLAN, "retention"];
    for (const [k, v] of Object.entries(args)) argv.push(`--${k}`, String(v));
    return argv;
}

function runPlan(list: unknown, args: Record<string, string | number>): PlanRun {
    const r = spawnSync("perl", planArgv(args), { input: typeof list === "string" ? list : JSON.stringify(list), encoding: "utf8" });
    let plan: Plan | null = null;
    if (r.stdout.trim()) plan = JSON.parse(r.stdout) as Plan;
    return { code: r.status, plan, stdout: r.stdout, stderr: r.stderr };
}

const defaults = { now: "2025-03-20T03:30:00Z", daily: 7, weekly: 4, "pitr-days": 7, "weekly-day": "sunday" };

describe("plan.pl retention (GFS decision logic)", () => {
    it("takes the first backup on or after the weekly day as the weekly, so a failed Sunday falls to Monday", () => {
        // 2025-03-01 is a Saturday; skip Sunday 03-02 (day 1).
        const list = dailyBackups("2025-03-01T00:00:00Z", 10, [1]);
        const r = runPlan(list, { ...defaults, now: "2025-03-10T12:00:00Z", daily: 3, weekly: 2 });
        assert.equal(r.code, 0, r.stderr);
        const byName = new Map(list.map((b) => [b.backup_name, b.start_time]));
        assert.deepEqual(r.plan!.weeklies.map((n) => byName.get(n)), ["2025-03-09T02:00:00Z", "2025-03-03T02:00:00Z"]);
    });

    it("marks the newest N weeklies that are not yet permanent", () => {
        const list = dailyBackups("2025-03-01T00:00:00Z", 20);
        list.find((b) => b.start_time === "2025-03-09T02:00:00Z")!.is_permanent = true;
        const r = runPlan(list, { ...defaults, now: "2025-03-20T12:00:00Z", weekly: 3 });
        const starts = r.plan!.mark.map((n) => list.find((b) => b.backup_name === n)!.start_time);
        assert.deepEqual(starts, ["2025-03-16T02:00:00Z", "2025-03-02T02:00:00Z"]);
    });

    it("unmarks permanent backups older than the newest N weeklies and keeps newer ones", () => {
        const list = dailyBackups("2025-03-01T00:00:00Z", 30);
        for (const s of ["2025-03-02", "2025-03-04", "2025-03-09", "2025-03-18", "2025-03-23"]) {
            list.find((b) => b.start_time.startsWith(s))!.is_permanent = true;
        }
        const r = runPlan(list, { ...defaults, now: "2025-03-30T12:00:00Z", weekly: 3 });
        const day = (n: string): string => list.find((b) => b.backup_name === n)!.start_time.slice(0, 10);
        // newest 3 weeklies: 03-30, 03-23, 03-16 → everything permanent before 03-16 is released, 03-18 stays
        assert.deepEqual(r.plan!.weeklies.map(day), ["2025-03-30", "2025-03-23", "2025-03-16"]);
        assert.deepEqual(r.plan!.unmark.map(day), ["2025-03-02", "2025-03-04", "2025-03-09"]);
    });

    it("keeps the newest backup that finished at or before now − P days (inclusive cutoff)", () => {
        const list = dailyBackups("2025-03-01T00:00:00Z", 20);
        // the 03-13 backup finished at 02:20; now − 7 days is exactly that instant
        const r = runPlan(list, { ...defaults, now: "2025-03-20T02:20:00Z", daily: 3, weekly: 0 });
        assert.equal(r.plan!.keepFromReason, "pitr");
        assert.equal(list.find((b) => b.backup_name === r.plan!.keepFrom)!.start_time, "2025-03-13T02:00:00Z");
        const later = runPlan(list, { ...defaults, now: "2025-03-20T02:19:59Z", daily: 3, weekly: 0 });
        assert.equal(list.find((b) => b.backup_name === later.plan!.keepFrom)!.start_time, "2025-03-12T02:00:00Z");
    });

    it("keeps the M newest backups when they reach further back than the PITR window", () => {
        const list = dailyBackups("2025-03-01T00:00:00Z", 20, [14, 15, 16, 17, 18]);
        const r = runPlan(list, { ...defaults, now: "2025-03-20T12:00:00Z", daily: 7, "pitr-days": 3, weekly: 0 });
        assert.equal(r.plan!.keepFromReason, "daily");
        assert.equal(r.plan!.keep.length, 7);
        assert.equal(r.plan!.keepFrom, list[list.length - 7].backup_name);
    });

    it("keeps every backup while none finished before now − P days", () => {
        const list = dailyBackups("2025-03-10T00:00:00Z", 8);
        const r = runPlan(list, { ...defaults, now: "2025-03-17T12:00:00Z", daily: 3, "pitr-days": 14 });
        assert.equal(r.plan!.keepFromReason, "oldest");
        assert.deepEqual(r.plan!.delete, []);
        assert.match(r.plan!.warnings.join(" "), /PITR window starts at/);
    });

    it("deletes by backup name with `delete before`, never by time and never with `delete target`", () => {
        const r = runPlan(dailyBackups("2025-03-01T00:00:00Z", 20), defaults);
        assert.deepEqual(r.plan!.deleteDryRunArgs, ["delete", "before", r.plan!.keepFrom]);
        assert.deepEqual(r.plan!.deleteArgs, ["delete", "before", r.plan!.keepFrom, "--confirm"]);
        assert.match(r.plan!.keepFrom!, /^base_[0-9A-F]{24}$/);
    });

    it("lists as deleted exactly the non-permanent backups older than the oldest kept one", () => {
        const list = dailyBackups("2025-03-01T00:00:00Z", 20);
        list[2].is_permanent = true; // 03-03, older than every weekly kept with N=1: released
        const r = runPlan(list, { ...defaults, now: "2025-03-20T12:00:00Z", weekly: 1 });
        const keepIndex = list.findIndex((b) => b.backup_name === r.plan!.keepFrom);
        assert.deepEqual(r.plan!.delete, list.slice(0, keepIndex).map((b) => b.backup_name));
        assert.ok(r.plan!.delete.includes(list[2].backup_name));
    });

    it("refuses with exit 3 and deletes nothing when fewer than M backups exist", () => {
        const r = runPlan(dailyBackups("2025-03-01T00:00:00Z", 5), { ...defaults, now: "2025-03-06T12:00:00Z" });
        assert.equal(r.code, 3);
        assert.equal(r.plan!.refused, true);
        assert.match(r.plan!.reason!, /only 5 backup\(s\) exist, fewer than the 7/);
        assert.deepEqual([r.plan!.delete, r.plan!.mark, r.plan!.unmark, r.plan!.deleteArgs], [[], [], [], null]);
    });

    it("refuses an empty backup list ([]) because fewer than M backups exist", () => {
        const r = runPlan([], defaults);
        assert.equal(r.code, 3);
        assert.match(r.plan!.reason!, /only 0 backup/);
    });

    it("refuses a delta backup in the list", () => {
        const list: ListedBackup[] = dailyBackups("2025-03-01T00:00:00Z", 10);
        list[9].backup_name = `${list[9].backup_name}_D_${list[8].backup_name.slice(5)}`;
        const r = runPlan(list, defaults);
        assert.equal(r.code, 3);
        assert.match(r.plan!.reason!, /delta backup/);
    });

    it("refuses a listing without is_permanent (plain backup-list instead of --detail)", () => {
        const list = dailyBackups("2025-03-01T00:00:00Z", 10).map((b) => ({ ...b, is_permanent: undefined }));
        const r = runPlan(list, defaults);
        assert.equal(r.code, 3);
        assert.match(r.plan!.reason!, /is_permanent/);
    });

    it("refuses a backup whose finish_time is the zero value", () => {
        const list = dailyBackups("2025-03-01T00:00:00Z", 10);
        list[3].finish_time = "0001-01-01T00:00:00Z";
        const r = runPlan(list, defaults);
        assert.equal(r.code, 3);
        assert.match(r.plan!.reason!, new RegExp(`${list[3].backup_name} has the zero finish_time`));
    });

    it("refuses when start times disagree with WAL-G's name order", () => {
        const list = dailyBackups("2025-03-01T00:00:00Z", 10);
        for (const k of ["start_time", "finish_time", "time"] as const) [list[4][k], list[5][k]] = [list[5][k], list[4][k]];
        const r = runPlan(list, defaults);
        assert.equal(r.code, 3);
        assert.match(r.plan!.reason!, /sorts after .* in WAL-G's order but started earlier/);
    });

    it("refuses a backup that finished in the future (wrong clock)", () => {
        const r = runPlan(dailyBackups("2025-03-10T00:00:00Z", 12), { ...defaults, now: "2025-03-15T12:00:00Z" });
        assert.equal(r.code, 3);
        assert.match(r.plan!.reason!, /finished in the future/);
    });

    it("refuses a duplicate backup name", () => {
        const list = dailyBackups("2025-03-01T00:00:00Z", 10);
        list.push({ ...list[3] });
        const r = runPlan(list, defaults);
        assert.equal(r.code, 3);
        assert.match(r.plan!.reason!, /listed twice/);
    });

    it("refuses output that is not JSON", () => {
        const r = runPlan("No backups found\n", defaults);
        assert.equal(r.code, 3);
        assert.match(r.plan!.reason!, /not valid JSON/);
    });

    it("rejects a weekly day that is not a day name with exit 2, naming the option and value", () => {
        const r = runPlan([], { ...defaults, "weekly-day": "sundy" });
        assert.equal(r.code, 2);
        assert.match(r.stderr, /--weekly-day: 'sundy' is not one of sunday/);
    });

    it("rejects a now without a time zone with exit 2", () => {
        const r = runPlan([], { ...defaults, now: "2025-03-20T03:30:00" });
        assert.equal(r.code, 2);
        assert.match(r.stderr, /--now: '2025-03-20T03:30:00' is not an RFC 3339 time with a zone/);
    });

    it("rejects a daily count of 0 with exit 2", () => {
        const r = runPlan([], { ...defaults, daily: 0 });
        assert.equal(r.code, 2);
        assert.match(r.stderr, /--daily: '0' must be an integer >= 1/);
    });
});

// ---------------------------------------------------------------------------------------------------
// retention.sh against the stand-in wal-g

interface FakeState { timeline: number; backups: ListedBackup[]; wal: number[]; calls: string[] }
interface ScriptRun { code: number | null; stdout: string; stderr: string; result: { status: string; plan: Plan | null } | null }

class Bucket {
    readonly dir: string;
    readonly stateFile: string;
    readonly binDir: string;

    constructor() {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "ternent-retention-"));
        this.stateFile = path.join(this.dir, "state.json");
        this.binDir = path.join(this.dir, "bin");
        fs.mkdirSync(this.binDir);
        fs.symlinkSync(FAKE_WALG, path.join(this.binDir, "wal-g"));
    }

    write(state: FakeState): void {
        fs.writeFileSync(this.stateFile, JSON.stringify(state));
    }

    read(): FakeState {
        return JSON.parse(fs.readFileSync(this.stateFile, "utf8")) as FakeState;
    }

    private env(extra: Record<string, string>): NodeJS.ProcessEnv {
        return {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            WALG_S3_PREFIX: "s3://fake-bucket/ternent-postgres",
            TERNENT_BIN: this.binDir,
            TERNENT_SCRIPTS: path.join(ROOT, "scripts"),
            FAKE_WALG_STATE: this.stateFile,
            ...extra,
        };
    }

    /** Runs the real retention.sh against this bucket. */
    async run(env: Record<string, string>): Promise<ScriptRun> {
        const r = await exec("bash", [RETENTION], { env: this.env(env) });
        const lines = r.stdout.trim().split("\n").filter((l) => l.startsWith("{"));
        return { ...r, result: lines.length ? JSON.parse(lines[lines.length - 1]) : null };
    }

    /** Applies wal-g commands in one stand-in process (the fast path of the long simulations). */
    async batch(commands: string[]): Promise<Exec> {
        return exec("perl", [FAKE_WALG, "--batch"], { env: this.env({}), input: commands.join("\n") + "\n" });
    }

    cleanup(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** What `wal-g backup-list --detail --json` prints for a state (as the stand-in does). */
function listing(st: FakeState): ListedBackup[] {
    return [...st.backups].sort((a, b) => a.start_time.localeCompare(b.start_time)).map((b) => ({ ...b, is_permanent: !!b.is_permanent }));
}

function stateWith(backups: ListedBackup[]): FakeState {
    const lastSeg = Math.max(...backups.map((b) => segOfLsn(b.finish_lsn))) + 5;
    return { timeline: 1, backups, wal: Array.from({ length: lastSeg }, (_, i) => i + 1), calls: [] };
}

const scriptEnv = {
    TERNENT_RETAIN_DAILY: "7", TERNENT_RETAIN_WEEKLY: "4", TERNENT_PITR_DAYS: "7", TERNENT_WEEKLY_DAY: "sunday",
    TERNENT_RETENTION_DRY_RUN: "false", TERNENT_RETENTION_NOW: "2025-03-30T03:30:00Z",
};

describe("retention.sh (with a stand-in wal-g modelling WAL-G's delete semantics)", () => {
    let bucket: Bucket;
    beforeEach(() => (bucket = new Bucket()));
    afterEach(() => bucket.cleanup());

    it("runs WAL-G's dry run first, then marks, then deletes with --confirm, then lists again", async () => {
        bucket.write(stateWith(dailyBackups("2025-03-01T00:00:00Z", 30)));
        const r = await bucket.run(scriptEnv);
        assert.equal(r.code, 0, r.stderr);
        const calls = bucket.read().calls.map((c) => c.replace(/base_[0-9A-F]{24}/g, "NAME"));
        assert.deepEqual(calls, [
            "backup-list --detail --json",
            "delete before NAME",
            "backup-mark NAME", "backup-mark NAME", "backup-mark NAME", "backup-mark NAME",
            "delete before NAME --confirm",
            "backup-list --detail --json",
            "st ls wal_005/",
        ]);
        assert.match(r.stderr, /retention: dry run: wal-g delete before base_/);
    });

    it("deletes the backups of the plan and reports them in its JSON line", async () => {
        const list = dailyBackups("2025-03-01T00:00:00Z", 30);
        bucket.write(stateWith(list));
        const r = await bucket.run(scriptEnv);
        const left = bucket.read().backups.map((b) => b.backup_name);
        assert.equal(r.result!.status, "ok");
        const deleted = (r.result as unknown as { deleted: string[] }).deleted;
        assert.ok(deleted.length > 0);
        assert.deepEqual(left.sort(), list.map((b) => b.backup_name).filter((n) => !deleted.includes(n)).sort());
        assert.deepEqual(deleted, r.result!.plan!.delete);
    });

    it("changes nothing when TERNENT_RETENTION_DRY_RUN is true but still logs WAL-G's dry run", async () => {
        const state = stateWith(dailyBackups("2025-03-01T00:00:00Z", 30));
        bucket.write(state);
        const r = await bucket.run({ ...scriptEnv, TERNENT_RETENTION_DRY_RUN: "true" });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.result!.status, "dry-run");
        const after = bucket.read();
        assert.deepEqual(after.backups, state.backups);
        assert.deepEqual(after.wal, state.wal);
        assert.deepEqual(after.calls.filter((c) => c.startsWith("delete")), [`delete before ${r.result!.plan!.keepFrom}`]);
        assert.match(r.stderr, /Object marked for deletion: basebackups_005\/base_/);
    });

    it("refuses loudly with exit 3 and touches nothing when fewer than M backups exist", async () => {
        const state = stateWith(dailyBackups("2025-03-24T00:00:00Z", 5));
        bucket.write(state);
        const r = await bucket.run(scriptEnv);
        assert.equal(r.code, 3);
        assert.equal(r.result!.status, "refused");
        assert.match(r.stderr, /REFUSED: only 5 backup\(s\) exist/);
        assert.deepEqual(bucket.read().calls, ["backup-list --detail --json"]);
    });

    it("refuses with exit 3 when WAL-G's dry run would delete a backup the plan keeps", async () => {
        const list = dailyBackups("2025-03-01T00:00:00Z", 30);
        bucket.write(stateWith(list));
        const newest = list[list.length - 2].backup_name; // Saturday: kept as a daily, not a weekly to mark
        const r = await bucket.run({ ...scriptEnv, FAKE_WALG_DRYRUN_EXTRA: newest });
        assert.equal(r.code, 3);
        assert.match(r.stderr, new RegExp(`WAL-G's dry run would delete ${newest}, which the plan keeps`));
        assert.equal(bucket.read().backups.length, list.length);
        assert.ok(!bucket.read().calls.some((c) => c.startsWith("backup-mark") || c.includes("--confirm")));
    });

    it("exits 2 naming TERNENT_WEEKLY_DAY when it is not a day name", async () => {
        bucket.write(stateWith(dailyBackups("2025-03-01T00:00:00Z", 30)));
        const r = await bucket.run({ ...scriptEnv, TERNENT_WEEKLY_DAY: "Sunday" });
        assert.equal(r.code, 2);
        assert.match(r.stderr, /TERNENT_WEEKLY_DAY='Sunday' must be one of sunday/);
        assert.deepEqual(bucket.read().calls, []);
    });

    it("exits 2 naming TERNENT_RETENTION_DRY_RUN when it is not true or false", async () => {
        bucket.write(stateWith(dailyBackups("2025-03-01T00:00:00Z", 30)));
        const r = await bucket.run({ ...scriptEnv, TERNENT_RETENTION_DRY_RUN: "yes" });
        assert.equal(r.code, 2);
        assert.match(r.stderr, /TERNENT_RETENTION_DRY_RUN='yes' must be true or false/);
    });

    it("exits 1 without deleting when backup-list fails", async () => {
        bucket.write(stateWith(dailyBackups("2025-03-01T00:00:00Z", 30)));
        const r = await bucket.run({ ...scriptEnv, FAKE_WALG_FAIL: "backup-list" });
        assert.equal(r.code, 1);
        assert.equal(r.result!.status, "failed");
        assert.match(r.stderr, /wal-g backup-list failed/);
        assert.equal(bucket.read().backups.length, 30);
    });

    it("exits 1 naming the backups when WAL-G reports success but they are still listed (S3 refused the deletes)", async () => {
        const list = dailyBackups("2025-03-01T00:00:00Z", 30);
        bucket.write(stateWith(list));
        const r = await bucket.run({ ...scriptEnv, FAKE_WALG_DELETE_REFUSED: "1" });
        assert.equal(r.code, 1);
        assert.equal(r.result!.status, "failed");
        assert.match(r.stderr, new RegExp(`planned for deletion are still listed \\(${list[0].backup_name} `));
    });

    it("exits 1 naming a WAL object when the plan deletes no backup, only WAL, and S3 refused the deletes", async () => {
        // Seven backups and M = 7: every backup is kept, only the WAL before the oldest goes.
        const list = dailyBackups("2025-03-23T00:00:00Z", 7);
        bucket.write(stateWith(list));
        const before = bucket.read().wal;
        const r = await bucket.run({ ...scriptEnv, FAKE_WALG_DELETE_REFUSED: "1" });
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.result!.status, "failed");
        assert.deepEqual((r.result as unknown as { deleted: string[] }).deleted, []);
        assert.match(r.stderr, /9 of 9 WAL object\(s\) planned for deletion are still listed \(first: 000000010000000000000001\.br\)/);
        assert.deepEqual(bucket.read().wal, before);
    });

    it("reports the WAL objects it deleted and verified gone", async () => {
        const list = dailyBackups("2025-03-23T00:00:00Z", 7);
        bucket.write(stateWith(list));
        const before = bucket.read().wal.length;
        const r = await bucket.run(scriptEnv);
        assert.equal(r.code, 0, r.stderr);
        const deletedWal = (r.result as unknown as { deletedWal: number }).deletedWal;
        assert.equal(deletedWal, 9);
        assert.equal(bucket.read().wal.length, before - deletedWal);
    });

    it("exits 1 without deleting anything when marking a weekly fails", async () => {
        const list = dailyBackups("2025-03-01T00:00:00Z", 30);
        bucket.write(stateWith(list));
        const r = await bucket.run({ ...scriptEnv, FAKE_WALG_FAIL: "backup-mark" });
        assert.equal(r.code, 1);
        assert.match(r.stderr, /wal-g backup-mark base_[0-9A-F]{24} failed/);
        assert.ok(!bucket.read().calls.some((c) => c.includes("--confirm")));
    });
});

// ---------------------------------------------------------------------------------------------------
// Simulation: 40+ days per scenario, a fake clock, hourly WAL segments, daily backups, the real
// retention.sh with the stand-in wal-g, and the guarantees checked after every retention run.

interface Scenario {
    title: string;
    start: string;                    // 00:00Z of day 0
    days: number;
    daily: number;
    weekly: number;
    pitrDays: number;
    weeklyDay: string;
    /** Backup of day d: start minute after 00:00 and duration, or null when it failed. */
    backupAt(d: number): { minute: number; minutes: number } | null;
    /** Minutes after 00:00 of day d when the retention CronJob runs (may be empty: missed). */
    retentionAt(d: number): number[];
    /** Run the whole retention.sh each day (slow) instead of plan + the plan's wal-g commands. */
    viaScript?: boolean;
}

interface Created { name: string; start: number; finish: number; startLsn: number; finishLsn: number }

interface SimResult {
    violations: string[];
    runs: number;
    refusals: number;
    deleted: number;
    maxKept: number;
    finalKept: number;
    everMarked: Set<string>;
    created: Created[];
    perRun: { now: number; deleted: number; kept: number }[];
}

function weekStart(t: number, weeklyDay: string): number {
    const day = Math.floor(t / DAY) * DAY;
    const back = (new Date(day).getUTCDay() - WEEKDAYS.indexOf(weeklyDay) + 7) % 7;
    return day - back * DAY;
}

/** Newest first: for each week (starting on the weekly day) the first backup that succeeded in it. */
function expectedWeeklies(created: Created[], weeklyDay: string): Created[] {
    const first = new Map<number, Created>();
    for (const b of [...created].sort((a, b) => a.start - b.start)) {
        const w = weekStart(b.start, weeklyDay);
        if (!first.has(w)) first.set(w, b);
    }
    return [...first.values()].sort((a, b) => b.start - a.start);
}

async function simulate(s: Scenario): Promise<SimResult> {
    const bucket = new Bucket();
    // The planner and the stand-in run hundreds of times: through one perl process, not one per day.
    const perl = new PerlServer();
    const res: SimResult = { violations: [], runs: 0, refusals: 0, deleted: 0, maxKept: 0, finalKept: 0, everMarked: new Set(), created: [], perRun: [] };
    try {
        const t0 = Date.parse(s.start);
        type Ev = { t: number; order: number; kind: "tick" | "bstart" | "bfinish" | "retention" };
        const events: Ev[] = [];
        for (let h = 1; h <= s.days * 24; h++) events.push({ t: t0 + h * HOUR, order: 0, kind: "tick" });
        for (let d = 0; d < s.days; d++) {
            const b = s.backupAt(d);
            if (b) {
                events.push({ t: t0 + d * DAY + b.minute * 60_000, order: 2, kind: "bstart" });
                events.push({ t: t0 + d * DAY + (b.minute + b.minutes) * 60_000, order: 1, kind: "bfinish" });
            }
            for (const m of s.retentionAt(d)) events.push({ t: t0 + d * DAY + m * 60_000, order: 3, kind: "retention" });
        }
        events.sort((a, b) => a.t - b.t || a.order - b.order);

        const state: FakeState = { timeline: 1, backups: [], wal: [], calls: [] };
        let cur = 1; // segment being written
        let running: { start: number; startLsn: number } | null = null;
        const env = {
            TERNENT_RETAIN_DAILY: String(s.daily), TERNENT_RETAIN_WEEKLY: String(s.weekly),
            TERNENT_PITR_DAYS: String(s.pitrDays), TERNENT_WEEKLY_DAY: s.weeklyDay, TERNENT_RETENTION_DRY_RUN: "false",
        };
        let st = state;
        for (const ev of events) {
            if (ev.kind === "tick") {
                st.wal.push(cur++);
            } else if (ev.kind === "bstart") {
                running = { start: ev.t, startLsn: cur * SEG + 40 };
            } else if (ev.kind === "bfinish") {
                const c: Created = { name: nameOf(segOfLsn(running!.startLsn)), start: running!.start, finish: ev.t, startLsn: running!.startLsn, finishLsn: cur * SEG + 4096 };
                res.created.push(c);
                st.backups.push({ backup_name: c.name, time: iso(c.finish), start_time: iso(c.start), finish_time: iso(c.finish), start_lsn: c.startLsn, finish_lsn: c.finishLsn, is_permanent: 0 });
                st.wal.push(cur++); // pg_backup_stop switches to a new segment
                running = null;
            } else {
                const now = ev.t;
                const before: FakeState = JSON.parse(JSON.stringify(st));
                bucket.write({ ...st, calls: [] });
                let r: ScriptRun;
                if (s.viaScript) {
                    r = await bucket.run({ ...env, TERNENT_RETENTION_NOW: iso(now) });
                } else {
                    const p = await perl.run(planArgv({ now: iso(now), daily: s.daily, weekly: s.weekly, "pitr-days": s.pitrDays, "weekly-day": s.weeklyDay }), JSON.stringify(listing(st)));
                    const plan = p.stdout.trim() ? (JSON.parse(p.stdout) as Plan) : null;
                    r = { ...p, result: { status: p.code === 3 ? "refused" : p.code === 0 ? "ok" : "failed", plan } };
                    if (p.code === 0 && plan) {
                        // the order retention.sh uses: protect, release, delete
                        const b = await perl.run([FAKE_WALG, "--batch"], [
                            ...plan.mark.map((n) => `backup-mark ${n}`),
                            ...plan.unmark.map((n) => `backup-mark -i ${n}`),
                            plan.deleteArgs!.join(" "),
                        ].join("\n") + "\n", { FAKE_WALG_STATE: bucket.stateFile });
                        if (b.code !== 0) r = { ...b, result: null };
                    }
                }
                st = bucket.read();
                res.runs++;
                for (const c of st.calls) {
                    const m = /^backup-mark (base_[0-9A-F]{24})$/.exec(c);
                    if (m) res.everMarked.add(m[1]);
                    if (c.startsWith("delete") && !/^delete before base_[0-9A-F]{24}( --confirm)?$/.test(c)) {
                        res.violations.push(`${iso(now)}: unexpected delete command '${c}'`);
                    }
                }
                check(s, now, cur, res, before, st, r);
            }
        }
        res.finalKept = st.backups.length;
        return res;
    } finally {
        perl.close();
        bucket.cleanup();
    }
}

function check(s: Scenario, now: number, cur: number, res: SimResult, before: FakeState, after: FakeState, r: ScriptRun): void {
    const v = (msg: string): void => void res.violations.push(`${iso(now)}: ${msg}`);
    const created = res.created;
    const present = new Map(after.backups.map((b) => [b.backup_name, b]));
    const wal = new Set(after.wal);
    const gone = before.backups.filter((b) => !present.has(b.backup_name)).map((b) => b.backup_name);

    if (created.length < s.daily) {
        res.refusals++;
        if (r.code !== 3 || r.result?.status !== "refused") v(`expected a refusal with ${created.length} backups, got exit ${r.code}`);
        if (gone.length || after.wal.length !== before.wal.length) v("a refused run deleted something");
        if (after.backups.some((b, i) => !!b.is_permanent !== !!before.backups[i].is_permanent)) v("a refused run changed a mark");
        return;
    }
    if (r.code !== 0) {
        v(`retention exited ${r.code}: ${r.stderr.split("\n").filter((l) => /REFUSED|FAILED/.test(l)).join(" ")}`);
        return;
    }
    res.deleted += gone.length;
    res.perRun.push({ now, deleted: gone.length, kept: after.backups.length });
    res.maxKept = Math.max(res.maxKept, after.backups.length);

    // ≥ M daily: the M newest backups are all kept
    const newestM = created.slice(-s.daily);
    for (const b of newestM) if (!present.has(b.name)) v(`daily backup ${b.name} (${iso(b.start)}) was deleted`);

    // ≥ N weekly: the N newest weeklies are kept, permanent, and restorable (WAL start..finish present)
    const weeklies = expectedWeeklies(created, s.weeklyDay).slice(0, s.weekly);
    for (const w of weeklies) {
        const b = present.get(w.name);
        if (!b) { v(`weekly ${w.name} (${iso(w.start)}) was deleted`); continue; }
        if (!b.is_permanent) v(`weekly ${w.name} (${iso(w.start)}) is not permanent`);
        for (let g = segOfLsn(w.startLsn); g <= segOfLsn(w.finishLsn); g++) if (!wal.has(g)) v(`weekly ${w.name} lost WAL segment ${g}`);
    }

    // P-day PITR window: a kept backup finished ≤ max(now − P days, first backup) with every WAL
    // segment from its start to the last archived one
    const windowStart = Math.max(now - s.pitrDays * DAY, created[0].finish);
    const candidates = created.filter((b) => b.finish <= windowStart && present.has(b.name));
    const continuous = (b: Created): boolean => {
        for (let g = segOfLsn(b.startLsn); g < cur; g++) if (!wal.has(g)) return false;
        return true;
    };
    if (!candidates.some(continuous)) v(`no kept backup finished by ${iso(windowStart)} with continuous WAL to now`);

    // no over-deletion: whatever went today was neither a daily, a weekly nor needed for PITR
    const pitrAnchor = [...created].reverse().find((b) => b.finish <= now - s.pitrDays * DAY);
    for (const name of gone) {
        if (newestM.some((b) => b.name === name) || weeklies.some((b) => b.name === name)) v(`over-deletion of ${name}`);
        if (!pitrAnchor || name >= pitrAnchor.name) v(`deleted ${name}, not older than the PITR anchor ${pitrAnchor?.name}`);
    }

    // bounded storage: never more than M + N + 1 base backups (max(M, P + 1) + N when the PITR window
    // is longer than M days: `delete before` cannot thin out the window), and no WAL older than the
    // oldest backup the rules need except the permanent backups' own ranges
    const bound = Math.max(s.daily, s.pitrDays + 1) + s.weekly;
    if (after.backups.length > bound) v(`${after.backups.length} backups kept > ${bound}`);
    const protectFrom = Math.min(newestM[0].startLsn, (pitrAnchor ?? created[0]).startLsn);
    const ranges = after.backups.filter((b) => b.is_permanent).map((b) => [segOfLsn(b.start_lsn - 1), segOfLsn(b.finish_lsn - 1)]);
    const stray = after.wal.filter((g) => g < segOfLsn(protectFrom) && !ranges.some(([a, z]) => g >= a && g <= z));
    if (stray.length) v(`${stray.length} WAL segments older than the oldest backup needed remain (${stray[0]}…)`);
}

const at = (h: number, m = 0): number => h * 60 + m;

const scenarios: Scenario[] = [
    {
        title: "42 days of daily backups, a new system starting on a Wednesday (defaults 7/4/7, sunday)",
        start: "2025-03-05T00:00:00Z", days: 42, daily: 7, weekly: 4, pitrDays: 7, weeklyDay: "sunday",
        backupAt: () => ({ minute: at(2), minutes: 20 }),
        retentionAt: () => [at(3, 30)],
    },
    {
        title: "43 days with a failed Sunday backup and four failed days in a row spanning a Sunday",
        start: "2025-01-01T00:00:00Z", days: 43, daily: 7, weekly: 4, pitrDays: 7, weeklyDay: "sunday",
        // day 18 = Sunday 2025-01-19; days 30..33 = Fri 01-31 .. Mon 02-03
        backupAt: (d) => (d === 18 || (d >= 30 && d <= 33) ? null : { minute: at(2), minutes: 35 }),
        retentionAt: () => [at(3, 30)],
        viaScript: true,
    },
    {
        title: "42 days with ten failed days in a row, longer than the PITR window",
        start: "2025-05-01T00:00:00Z", days: 42, daily: 7, weekly: 4, pitrDays: 7, weeklyDay: "sunday",
        backupAt: (d) => (d >= 20 && d < 30 ? null : { minute: at(2), minutes: 20 }),
        retentionAt: () => [at(3, 30)],
    },
    {
        title: "42 days at odd clock times: backups across midnight, retention before the backup, missed and doubled runs",
        start: "2025-06-11T00:00:00Z", days: 42, daily: 7, weekly: 4, pitrDays: 7, weeklyDay: "wednesday",
        backupAt: (d) => (d % 4 === 0 ? { minute: at(23, 50), minutes: 25 } : { minute: at(2) + ((d * 7) % 50), minutes: 15 + (d % 3) * 20 }),
        retentionAt: (d) => (d % 5 === 0 ? [] : d % 7 === 0 ? [at(3, 30), at(22, 45)] : d % 3 === 0 ? [at(1, 15)] : [at(12, 34)]),
    },
    {
        title: "42 days starting on the weekly day itself with retention before the first backup",
        start: "2025-03-02T00:00:00Z", days: 42, daily: 7, weekly: 4, pitrDays: 7, weeklyDay: "sunday",
        backupAt: () => ({ minute: at(2), minutes: 20 }),
        retentionAt: () => [at(0, 30)],
    },
    {
        title: "42 days with a PITR window longer than the daily count (M=3, N=2, P=10, friday)",
        start: "2025-02-03T00:00:00Z", days: 42, daily: 3, weekly: 2, pitrDays: 10, weeklyDay: "friday",
        backupAt: (d) => (d === 25 || d === 26 ? null : { minute: at(2), minutes: 20 }),
        retentionAt: () => [at(3, 30)],
    },
    {
        title: "42 days with more dailies than the PITR window (M=10, N=1, P=2, monday)",
        start: "2025-08-01T00:00:00Z", days: 42, daily: 10, weekly: 1, pitrDays: 2, weeklyDay: "monday",
        backupAt: (d) => (d % 9 === 4 ? null : { minute: at(2), minutes: 20 }),
        retentionAt: () => [at(3, 30)],
    },
];

/** Every scenario, two at a time (each simulated day is a real bash + perl run), by title. */
async function simulateAll(): Promise<Map<string, SimResult>> {
    const results = new Map<string, SimResult>();
    const elapsed: Record<string, number> = {};
    // the scenario that runs the whole retention.sh every day (several times slower) first, so the
    // other worker does the rest meanwhile
    const queue = [...scenarios].sort((a, b) => Number(b.viaScript ?? false) - Number(a.viaScript ?? false));
    const worker = async (): Promise<void> => {
        for (let s = queue.shift(); s; s = queue.shift()) {
            const t = Date.now();
            results.set(s.title, await simulate(s));
            elapsed[s.title] = Date.now() - t;
        }
    };
    await Promise.all([worker(), worker()]);
    if (process.env.TERNENT_TEST_TIMING) console.log(elapsed);
    return results;
}

// Waits on Perl and bash most of the time: starts when the run starts (test/setup/early.ts).
const simulations = startEarly(simulateAll);

describe("GFS retention over 40+ simulated days (retention.sh + stand-in wal-g, fake clock)", function () {
    this.timeout(240_000);
    let results = new Map<string, SimResult>();

    before(async () => {
        results = await simulations();
    });

    for (const s of scenarios) {
        it(`keeps ≥ M daily, ≥ N weekly, a P-day PITR window and bounded storage every day: ${s.title}`, () => {
            const r = results.get(s.title)!;
            assert.deepEqual(r.violations, []);
            assert.ok(r.runs >= 35, `only ${r.runs} retention runs`);
            assert.ok(r.deleted > 0, "the simulation never deleted anything");
            assert.ok(r.finalKept >= s.daily, `only ${r.finalKept} backups at the end`);
        });
    }

    it("refuses on every run of a new system until M backups exist, then stops refusing", () => {
        const s = scenarios[0];
        const r = results.get(s.title)!;
        // one retention run a day after the 02:00 backup: days 0..5 have 1..6 backups
        assert.equal(r.refusals, s.daily - 1);
    });

    it("marks Monday's backup as the weekly when the Sunday backup failed", () => {
        const s = scenarios[1];
        const r = results.get(s.title)!;
        const monday = r.created.find((b) => iso(b.start).startsWith("2025-01-20"))!;
        const tuesdayAfterOutage = r.created.find((b) => iso(b.start).startsWith("2025-02-04"))!;
        assert.ok(r.everMarked.has(monday.name), "Monday 2025-01-20 was never marked");
        assert.ok(r.everMarked.has(tuesdayAfterOutage.name), "Tuesday 2025-02-04 was never marked");
        assert.ok(!r.created.some((b) => iso(b.start).startsWith("2025-01-21") && r.everMarked.has(b.name)));
    });

    it("stops deleting while backups fail, keeping the last M good backups through a 10-day outage", () => {
        const s = scenarios[2];
        const r = results.get(s.title)!;
        // outage: days 20..29 (2025-05-21 .. 05-30); day 20 still rotates out the backup of day 12
        const during = r.perRun.filter((x) => x.now > Date.parse("2025-05-22T00:00:00Z") && x.now < Date.parse("2025-05-31T00:00:00Z"));
        assert.equal(during.length, 9);
        assert.deepEqual(during.map((x) => x.deleted), Array(9).fill(0));
        assert.ok(during.every((x) => x.kept >= s.daily));
        assert.ok(r.perRun.some((x) => x.now > Date.parse("2025-05-31T00:00:00Z") && x.deleted > 0), "deletion never resumed");
    });
});
