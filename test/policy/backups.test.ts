import { strict as assert } from "assert";
import { archiveTimeout } from "../../policy/policies/archive-timeout";
import { backupJobColocated } from "../../policy/policies/backup-job-colocated";
import { baseBackupDaily } from "../../policy/policies/base-backup-daily";
import { walArchivingEnabled } from "../../policy/policies/wal-archiving-enabled";
import { POSTGRESQL_CONF, containerOf, contractStack, edit, podOf, setEnv, without } from "./fixtures";
import { runPolicy } from "./run-policy";

type Props = Record<string, unknown>;

const schedule = (expr: string, extra: Props = {}) => edit(contractStack(), "backups-backup", (p) => {
    Object.assign(p.spec as Props, { schedule: expr, ...extra });
});
const conf = (text: string) => edit(contractStack(), "postgres-config", (p) => {
    (p.data as Props)["postgresql.conf"] = text;
});

describe("policy base-backup-daily", () => {
    it("passes a backup at 02:00 every day", async () => {
        assert.equal((await runPolicy(baseBackupDaily, contractStack())).mandatory.length, 0);
    });

    it("passes a backup every 12 hours", async () => {
        assert.equal((await runPolicy(baseBackupDaily, schedule("0 */12 * * *"))).mandatory.length, 0);
    });

    it("refuses a weekly backup schedule with its worst-case gap and the maximum", async () => {
        const r = await runPolicy(baseBackupDaily, schedule("0 2 * * 0"));
        assert.match(r.text, /"0 2 \* \* 0" can leave 7 day\(s\) between base backups; the maximum is 24 hours \(policy config maxBaseBackupIntervalHours\)/);
        assert.match(r.text, /ternent-postgres:schedules\.backup in Pulumi\.prod\.yaml/);
    });

    it("refuses a schedule that skips a day (every weekday only)", async () => {
        const r = await runPolicy(baseBackupDaily, schedule("0 2 * * 1-5"));
        assert.match(r.text, /can leave 3 day\(s\)/);
    });

    it("counts a daylight-saving hour for a non-UTC time zone", async () => {
        const r = await runPolicy(baseBackupDaily, schedule("0 2 * * *", { timeZone: "Europe/Berlin" }));
        assert.match(r.text, /timeZone Europe\/Berlin, \+1 hour.*25 hour\(s\)/);
    });

    it("refuses a suspended backup job", async () => {
        const r = await runPolicy(baseBackupDaily, schedule("0 2 * * *", { suspend: true }));
        assert.match(r.text, /is suspended/);
    });

    it("refuses a stack without a backup job", async () => {
        const r = await runPolicy(baseBackupDaily, without(contractStack(), "backups-backup"));
        assert.match(r.text, /no backup CronJob/);
    });

    it("refuses a backup job writing to another prefix than the WAL", async () => {
        const r = await runPolicy(baseBackupDaily, edit(contractStack(), "backups-backup", (p) => setEnv(containerOf(p), "WALG_S3_PREFIX", "s3://x/y")));
        assert.match(r.text, /must share a prefix/);
    });

    it("allows a longer maximum through maxBaseBackupIntervalHours", async () => {
        const r = await runPolicy(baseBackupDaily, schedule("0 2 */2 * *"), { config: { maxBaseBackupIntervalHours: 72 } });
        assert.equal(r.mandatory.length, 0);
    });
});

describe("policy wal-archiving-enabled", () => {
    it("passes archive_mode=on with the WAL-G wrapper script", async () => {
        assert.equal((await runPolicy(walArchivingEnabled, contractStack())).mandatory.length, 0);
    });

    it("refuses archive_mode=off in the mounted postgresql.conf", async () => {
        const r = await runPolicy(walArchivingEnabled, conf(POSTGRESQL_CONF.replace("archive_mode = on", "archive_mode = off")));
        assert.match(r.text, /archive_mode="off" in \/ternent\/conf\/postgresql\.conf \(ConfigMap backend\/ternent-postgres key postgresql\.conf\)/);
    });

    it("refuses a -c archive_mode=off on the command line, which overrides the file", async () => {
        const r = await runPolicy(walArchivingEnabled, edit(contractStack(), "postgres-statefulset", (p) => {
            (containerOf(p).args as string[]).push("-c", "archive_mode=off");
        }));
        assert.match(r.text, /archive_mode="off" in the command line of container postgres/);
    });

    it("refuses an archive_command that does not run WAL-G", async () => {
        const r = await runPolicy(walArchivingEnabled, conf(POSTGRESQL_CONF.replace("/ternent/scripts/archive-command.sh %p", "cp %p /mnt/wal/%f")));
        assert.match(r.text, /does not run WAL-G/);
    });

    it("follows the wrapper script and refuses one that never runs wal-g wal-push", async () => {
        const r = await runPolicy(walArchivingEnabled, edit(contractStack(), "postgres-scripts", (p) => {
            (p.data as Props)["archive-command.sh"] = "#!/bin/sh\n# wal-g wal-push \"$1\" (disabled)\nexit 0\n";
        }));
        assert.match(r.text, /runs \/ternent\/scripts\/archive-command\.sh \(ConfigMap backend\/ternent-postgres-scripts key archive-command\.sh\), which never runs `wal-g wal-push`/);
    });

    it("refuses a postgres started without a config_file it can read", async () => {
        const r = await runPolicy(walArchivingEnabled, edit(contractStack(), "postgres-statefulset", (p) => {
            containerOf(p).args = ["postgres"];
        }));
        assert.match(r.text, /archive_mode is not visible to the policy/);
    });

    it("refuses wal_level minimal", async () => {
        const r = await runPolicy(walArchivingEnabled, conf(POSTGRESQL_CONF.replace("wal_level = replica", "wal_level = minimal")));
        assert.match(r.text, /wal_level="minimal"/);
    });
});

describe("policy archive-timeout", () => {
    it("passes archive_timeout = 60", async () => {
        assert.equal((await runPolicy(archiveTimeout, contractStack())).mandatory.length, 0);
    });

    it("refuses archive_timeout = 120 with the value, the maximum and the stack key", async () => {
        const r = await runPolicy(archiveTimeout, conf(POSTGRESQL_CONF.replace("archive_timeout = 60", "archive_timeout = 120")));
        assert.match(r.text, /archive_timeout="120" .* is 120 s, above the maximum of 60 s \(policy config maxArchiveTimeoutSeconds\)/);
        assert.match(r.text, /ternent-postgres:postgres\.archiveTimeoutSeconds to a value from 1 to 60/);
    });

    it("reads units: 2min is 120 s", async () => {
        const r = await runPolicy(archiveTimeout, conf(POSTGRESQL_CONF.replace("archive_timeout = 60", "archive_timeout = '2min'")));
        assert.match(r.text, /is 120 s/);
    });

    it("refuses archive_timeout = 0, which disables it", async () => {
        const r = await runPolicy(archiveTimeout, conf(POSTGRESQL_CONF.replace("archive_timeout = 60", "archive_timeout = 0")));
        assert.match(r.text, /disables forced WAL switches/);
    });

    it("refuses a missing archive_timeout (PostgreSQL's default is 0)", async () => {
        const r = await runPolicy(archiveTimeout, conf(POSTGRESQL_CONF.replace("archive_timeout = 60\n", "")));
        assert.match(r.text, /archive_timeout is not set \(PostgreSQL's default 0\)/);
    });

    it("allows 120 s when maxArchiveTimeoutSeconds says so", async () => {
        const r = await runPolicy(archiveTimeout, conf(POSTGRESQL_CONF.replace("archive_timeout = 60", "archive_timeout = 120")),
            { config: { maxArchiveTimeoutSeconds: 300 } });
        assert.equal(r.mandatory.length, 0);
    });
});

describe("policy backup-job-colocated", () => {
    it("passes required pod affinity to the Postgres pod and the StatefulSet's claim", async () => {
        assert.equal((await runPolicy(backupJobColocated, contractStack())).mandatory.length, 0);
    });

    it("refuses preferred (not required) pod affinity", async () => {
        const r = await runPolicy(backupJobColocated, edit(contractStack(), "backups-backup", (p) => {
            const aff = (podOf(p).affinity as Props).podAffinity as Props;
            aff.preferredDuringSchedulingIgnoredDuringExecution = [{ weight: 100, podAffinityTerm: (aff.requiredDuringSchedulingIgnoredDuringExecution as Props[])[0] }];
            delete aff.requiredDuringSchedulingIgnoredDuringExecution;
        }));
        assert.match(r.text, /no required pod affinity term .*a preferred term is not enough/);
    });

    it("refuses affinity whose selector does not match the Postgres pod labels", async () => {
        const r = await runPolicy(backupJobColocated, edit(contractStack(), "backups-backup", (p) => {
            const term = (((podOf(p).affinity as Props).podAffinity as Props).requiredDuringSchedulingIgnoredDuringExecution as Props[])[0];
            term.labelSelector = { matchLabels: { app: "postgres" } };
        }));
        assert.match(r.text, /selector matches the Postgres pod labels/);
    });

    it("refuses affinity on a zone instead of the node", async () => {
        const r = await runPolicy(backupJobColocated, edit(contractStack(), "backups-backup", (p) => {
            const term = (((podOf(p).affinity as Props).podAffinity as Props).requiredDuringSchedulingIgnoredDuringExecution as Props[])[0];
            term.topologyKey = "topology.kubernetes.io/zone";
        }));
        assert.match(r.text, /topologyKey kubernetes\.io\/hostname/);
    });

    it("refuses a backup job that mounts another claim", async () => {
        const r = await runPolicy(backupJobColocated, edit(contractStack(), "backups-backup", (p) => {
            const vol = (podOf(p).volumes as Props[]).find((v) => v.name === "data")!;
            vol.persistentVolumeClaim = { claimName: "data-other-0" };
        }));
        assert.match(r.text, /does not mount claim data-ternent-postgres-0/);
    });

    it("follows a generation PVC the StatefulSet mounts instead of its claim template", async () => {
        let stack = edit(contractStack(), "postgres-statefulset", (p) => {
            (podOf(p).volumes as Props[]).push({ name: "data", persistentVolumeClaim: { claimName: "ternent-postgres-data-g1" } });
            delete (p.spec as Props).volumeClaimTemplates;
        });
        const stale = await runPolicy(backupJobColocated, stack);
        assert.match(stale.text, /does not mount claim ternent-postgres-data-g1/);
        stack = edit(stack, "backups-backup", (p) => {
            (podOf(p).volumes as Props[]).find((v) => v.name === "data")!.persistentVolumeClaim = { claimName: "ternent-postgres-data-g1" };
        });
        assert.equal((await runPolicy(backupJobColocated, stack)).mandatory.length, 0);
    });

    it("refuses a backup job with another PGDATA than the primary", async () => {
        const r = await runPolicy(backupJobColocated, edit(contractStack(), "backups-backup", (p) => setEnv(containerOf(p), "PGDATA", "/var/lib/postgresql/data")));
        assert.match(r.text, /PGDATA="\/var\/lib\/postgresql\/data".*the primary's PGDATA is \/var\/lib\/postgresql\/data\/pgdata/);
    });
});
