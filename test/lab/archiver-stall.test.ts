// Issue 13 in the lab: S3 stops while WAL-G retries inside archive_command, so nothing fails
// (pg_stat_archiver.failed_count stays 0) and the last archived WAL only ages past verify's 660 s limit
// after minutes. verify.sh reads how long the oldest completed segment has waited in
// pg_wal/archive_status and reports the stall within 2 × archive_timeout; after S3 is back archiving
// resumes and verify.sh is healthy again. With the rendered retry policy (walg.retries) the same
// outage makes archive_command fail within seconds instead, which verify.sh reports as failing.
// A private MinIO: stopping the shared one would break the other labs of this run.
import { strict as assert } from "assert";
import { Lab, RunResult, sleep, waitFor } from "../../lab";
import { useLab } from "./helpers";

const ARCHIVE_TIMEOUT = 10;

async function restartPrimary(l: Lab, env: NodeJS.ProcessEnv): Promise<void> {
    await l.pg.stop("fast");
    l.pg.opts.env = env;
    await l.pg.start();
}

/** Runs verify.sh every second until `done` holds; returns the verdict and seconds since `since`. */
async function verifyUntil(l: Lab, since: number, done: (r: RunResult) => boolean, limitMs: number): Promise<{ r: RunResult; seconds: number }> {
    let last: RunResult | undefined;
    await waitFor("verify.sh's verdict", async () => {
        last = await l.runScript("verify.sh", { timeoutMs: 30_000 });
        return done(last);
    }, limitMs, 1000);
    return { r: last!, seconds: (Date.now() - since) / 1000 };
}

describe(`lab: a stalled archiver is reported within 2 × archive_timeout (${ARCHIVE_TIMEOUT} s)`, function () {
    this.timeout(300_000);
    const lab = useLab({ archiveTimeoutSeconds: ARCHIVE_TIMEOUT, storage: undefined });
    let renderedEnv: NodeJS.ProcessEnv = {};
    const stats = async () => {
        const [failed, archived] = (await lab().psql("SELECT failed_count, archived_count FROM pg_stat_archiver")).split("|").map(Number);
        return { failed, archived };
    };

    before(async function () {
        const l = lab();
        renderedEnv = { ...l.pg.opts.env };
        // As before this issue (WAL-G's default 15 request retries, minutes of backoff): wal-push retries
        // silently while S3 is down, as it also does when the network hangs.
        await restartPrimary(l, { ...renderedEnv, WALG_S3_MAX_RETRIES: "15" });
        await l.psql("CREATE TABLE t (x int)");
        // A role that may read the settings but not list pg_wal/archive_status (verify.sh's fallback).
        await l.psql("CREATE ROLE checker LOGIN PASSWORD 'checker-pw'; GRANT pg_read_all_settings TO checker");
        await l.switchWalAndWaitArchived();
    });

    it("verify.sh is healthy while archiving works", async function () {
        const r = await lab().runScript("verify.sh");
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(r.json.ready_source, "archive_status");
        assert.equal(r.json.max_ready_age_seconds, ARCHIVE_TIMEOUT, "the limit defaults to the server's archive_timeout");
    });

    it("reports S3 stopped within 2 × archive_timeout, while failed_count stays 0 (WAL-G retrying)", async function () {
        const l = lab();
        const before = await stats();
        await l.minio.stop();
        const stopped = Date.now();
        // A write, and its segment completes (as archive_timeout would complete it within 10 s).
        await l.psql("INSERT INTO t VALUES (1); SELECT pg_switch_wal()");
        const { r, seconds } = await verifyUntil(l, stopped, (v) => v.code !== 0, 4 * ARCHIVE_TIMEOUT * 1000);
        if (process.env.TERNENT_TEST_VERBOSE) console.log(JSON.stringify({ detectedAfterSeconds: seconds, verdict: r.json }));
        assert.equal(r.code, 1, r.stdout);
        assert.equal(r.json.healthy, false);
        assert.equal(r.json.failed_count, before.failed, "archive_command has not failed: only the waiting segment shows the stall");
        assert.deepEqual(await stats(), before, "nothing archived, nothing failed");
        assert.equal(r.json.problems.length, 1, r.json.problems.join("; "));
        assert.match(r.json.problems[0], new RegExp(`^[0-9A-F]{24} has waited [\\d.]+ s to be archived \\(limit ${ARCHIVE_TIMEOUT} s; \\d+ file\\(s\\) waiting\\): ` +
            "archive_command is stuck or retrying without failing"));
        assert.ok(r.json.oldest_ready_age_seconds > ARCHIVE_TIMEOUT);
        assert.ok(seconds <= 2 * ARCHIVE_TIMEOUT, `reported ${seconds} s after S3 stopped, more than 2 × archive_timeout`);
        // Without the privilege to list archive_status: the segments past the last archived one, aged by the last success.
        const f = await l.runScript("verify.sh", { env: { PGUSER: "checker", PGPASSWORD: "checker-pw" } });
        assert.equal(f.code, 1, f.stdout);
        assert.equal(f.json.ready_source, "pg_stat_archiver");
        assert.match(f.json.ready_error, /permission denied for function pg_ls_archive_statusdir/);
        assert.equal(f.json.oldest_ready_wal, r.json.oldest_ready_wal);
        assert.ok(f.json.problems.some((p: string) => p.startsWith(`${r.json.oldest_ready_wal} has waited`)), f.json.problems.join("; "));
    });

    it("is healthy again once S3 is back and the waiting segments are archived", async function () {
        const l = lab();
        await l.minio.start();
        const back = Date.now();
        const { r, seconds } = await verifyUntil(l, back, (v) => v.code === 0, 180_000);
        if (process.env.TERNENT_TEST_VERBOSE) console.log(JSON.stringify({ healthyAfterSeconds: seconds }));
        assert.equal(r.json.healthy, true);
        assert.equal(r.json.ready_count, 0);
        assert.ok((await stats()).archived > 0);
    });

    it("with the rendered retry policy, archive_command fails within seconds instead and verify.sh names the failure", async function () {
        const l = lab();
        await restartPrimary(l, renderedEnv);
        assert.equal(renderedEnv.WALG_S3_MAX_RETRIES, "5", "the lab primary runs with the rendered walg ConfigMap");
        await l.switchWalAndWaitArchived();
        const before = await stats();
        await l.minio.stop();
        try {
            const stopped = Date.now();
            await l.psql("INSERT INTO t VALUES (2); SELECT pg_switch_wal()");
            const { r, seconds } = await verifyUntil(l, stopped, (v) => v.json?.problems?.some((p: string) => p.startsWith("archiving is failing")), 60_000);
            if (process.env.TERNENT_TEST_VERBOSE) console.log(JSON.stringify({ failingReportedAfterSeconds: seconds, verdict: r.json }));
            assert.equal(r.code, 1);
            assert.ok((await stats()).failed > before.failed, "archive_command failed instead of retrying for minutes");
        } finally {
            await l.minio.start();
        }
        await sleep(1000);
        await waitFor("archiving to resume", async () => (await l.runScript("verify.sh")).code === 0, 180_000, 2000);
    });
});
