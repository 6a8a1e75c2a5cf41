// The two policies of issue 13: WAL-G's retries bounded (walg-retries-bounded) and a stalled archiver
// reported within 2 × archive_timeout (archive-stall-detection). Each passes the contract stack and
// refuses one weakened copy of it.
import { strict as assert } from "assert";
import { archiveStallDetection } from "../../policy/policies/archive-stall-detection";
import { walgRetriesBounded } from "../../policy/policies/walg-retries-bounded";
import { POSTGRESQL_CONF, SCRIPTS, containerOf, contractStack, edit, removeEnv, setEnv, without } from "./fixtures";
import { runPolicy } from "./run-policy";

type Props = Record<string, unknown>;

const walgData = (name: string, change: (d: Props) => void) => edit(contractStack(), name, (p) => change(p.data as Props));
const verifyJob = (change: (p: Props) => void, stack = contractStack()) => edit(stack, "backups-verify", change);

describe("policy walg-retries-bounded", () => {
    it("passes the contract: every consumer gets 3 file retries, 5 request retries, throttling capped at 10 s (520 s)", async () => {
        const r = await runPolicy(walgRetriesBounded, contractStack());
        assert.deepEqual(r.mandatory.map((d) => d.message), []);
    });

    it("refuses WAL-G's defaults (a ConfigMap without the retry policy): 67 minutes of sleeps on a corrupt backup", async () => {
        const r = await runPolicy(walgRetriesBounded, walgData("dr-walg", (d) => {
            delete d.WALG_DOWNLOAD_FILE_RETRIES;
            delete d.WALG_S3_MAX_RETRIES;
        }));
        assert.deepEqual(r.mandatory.map((d) => d.urn.replace(/.*::/, "")).sort(), ["drills-pitr-drill", "drills-restore-drill"]);
        assert.match(r.text, /Container restore-drill of backend-dr\/ternent-postgres-restore-drill \(WALG_DOWNLOAD_FILE_RETRIES unset \(WAL-G's default 15\), WALG_S3_MAX_RETRIES unset \(WAL-G's default 15\)/);
        assert.match(r.text, /15 backup-fetch rounds sleeping 4020 s/);
        assert.match(r.text, /more than the maximum of 900 s \(policy config maxRetrySeconds\).*Fix: set ternent-postgres:walg\.retries/);
    });

    it("refuses a literal env on one container that raises its retries above the bound", async () => {
        const r = await runPolicy(walgRetriesBounded, edit(contractStack(), "backups-retention", (p) => {
            setEnv(containerOf(p), "WALG_S3_MAX_RETRIES", "15");
        }));
        assert.deepEqual(r.mandatory.map((d) => d.urn.replace(/.*::/, "")), ["backups-retention"]);
        assert.match(r.text, /WALG_S3_MAX_RETRIES=15/);
    });

    it("refuses a retry count that is not a number", async () => {
        const r = await runPolicy(walgRetriesBounded, walgData("postgres-walg", (d) => {
            d.WALG_DOWNLOAD_FILE_RETRIES = "few";
        }));
        assert.match(r.text, /WALG_DOWNLOAD_FILE_RETRIES="few" from ConfigMap ternent-postgres-walg key WALG_DOWNLOAD_FILE_RETRIES.*not a whole number/);
    });

    it("accepts the same settings under a lower pack bound only when they fit", async () => {
        const tight = await runPolicy(walgRetriesBounded, contractStack(), { config: { maxRetrySeconds: 500 } });
        assert.match(tight.text, /up to 520 s .*more than the maximum of 500 s/);
        const loose = await runPolicy(walgRetriesBounded, contractStack(), { config: { maxRetrySeconds: 520 } });
        assert.equal(loose.mandatory.length, 0);
    });
});

describe("policy archive-stall-detection", () => {
    it("passes the contract: verify every minute, a 60 s ready-age limit, archive_timeout 60; and verify every 2 minutes", async () => {
        const r = await runPolicy(archiveStallDetection, contractStack());
        assert.deepEqual(r.mandatory.map((d) => d.message), []);
        const two = await runPolicy(archiveStallDetection, verifyJob((p) => {
            (p.spec as Props).schedule = "*/2 * * * *";
        }));
        assert.deepEqual(two.mandatory.map((d) => d.message), []);
    });

    it("refuses verify every 15 minutes, more than 2 × archive_timeout between runs", async () => {
        const r = await runPolicy(archiveStallDetection, verifyJob((p) => {
            (p.spec as Props).schedule = "*/15 * * * *";
        }));
        assert.match(r.text, /CronJob backend\/ternent-postgres-verify schedule "\*\/15 \* \* \* \*" can leave 900 s between runs, more than 2 × archive_timeout = 120 s \(archive_timeout="60" in \/ternent\/conf\/postgresql\.conf \(ConfigMap backend\/ternent-postgres key postgresql\.conf\); policy config maxVerifyIntervalArchiveTimeouts\)/);
        assert.match(r.text, /Fix: set ternent-postgres:schedules\.verify in Pulumi\.prod\.yaml to fire at least every 120 s/);
    });

    it("refuses a ready-age limit above archive_timeout, and takes archive_timeout when it is unset", async () => {
        const r = await runPolicy(archiveStallDetection, verifyJob((p) => setEnv(containerOf(p), "TERNENT_VERIFY_MAX_READY_AGE_SECONDS", "600")));
        assert.match(r.text, /TERNENT_VERIFY_MAX_READY_AGE_SECONDS="600" on container verify of backend\/ternent-postgres-verify: a WAL segment may wait 600 s .* a stall is seen only after 660 s/);
        const unset = await runPolicy(archiveStallDetection, verifyJob((p) => removeEnv(containerOf(p), "TERNENT_VERIFY_MAX_READY_AGE_SECONDS")));
        assert.equal(unset.mandatory.length, 0, unset.text);
    });

    it("follows the server's archive_timeout and the pack's factor", async () => {
        const slow = verifyJob((p) => {
            (p.spec as Props).schedule = "*/5 * * * *";
        });
        const r = await runPolicy(archiveStallDetection, slow);
        assert.match(r.text, /can leave 300 s between runs, more than 2 × archive_timeout = 120 s/);
        const relaxed = await runPolicy(archiveStallDetection, slow, { config: { maxVerifyIntervalArchiveTimeouts: 5 } });
        assert.equal(relaxed.mandatory.length, 0, relaxed.text);
        const shorter = edit(contractStack(), "postgres-config", (p) => {
            (p.data as Props)["postgresql.conf"] = POSTGRESQL_CONF.replace("archive_timeout = 60", "archive_timeout = 20");
        });
        const r20 = await runPolicy(archiveStallDetection, shorter);
        assert.match(r20.text, /schedule "\* \* \* \* \*" can leave 60 s between runs, more than 2 × archive_timeout = 40 s \(archive_timeout="20"/);
    });

    it("refuses a stack without the verify CronJob, and a suspended one", async () => {
        const none = await runPolicy(archiveStallDetection, without(contractStack(), "backups-verify"));
        assert.match(none.text, /no verify CronJob \(verify\.sh\) in the primary's namespace backend/);
        const suspended = await runPolicy(archiveStallDetection, verifyJob((p) => {
            (p.spec as Props).suspend = true;
        }));
        assert.match(suspended.text, /is suspended \(spec\.suspend: true\): a stalled archiver is never reported/);
    });

    it("refuses a verify.sh that does not read pg_wal/archive_status", async () => {
        const old = ["postgres-scripts"].reduce((stack, name) => edit(stack, name, (p) => {
            (p.data as Props)["verify.sh"] = SCRIPTS["verify.sh"].replace(/.*pg_ls_archive_statusdir.*\n/, "");
        }), contractStack());
        const r = await runPolicy(archiveStallDetection, old);
        assert.match(r.text, /\/ternent\/scripts\/verify\.sh in backend\/ternent-postgres-verify does not read pg_wal\/archive_status/);
    });
});
