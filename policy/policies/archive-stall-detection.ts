// A stalled archiver is seen in time: while wal-push retries inside WAL-G (an S3 outage),
// archive_command neither fails nor succeeds, pg_stat_archiver.failed_count stays 0 and only the age of
// the segments waiting in pg_wal/archive_status shows the stall. verify.sh checks that age against
// TERNENT_VERIFY_MAX_READY_AGE_SECONDS (default: the server's archive_timeout); a segment completes at
// most archive_timeout after a write, so with a limit <= archive_timeout verify.sh sees a stall within
// 2 × archive_timeout. The verify CronJob must run at least every maxVerifyIntervalArchiveTimeouts
// (default 2) × archive_timeout (cron cannot fire more than once a minute, so not "+ the limit").
import { pgDurationSeconds, PgConfError } from "../lib/pgconf";
import { stackPolicy } from "../lib/checks";
import { checkSchedule, jobContainer } from "../lib/cronjobs";
import { codeLines, TYPES } from "../lib/k8s";
import { postgresRuntime } from "../lib/postgres";
import { StackView } from "../lib/stack";
import { envLookup, scriptOf, stackFile, stackKey } from "../lib/workloads";
import { POLICY_CONFIG_DEFAULTS } from "../lib/defaults";

const DEFAULTS = POLICY_CONFIG_DEFAULTS["archive-stall-detection"];

export interface ArchiveStallConfig {
    readonly maxVerifyIntervalArchiveTimeouts: number;
}

export const archiveStallDetection = stackPolicy<ArchiveStallConfig>({
    name: "archive-stall-detection",
    description: `A verify CronJob (verify.sh) in the primary's namespace, unsuspended, checks how long completed WAL segments have waited to be archived (pg_ls_archive_statusdir) with a limit TERNENT_VERIFY_MAX_READY_AGE_SECONDS (default: archive_timeout) of at most the server's archive_timeout, so it sees a stalled archiver within 2 × archive_timeout even while WAL-G retries without failing, and runs at least every maxVerifyIntervalArchiveTimeouts (default ${DEFAULTS.maxVerifyIntervalArchiveTimeouts}) × archive_timeout, worst case.`,
    remediationSteps: "Set ternent-postgres:schedules.verify to \"* * * * *\" (with archiveTimeoutSeconds 60) in the stack file.",
    severity: "high",
    configSchema: {
        properties: {
            maxVerifyIntervalArchiveTimeouts: {
                type: "number", exclusiveMinimum: 0, default: DEFAULTS.maxVerifyIntervalArchiveTimeouts,
                description: "Longest worst-case time between two verify runs, in multiples of the server's archive_timeout.",
            },
        },
    },
    validate(args, checks, config) {
        const view = new StackView(args);
        const sts = view.postgres()[0];
        if (!sts) {
            args.notApplicable("the stack has no Postgres StatefulSet");
            return;
        }
        const rt = postgresRuntime(view, sts);
        rt.unknown.forEach((u) => checks.unknown(u));
        let archiveTimeout: number | undefined;
        const setting = rt.settings.get("archive_timeout");
        try {
            archiveTimeout = setting ? pgDurationSeconds(setting.value) : undefined;
        } catch (e) {
            if (!(e instanceof PgConfError)) {
                throw e;
            }
        }
        if (rt.unknown.length > 0) {
            return;
        }
        if (archiveTimeout === undefined || archiveTimeout <= 0) {
            // No forced switch: policy archive-timeout refuses that; there is no bound to check against.
            args.notApplicable("the server has no archive_timeout (policy archive-timeout reports it)");
            return;
        }
        const factor = config.maxVerifyIntervalArchiveTimeouts;
        const bound = factor * archiveTimeout;
        const found = `archive_timeout=${JSON.stringify(setting!.value)} in ${setting!.from}`;
        const fix = `Fix: set ${stackKey(view, "schedules.verify")} in ${stackFile(view)} to fire at least every ${bound} s, e.g. "* * * * *".`;
        const primary = view.primaryNamespace();
        const jobs = view.byRole("verify").filter((w) => w.res.type === TYPES.CronJob && w.meta.namespace === primary);
        if (jobs.length === 0) {
            checks.violation(`The stack has no verify CronJob (verify.sh) in the primary's namespace ${primary}: a stalled archiver ` +
                `(WAL-G retrying during an S3 outage, failed_count 0) goes unseen until the disk fills or the volume is lost. ${fix}`);
            return;
        }
        for (const w of jobs) {
            const c = jobContainer(checks, w);
            if (!c) {
                continue;
            }
            const limitEnv = envLookup(view, w, c, "TERNENT_VERIFY_MAX_READY_AGE_SECONDS");
            let limit: number | undefined;
            if (limitEnv.kind === "unknown") {
                checks.unknown(limitEnv.where);
            } else if (limitEnv.kind === "missing") {
                limit = archiveTimeout;
            } else if (!/^[1-9]\d*$/.test(limitEnv.value.trim())) {
                checks.violation(`${limitEnv.where}: not a positive number of seconds. Fix: deploy the verify CronJob as the program renders it.`, w.res.urn);
            } else {
                limit = Number(limitEnv.value.trim());
            }
            if (limit !== undefined && limit > archiveTimeout) {
                checks.violation(`${limitEnv.where}: a WAL segment may wait ${limit} s before verify.sh calls archiving stalled, longer than ` +
                    `${found}: with the up to archive_timeout it takes a write's segment to complete, a stall is seen only after ` +
                    `${archiveTimeout + limit} s, more than 2 × archive_timeout. Fix: deploy the verify CronJob as the program renders it ` +
                    `(the limit is ${stackKey(view, "postgres.archiveTimeoutSeconds")}).`, w.res.urn);
            }
            checkSchedule(checks, w, {
                fix,
                whenSuspended: ": a stalled archiver is never reported.",
                tooRare: (s, worst) => worst > bound
                    ? `CronJob ${w.id} schedule ${JSON.stringify(s.expression)} can leave ${worst} s between runs, more than ` +
                        `${factor} × archive_timeout = ${bound} s (${found}; policy config maxVerifyIntervalArchiveTimeouts): a stalled ` +
                        `archiver that verify.sh sees within 2 × archive_timeout is reported up to ${worst} s later. ${fix}`
                    : undefined,
            });
            const script = scriptOf(view, w, c, "verify.sh");
            if (script.unknown) {
                checks.unknown(script.unknown);
            } else if (script.problem) {
                checks.violation(`${script.problem}.`, w.res.urn);
            } else if (script.text !== undefined && !/pg_ls_archive_statusdir/.test(codeLines(script.text).join("\n"))) {
                checks.violation(`${script.path} in ${w.id} does not read pg_wal/archive_status (pg_ls_archive_statusdir()): it cannot see ` +
                    `WAL waiting to be archived while WAL-G retries without failing. Fix: deploy the scripts ConfigMap from this repository's scripts/.`, w.res.urn);
            }
        }
    },
});
